// Measures what a user's first `npx -y` costs: packed and unpacked size, how many packages npm
// installs, and a cold start (empty npm cache) to the first `initialize` answer, for this package and
// for @modelcontextprotocol/server-github installed the same way. Writes the Markdown table into the
// README (between the markers in scripts/package-table.mjs) and prints it.
//
// Usage: npm run measure:package [-- --runs 3] [-- --json] [-- --no-write]
// `npm pack` builds this package first (its prepack script), so what is measured is what is published.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { renderPackageTable, withPackageTable } from "./package-table.mjs";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    json: { type: "boolean" },
    "no-write": { type: "boolean" },
  },
});
const runs = Number(values.runs);
const root = fileURLToPath(new URL("..", import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), "raytio-measure-"));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

function pack(spec) {
  const [info] = JSON.parse(
    execFileSync(npm, ["pack", spec, "--json", "--pack-destination", work], { cwd: root, encoding: "utf8" }),
  );
  return {
    file: path.join(work, info.filename),
    name: `${info.name} ${info.version}`,
    packed: info.size,
    unpacked: info.unpackedSize,
    files: info.entryCount,
  };
}

function countPackages(dir) {
  let count = 0;
  const walk = (modules) => {
    let entries = [];
    try {
      entries = readdirSync(modules);
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.startsWith(".")) continue;
      if (entry.startsWith("@")) {
        walk(path.join(modules, entry));
        continue;
      }
      count += 1;
      walk(path.join(modules, entry, "node_modules"));
    }
  };
  walk(dir);
  return count;
}

/** Spawns `npx -y <tarball>` with an empty npm cache and times the answer to `initialize`. */
function coldStart(tarball, env) {
  const cache = mkdtempSync(path.join(work, "cache-"));
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn("npx", ["-y", `file:${tarball}`], {
      env: { ...process.env, ...env, npm_config_cache: cache, npm_config_update_notifier: "false" },
      stdio: ["pipe", "pipe", "ignore"],
    });
    let buffer = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no initialize answer from ${tarball} within 120 s`));
    }, 120_000);
    child.stdout.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      if (!buffer.includes('"id":1')) return;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      clearTimeout(timer);
      child.kill("SIGTERM");
      // The cache holds exactly what npx installed for this one package.
      const npxDir = path.join(cache, "_npx");
      const installs = readdirSync(npxDir).map((dir) => path.join(npxDir, dir, "node_modules"));
      const packages = installs.reduce((sum, dir) => sum + countPackages(dir), 0);
      resolve({ ms, packages });
    });
    child.stdin.write(
      `${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "measure", version: "1" } } })}\n`,
    );
  });
}

const median = (numbers) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)];

const subjects = [
  {
    spec: root,
    // Static domains, so nothing waits on a network that does not exist here; initialize never does.
    env: {
      RAYTIO_API_BASE_URL: "http://127.0.0.1:9",
      RAYTIO_COGNITO_USER_POOL_ID: "ap-southeast-2_Measure01",
      RAYTIO_COGNITO_CLIENT_ID: "measure",
      RAYTIO_COGNITO_REGION: "ap-southeast-2",
      RAYTIO_COGNITO_ENDPOINT: "http://127.0.0.1:9/",
      RAYTIO_AGENT_USERNAME: "measure@example.com",
      RAYTIO_AGENT_PASSWORD: "not-a-real-password",
      RAYTIO_TOOL_DOMAINS: "ppm",
      RAYTIO_LOG_LEVEL: "silent",
    },
  },
  {
    spec: "@modelcontextprotocol/server-github",
    env: { GITHUB_PERSONAL_ACCESS_TOKEN: "x" },
  },
];

const startLoad = loadavg()[0] ?? 0;
const rows = [];
try {
  for (const subject of subjects) {
    const tarball = pack(subject.spec);
    const starts = [];
    let packages = 0;
    for (let run = 0; run < runs; run += 1) {
      const result = await coldStart(tarball.file, subject.env);
      starts.push(result.ms);
      packages = result.packages;
    }
    rows.push({
      name: tarball.name,
      packedKiB: Math.round(tarball.packed / 1024),
      unpackedKiB: Math.round(tarball.unpacked / 1024),
      files: tarball.files,
      installedPackages: packages,
      coldStartMs: Math.round(median(starts)),
      runs: starts.map((ms) => Math.round(ms)),
    });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

if (values.json) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  const measured = {
    date: new Date().toISOString().slice(0, 10),
    platform: `${process.platform}-${process.arch}`,
    cpus: availableParallelism(),
    load: startLoad,
    node: process.version,
    runs,
  };
  const section = renderPackageTable(measured, rows);
  console.log(section);
  if (!values["no-write"]) {
    const readme = path.join(root, "README.md");
    writeFileSync(readme, withPackageTable(readFileSync(readme, "utf8"), section));
    console.error(`Wrote the table into ${readme}`);
  }
}
