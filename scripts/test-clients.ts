import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
 * one read tool call, one failing call with its documented exit codes 0 and 5). For Claude Code and
 * Codex it reads the server's own log (each client starts the server through a wrapper that keeps its
 * stderr) to show the protocol era each one negotiated and that it was sent the tool list: Claude Code
 * opens with server/discover at 2026-07-28, Codex with initialize at 2025-06-18.
 *
 * Usage: npm run build && npm run test:clients
 */
const CLIENTS = {
  "@anthropic-ai/claude-code": "2.1.332",
  "@openai/codex": "0.171.0",
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

/**
 * A command that starts the server with its stderr kept in `log`: the clients keep a server's stderr
 * to themselves (or drop it), and this test reads what the server says about the client.
 */
function loggedServer(name: string): { command: string; log: string } {
  const log = path.join(work, `${name}-server.log`);
  const command = path.join(work, `${name}-server.sh`);
  writeFileSync(
    command,
    `#!/bin/sh\nRAYTIO_LOG_LEVEL=debug exec ${JSON.stringify(process.execPath)} ${JSON.stringify(server)} "$@" 2>>${JSON.stringify(log)}\n`,
  );
  chmodSync(command, 0o755);
  return { command, log };
}

const readLog = (log: string) => (existsSync(log) ? readFileSync(log, "utf8") : "");

/** The server's own account of how a client came in, and whether it was sent the tools. */
function eraSeen(log: string, expected: RegExp): { ok: boolean; detail: string } {
  const text = readLog(log);
  const opened = text.split("\n").find((line) => /MCP client .* (opened|connected) with/.test(line));
  const listed = text.split("\n").find((line) => /Sent the client \d+ tools \(tools\/list/.test(line));
  return {
    ok: opened !== undefined && expected.test(opened) && listed !== undefined,
    detail: `${opened?.replace(/^.*MCP client /, "") ?? "no client line in the server log"}; ${
      listed?.replace(/^.*Sent the client /, "sent ") ?? "no tools/list in the server log"
    }`,
  };
}

try {
  // Claude Code: `mcp get` really spawns the server and runs the handshake and tools/list.
  const claudeHome = mkdtempSync(path.join(work, "claude-"));
  const claudeEnv = { HOME: claudeHome, MCP_TIMEOUT: "30000" };
  const claudeServer = loggedServer("claude");
  const add = await sh(
    bin("claude"),
    ["mcp", "add", "raytio", "-e", `RAYTIO_CONFIG_FILE=${configFile}`, "--", claudeServer.command],
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
  const claudeEra = eraSeen(claudeServer.log, /opened with server\/discover at protocol 2026-07-28/);
  record(
    "Claude Code negotiated 2026-07-28 and listed the tools (server log)",
    claudeEra.ok,
    claudeEra.detail,
  );

  // Codex: `debug prompt-input` spawns every configured server and lists the ones that started.
  const codexHome = mkdtempSync(path.join(work, "codex-"));
  const codexEnv = { HOME: codexHome, CODEX_HOME: path.join(codexHome, ".codex") };
  mkdirSync(codexEnv.CODEX_HOME, { recursive: true });
  const codexServer = loggedServer("codex");
  const codexAdd = await sh(
    bin("codex"),
    [
      "mcp",
      "add",
      "raytio",
      "--env",
      `RAYTIO_CONFIG_FILE=${configFile}`,
      // `debug prompt-input` ends as soon as its prompt is rendered; with the domains fixed, tools/list
      // is answered at once instead of after sign-in and the role lookup, so Codex sees the tools.
      "--env",
      "RAYTIO_TOOL_DOMAINS=dsm,ppm,prm,wrm",
      "--",
      codexServer.command,
    ],
    codexEnv,
  );
  record("codex mcp add", codexAdd.code === 0, codexAdd.code === 0 ? "" : codexAdd.stderr.trim());
  // `debug prompt-input` spawns every configured server and renders the model's prompt, which names
  // each server that started as a deferred tool namespace (mcp__<name>).
  const prompt = await sh(bin("codex"), ["debug", "prompt-input", "hi"], codexEnv);
  const complaint = prompt.stderr
    .split("\n")
    .find((line) => /raytio/i.test(line) && /(fail|error|timed out)/i.test(line));
  record(
    "codex debug prompt-input lists mcp__raytio and reports no failure of it",
    prompt.code === 0 && complaint === undefined && prompt.stdout.includes("mcp__raytio"),
    prompt.code !== 0 ? prompt.stderr.trim().slice(0, 300) : (complaint ?? ""),
  );
  const codexEra = eraSeen(
    codexServer.log,
    /connected with initialize at protocol 2025-\d\d-\d\d \(the 2025 era\)/,
  );
  record("Codex negotiated the 2025 era and listed the tools (server log)", codexEra.ok, codexEra.detail);

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
