import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startSandbox } from "../sandbox/sandbox.js";

/**
 * Proves the built server works with the MCP clients people use, each installed from npm into a
 * scratch folder and run with a temporary HOME against a local sandbox:
 * Claude Code (`claude mcp add` + `claude mcp get` → Connected), Codex (`codex mcp add` +
 * `codex debug prompt-input` lists the server's namespace) and the MCP Inspector CLI (tools/list,
 * one read tool call, one failing call with its documented exit codes 0 and 5).
 *
 * Usage: npm run build && npm run test:clients
 */
const CLIENTS = {
  "@anthropic-ai/claude-code": "2.1.329",
  "@openai/codex": "0.169.0",
  "@modelcontextprotocol/inspector": "2.12.0",
};

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const server = path.join(root, "dist/index.js");
const work = mkdtempSync(path.join(tmpdir(), "raytio-clients-"));
const results: Array<{ check: string; ok: boolean; detail: string }> = [];

async function sh(command: string, args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(command, args, {
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 180_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: number | string; stdout?: string; stderr?: string };
    return {
      code: typeof failure.code === "number" ? failure.code : 1,
      stdout: failure.stdout ?? "",
      stderr: failure.stderr ?? String(error),
    };
  }
}

function record(check: string, ok: boolean, detail: string) {
  results.push({ check, ok, detail });
  console.log(`${ok ? "ok  " : "FAIL"}  ${check}${detail ? `: ${detail}` : ""}`);
}

if (!existsSync(server)) {
  console.error("dist/index.js is missing: run `npm run build` first.");
  process.exit(1);
}

const clients = path.join(work, "clients");
mkdirSync(clients);
console.log(
  `Installing ${Object.entries(CLIENTS)
    .map(([name, version]) => `${name}@${version}`)
    .join(", ")} ...`,
);
const install = await sh("npm", [
  "install",
  "--prefix",
  clients,
  "--no-audit",
  "--no-fund",
  "--loglevel=error",
  ...Object.entries(CLIENTS).map(([name, version]) => `${name}@${version}`),
]);
if (install.code !== 0) {
  console.error(install.stderr);
  process.exit(1);
}
const bin = (name: string) => path.join(clients, "node_modules/.bin", name);

const sandbox = await startSandbox({ keyBits: 2048, pbkdf2Iterations: 10_000 });
const configFile = path.join(work, "raytio.env");
sandbox.writeConfig(configFile, "agent");
const env = { RAYTIO_CONFIG_FILE: configFile };

try {
  // Claude Code: `mcp get` really spawns the server and runs the handshake and tools/list.
  const claudeHome = mkdtempSync(path.join(work, "claude-"));
  const claudeEnv = { HOME: claudeHome, MCP_TIMEOUT: "30000" };
  const add = await sh(
    bin("claude"),
    ["mcp", "add", "raytio", "-e", `RAYTIO_CONFIG_FILE=${configFile}`, "--", process.execPath, server],
    claudeEnv,
  );
  record("claude mcp add", add.code === 0, add.code === 0 ? "" : add.stderr.trim());
  const get = await sh(bin("claude"), ["mcp", "get", "raytio"], claudeEnv);
  const connected = /✔ Connected|Status:\s*✔?\s*connected/i.test(get.stdout);
  record(
    "claude mcp get reports Connected",
    connected,
    get.stdout
      .split("\n")
      .find((line) => /Status/.test(line))
      ?.trim() ?? get.stderr.trim(),
  );

  // Codex: `debug prompt-input` spawns every configured server and lists the ones that started.
  const codexHome = mkdtempSync(path.join(work, "codex-"));
  const codexEnv = { HOME: codexHome, CODEX_HOME: path.join(codexHome, ".codex") };
  mkdirSync(codexEnv.CODEX_HOME, { recursive: true });
  const codexAdd = await sh(
    bin("codex"),
    ["mcp", "add", "raytio", "--env", `RAYTIO_CONFIG_FILE=${configFile}`, "--", process.execPath, server],
    codexEnv,
  );
  record("codex mcp add", codexAdd.code === 0, codexAdd.code === 0 ? "" : codexAdd.stderr.trim());
  // Codex 0.169 defers every MCP tool behind tool search (its feature tool_search_always_defer_mcp_tools
  // is fixed on), so the prompt no longer names mcp__raytio, and it may end before the server it spawned
  // has signed in. What it can show reliably: with raytio configured the prompt renders and Codex reports
  // no failure of the server. Whether the server got as far as signing in is shown, not required.
  const signInsBefore = sandbox.cognito.stats().srpSignIns;
  const prompt = await sh(bin("codex"), ["debug", "prompt-input", "hi"], codexEnv);
  const signIns = sandbox.cognito.stats().srpSignIns - signInsBefore;
  const complaint = prompt.stderr
    .split("\n")
    .find((line) => /raytio/i.test(line) && /(fail|error|timed out)/i.test(line));
  record(
    "codex debug prompt-input renders with raytio configured and reports no failure of it",
    prompt.code === 0 && complaint === undefined,
    prompt.code !== 0
      ? prompt.stderr.trim().slice(0, 300)
      : (complaint ?? `the server Codex started signed in ${signIns} time${signIns === 1 ? "" : "s"}`),
  );

  // MCP Inspector CLI.
  const inspector = (args: string[]) =>
    sh(
      bin("mcp-inspector"),
      [
        "--cli",
        "-q",
        "--format",
        "json",
        "-e",
        `RAYTIO_CONFIG_FILE=${configFile}`,
        ...args,
        "--",
        process.execPath,
        server,
      ],
      env,
    );
  const list = await inspector(["--method", "tools/list"]);
  let listed: string[] = [];
  try {
    // The Inspector prints the JSON-RPC result object: {"result":{"tools":[...]}}.
    listed = (JSON.parse(list.stdout) as { result: { tools: Array<{ name: string }> } }).result.tools.map(
      (tool) => tool.name,
    );
  } catch {
    listed = [];
  }
  record(
    "inspector tools/list (exit 0)",
    list.code === 0 && listed.includes("list_work_items"),
    `exit ${list.code}, ${listed.length} tools`,
  );
  const read = await inspector([
    "--method",
    "tools/call",
    "--tool-name",
    "list_work_items",
    "--tool-args-json",
    '{"limit":2}',
  ]);
  record(
    "inspector calls a read tool (exit 0)",
    read.code === 0 && read.stdout.includes("work item"),
    `exit ${read.code}`,
  );
  const failing = await inspector([
    "--method",
    "tools/call",
    "--tool-name",
    "list_work_items",
    "--tool-args-json",
    '{"cursor":"not-a-cursor"}',
  ]);
  record(
    "inspector calls a failing tool (exit 5)",
    failing.code === 5 && `${failing.stdout}${failing.stderr}`.includes("VALIDATION"),
    `exit ${failing.code}`,
  );
} finally {
  await sandbox.stop();
  rmSync(work, { recursive: true, force: true });
}

const failed = results.filter((result) => !result.ok).length;
console.log(`\n${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
