import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, request, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "./harness.js";

/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance`, server mode), pinned with its
 * own lockfile in test/conformance/, needs Node 22 (it imports `fs.globSync`) and has no way to sign in:
 * it connects to a URL with no credentials. So it is installed from npm into a cache folder keyed by
 * that lockfile, with a Node 22 binary from npm (as a package) when the Node running the tests is older,
 * and it talks to the HTTP server through a loopback proxy that adds one person's bearer token to each
 * request and changes nothing else (Host and Origin pass through, so the server's own DNS-rebinding
 * checks are what the suite tests).
 */
const RUNNER = path.join(ROOT, "test", "conformance");
export const CONFORMANCE_VERSION: string = (
  JSON.parse(readFileSync(path.join(RUNNER, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  }
).dependencies["@modelcontextprotocol/conformance"] as string;
export const NODE22_VERSION = "22.23.5";
const CACHE = path.join(ROOT, "node_modules", ".cache", "raytio-conformance");
const run = promisify(execFile);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

export interface ConformanceInstall {
  node: string;
  cli: string;
}

/**
 * Installs into a fresh temporary folder and renames it into place, so two test workers installing at
 * once never see each other's half-written tree: the second rename finds the folder there and its copy
 * is dropped.
 */
async function installOnce(target: string, install: (folder: string) => Promise<void>): Promise<void> {
  if (existsSync(target)) return;
  mkdirSync(CACHE, { recursive: true });
  const folder = mkdtempSync(path.join(CACHE, "partial-"));
  try {
    await install(folder);
    if (!existsSync(target)) renameSync(folder, target);
  } catch (error) {
    if (!existsSync(target)) throw error;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

const quiet = ["--no-audit", "--no-fund", "--loglevel=error", "--ignore-scripts"];

export async function installConformance(): Promise<ConformanceInstall> {
  const lockfile = readFileSync(path.join(RUNNER, "package-lock.json"));
  const suite = path.join(CACHE, `suite-${createHash("sha256").update(lockfile).digest("hex").slice(0, 16)}`);
  await installOnce(suite, async (folder) => {
    for (const file of ["package.json", "package-lock.json"])
      copyFileSync(path.join(RUNNER, file), path.join(folder, file));
    await run(npm, ["ci", "--prefix", folder, ...quiet], { maxBuffer: 16 * 1024 * 1024 });
  });
  const cli = path.join(suite, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js");
  if (Number(process.versions.node.split(".")[0]) >= 22) return { node: process.execPath, cli };
  const nodePackage = `node-${process.platform}-${process.arch}`;
  const nodeFolder = path.join(CACHE, `${nodePackage}-${NODE22_VERSION}`);
  await installOnce(nodeFolder, async (folder) => {
    await run(
      npm,
      ["install", "--prefix", folder, "--no-save", ...quiet, `${nodePackage}@${NODE22_VERSION}`],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    );
  });
  const binary = process.platform === "win32" ? "node.exe" : path.join("bin", "node");
  return { node: path.join(nodeFolder, "node_modules", nodePackage, binary), cli };
}

export interface AuthProxy {
  port: number;
  setToken(token: string): void;
  stop(): Promise<void>;
}

export async function startAuthProxy(target: URL, port: number): Promise<AuthProxy> {
  let token: string | undefined;
  const server: Server = createServer((incoming, outgoing) => {
    const headers = { ...incoming.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) };
    const forwarded = request(
      { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on("error", () => {
      if (!outgoing.headersSent) outgoing.writeHead(502);
      outgoing.end();
    });
    outgoing.on("close", () => forwarded.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return {
    port,
    setToken(value) {
      token = value;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The two revisions whose requirement sets the suite ships; each is its own run with its own baseline. */
export const REVISIONS = ["2026-07-28", "2025-11-25"] as const;
export type Revision = (typeof REVISIONS)[number];

/** The baseline entries (`scenario` or `scenario:check-id`) of one of this repository's baseline files. */
export function baselineEntries(file: string): string[] {
  const entries: string[] = [];
  let inServer = false;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const content = line.replace(/#.*$/, "").trimEnd();
    if (content === "") continue;
    if (/^\S/.test(content)) {
      inServer = content === "server:";
      continue;
    }
    const entry = /^\s+-\s+(\S+)$/.exec(content)?.[1];
    if (!entry || !inServer) throw new Error(`${file}: not a server baseline entry: ${line}`);
    entries.push(entry);
  }
  return entries;
}

/**
 * The scenarios a revision's requirement set scores for servers, from the installed suite's
 * requirements/<revision>.yaml (its top-level `server:` list of names).
 */
export function scoredScenarios(install: ConformanceInstall, revision: Revision): Set<string> {
  const file = path.join(path.dirname(path.dirname(install.cli)), "requirements", `${revision}.yaml`);
  const scored = new Set<string>();
  let inServer = false;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (/^\S/.test(line) && !line.startsWith("#")) inServer = line.trimEnd() === "server:";
    const entry = /^\s+-\s+([\w/.-]+)\s*$/.exec(line)?.[1];
    if (inServer && entry) scored.add(entry);
  }
  if (scored.size === 0) throw new Error(`${file}: no server scenarios`);
  return scored;
}

/** Several baseline files as one, for the suite's single `--expected-failures`. */
function writeCombinedBaseline(files: readonly string[], file: string): void {
  const entries = files.flatMap(baselineEntries);
  writeFileSync(
    file,
    entries.length ? `server:\n${entries.map((entry) => `  - ${entry}\n`).join("")}` : "server: []\n",
  );
}

export interface CheckResult {
  id: string;
  status: "SUCCESS" | "FAILURE" | "WARNING" | "INFO" | "SKIPPED";
  errorMessage?: string;
}

export interface ConformanceRun {
  exitCode: number;
  output: string;
  /** Every scenario that ran, with its checks, from the suite's own result files. */
  scenarios: Map<string, CheckResult[]>;
}

export const failing = (check: CheckResult) => check.status === "FAILURE" || check.status === "WARNING";

/**
 * One run of a revision's requirement set against `url`, judged by the suite against the entries of
 * `baselines` together.
 * The suite's per-scenario timeout is raised from 30 s: scenarios take well under a second each, and on
 * a loaded two-core machine running four of these at once a slow start must not read as a failure.
 */
export function runConformance(
  install: ConformanceInstall,
  url: string,
  revision: Revision,
  baselines: readonly string[],
): Promise<ConformanceRun> {
  const scratch = mkdtempSync(path.join(tmpdir(), `raytio-conformance-${revision}-`));
  const results = path.join(scratch, "results");
  const baseline = path.join(scratch, "baseline.yml");
  writeCombinedBaseline(baselines, baseline);
  const suite = startSuite(install, [
    "server",
    "--url",
    url,
    "--requirements",
    revision,
    "--expected-failures",
    baseline,
    "--timeout",
    "300000",
    "-o",
    results,
  ]);
  return suite.exited.then((exitCode) => {
    const scenarios = checksIn(results, "server");
    rmSync(scratch, { recursive: true, force: true });
    return { exitCode, output: suite.output(), scenarios };
  });
}

export interface SuiteProcess {
  /** Everything the suite has printed so far, stdout and stderr together. */
  output(): string;
  exited: Promise<number>;
  stop(): void;
}

/** The suite's command line (`server`, `authorization`, …) as its own process, with a bare environment. */
export function startSuite(install: ConformanceInstall, args: readonly string[]): SuiteProcess {
  const child = spawn(install.node, [install.cli, ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const append = (chunk: Buffer) => {
    output += chunk.toString("utf8");
  };
  child.stdout.on("data", append);
  child.stderr.on("data", append);
  const exited = new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => resolve(code ?? 1));
  });
  return { output: () => output, exited, stop: () => child.kill() };
}

/** Each scenario's checks, from the result folders the suite wrote (`<mode>-<scenario>-<time>`). */
export function checksIn(
  results: string,
  mode: "server" | "authorization-server",
): Map<string, CheckResult[]> {
  const scenarios = new Map<string, CheckResult[]>();
  const folderPattern = new RegExp(`^${mode}-(.+)-\\d{4}-\\d\\d-\\d\\dT[\\d-]+Z$`);
  for (const folder of existsSync(results) ? readdirSync(results) : []) {
    const scenario = folderPattern.exec(folder)?.[1];
    const checks = path.join(results, folder, "checks.json");
    if (scenario && existsSync(checks))
      scenarios.set(scenario, JSON.parse(readFileSync(checks, "utf8")) as CheckResult[]);
  }
  return scenarios;
}

/** The lines of the suite's report that say what passed, failed or was expected to. */
export function reportOf(run: ConformanceRun): string {
  return run.output
    .split("\n")
    .filter((line) =>
      /^(Total:|Running requirements|Expected failures|Stale|Unexpected|Baseline)|^\s+[~✓✗] /.test(line),
    )
    .join("\n");
}
