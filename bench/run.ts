/**
 * Runtime benchmark (not a test; nothing here decides pass or fail):
 *
 *   npm run bench                       # builds, measures, prints Markdown, writes bench/results/<date>.json
 *   npm run bench -- --baseline main    # also measures another build: a dist/ folder, or a git ref built into a scratch folder
 *   npm run bench -- --rounds 4 --calls 500 --rss-calls 2000 --no-build --no-crypto --no-profile
 *   npm run bench -- --bundle-only [--baseline <dist|ref>]
 *
 * 1. Start-up in the order today's clients use (issue 22), bench/raw-stdio.ts replaying each:
 *    Claude Code (`server/discover` at 2026-07-28, `initialize` on its error) and Codex (`initialize` at
 *    2025-06-18). Per spawn: spawn → tools/list answered, spawn → first tools/call answered, then RSS
 *    and V8 heap 2.5 s after that answer (bench/memory-probe.cjs, preloaded into every server alike).
 *    Every round spawns every server in both orders, interleaved; medians; ratios to server-github.
 * 2. Per-call overhead: a read tool through the server (raw JSON-RPC over stdio, in Claude Code's
 *    order) minus the same HTTP request sent straight to the sandbox, and the floor's stdio round
 *    trip; blocks interleaved between the paths (and the baseline).
 * 3. RSS of our server over many calls.
 * 4. Bundle: dist/ in total, and the files loaded before the first tools/list answer in Claude Code's
 *    order (bench/load-recorder.mjs traces a separate, untimed spawn).
 * 5. tools/list size per domain, the crypto benchmark (bench/crypto.ts --json), and where our start
 *    goes (bench/profile.ts; --no-profile skips it).
 */
import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { Agent, request } from "node:http";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { type Sandbox, startSandbox } from "../sandbox/sandbox.js";
import { toolListSizes } from "../scripts/tool-list-size.js";
import { TOOLS } from "../src/tools/registry.js";
import { profileColdStarts, renderProfile } from "./profile.js";
import { CLIENT_ORDERS, type ClientOrder, type Era, RawStdioProcess } from "./raw-stdio.js";
import { loadedBeforeAnswer, median, parseBenchOptions, percentile, ratio } from "./stats.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OURS_DIST = path.join(ROOT, "dist");
const PEER_DIR = path.join(tmpdir(), "raytio-mcp-bench-peers");
const GITHUB = "@modelcontextprotocol/server-github";
/**
 * The reference server issue 22's goals are ratios to: a 2025-era stdio server on the 1.x SDK, which
 * answers server/discover with "Method not found" as every 2025-era server does.
 */
const PEERS = [GITHUB] as const;
const FLOOR = "raw node JSON-RPC echo (the floor)";
const MEMORY_PROBE = path.join(ROOT, "bench/memory-probe.cjs");
const LOAD_RECORDER = path.join(ROOT, "bench/load-recorder.mjs");
/** Claude Code's order measures memory this long after the first tools/call answer (issue 22). */
const SETTLE_MS = 2_500;
const READ_TOOL = { name: "list_work_items", arguments: { limit: 10 } };
const ORDER_NAMES: Record<ClientOrder, string> = {
  "claude-code": "Claude Code 2.1.332 (server/discover at 2026-07-28, initialize at 2025-11-25 on its error)",
  codex: "Codex 0.171 (initialize at 2025-06-18)",
};

const OPTIONS = parseBenchOptions(process.argv.slice(2));
const flag = (name: string) => OPTIONS.flags.has(name);

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const round = (value: number, digits = 1) => Number(value.toFixed(digits));
const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
const load = () => loadavg().map((value) => round(value, 2));

function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match?.[1]) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

function machine() {
  return {
    date: new Date().toISOString(),
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? "unknown",
    ramGiB: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    loadAverageAtStart: load(),
  };
}

function table(header: string[], rows: Array<Array<string | number>>): string {
  const lines = [header, header.map(() => "---"), ...rows.map((row) => row.map(String))];
  return lines.map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

// ---------------------------------------------------------------------------------------------------
// Preparation: our build, the baseline, reference servers, sandbox

function build(): void {
  log("npm run build");
  const result = spawnSync("npm", ["run", "build"], { cwd: ROOT, stdio: ["ignore", 2, 2] });
  if (result.status !== 0) throw new Error("npm run build failed");
}

/** A build of this server measured beside the current one: its dist/ and what to call it. */
interface Build {
  label: string;
  dist: string;
  /** A scratch folder the bench built it in, removed at the end. */
  scratch?: string;
}

function versionBeside(dist: string): string {
  const manifest = path.join(dist, "..", "package.json");
  if (!existsSync(manifest)) return "";
  return (JSON.parse(readFileSync(manifest, "utf8")) as { version?: string }).version ?? "";
}

/**
 * `--baseline`: a built dist/ folder (or a checkout holding one), else a git ref of this repository,
 * built into a scratch folder with this checkout's node_modules (its build script without the type
 * check, which a dependency that moved since could fail without changing the bundle).
 */
function prepareBaseline(spec: string): Build {
  for (const dist of [path.resolve(spec), path.resolve(spec, "dist")]) {
    if (existsSync(path.join(dist, "index.js")))
      return {
        label: `baseline ${versionBeside(dist)} (${dist.startsWith(ROOT) ? path.relative(ROOT, dist) : dist})`,
        dist,
      };
  }
  const commit = spawnSync("git", ["rev-parse", "--verify", "--quiet", `${spec}^{commit}`], {
    cwd: ROOT,
    encoding: "utf8",
  }).stdout.trim();
  if (!commit) throw new Error(`--baseline ${spec} is neither a folder with index.js nor a git ref`);
  const dir = mkdtempSync(path.join(tmpdir(), "raytio-bench-baseline-"));
  log(`building ${spec} (${commit.slice(0, 10)}) into ${dir}`);
  const archive = spawnSync("git", ["archive", "--format=tar", commit], { cwd: ROOT, maxBuffer: 1024 ** 3 });
  if (archive.status !== 0) throw new Error(`git archive ${commit} failed`);
  const untar = spawnSync("tar", ["-x", "-C", dir], { input: archive.stdout });
  if (untar.status !== 0) throw new Error("could not unpack the baseline");
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as {
    version: string;
    scripts: { build: string };
  };
  const steps = manifest.scripts.build
    .split("&&")
    .map((step) => step.trim())
    .filter((step) => !step.startsWith("tsc "));
  const result = spawnSync("sh", ["-c", steps.join(" && ")], {
    cwd: dir,
    stdio: ["ignore", 2, 2],
    env: { ...process.env, PATH: `${path.join(ROOT, "node_modules/.bin")}:${process.env.PATH ?? ""}` },
  });
  if (result.status !== 0)
    throw new Error(`building the baseline ${spec} failed (its dependencies may differ)`);
  return {
    label: `baseline ${manifest.version} (${spec}, ${commit.slice(0, 10)})`,
    dist: path.join(dir, "dist"),
    scratch: dir,
  };
}

interface Peer {
  name: string;
  version: string;
  entry: string;
  args: string[];
  env: Record<string, string>;
}

function peerFromInstall(name: string): Peer | undefined {
  const dir = path.join(PEER_DIR, "node_modules", name);
  const manifestFile = path.join(dir, "package.json");
  if (!existsSync(manifestFile)) return undefined;
  const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as {
    version: string;
    bin?: string | Record<string, string>;
  };
  const bin = typeof manifest.bin === "string" ? manifest.bin : Object.values(manifest.bin ?? {})[0];
  if (!bin) return undefined;
  const entry = path.join(dir, bin);
  if (!existsSync(entry)) return undefined;
  return {
    name,
    version: manifest.version,
    entry,
    args: [],
    // server-github refuses to start without a token; no call here reaches GitHub.
    env: name.endsWith("server-github") ? { GITHUB_PERSONAL_ACCESS_TOKEN: "bench-not-a-real-token" } : {},
  };
}

/** Installs the reference server from npm into a scratch folder, once; later runs reuse it. */
async function installPeers(): Promise<Peer[]> {
  const existing = PEERS.map(peerFromInstall);
  if (existing.every(Boolean)) return existing as Peer[];
  mkdirSync(PEER_DIR, { recursive: true });
  log(`npm install ${PEERS.join(" ")} --prefix ${PEER_DIR}`);
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(
      "npm",
      ["install", "--prefix", PEER_DIR, "--no-audit", "--no-fund", "--loglevel=error", ...PEERS],
      { stdio: ["ignore", 2, 2] },
    );
    child.on("exit", resolve);
    child.on("error", () => resolve(1));
  });
  if (code !== 0) log("could not install the reference server; start-up is measured without it");
  return PEERS.map(peerFromInstall).filter((peer): peer is Peer => peer !== undefined);
}

function ourEnv(sandbox: Sandbox): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    RAYTIO_CONFIG_FILE: "",
    // Measured as shipped (audit on, to a file), but never into the user's own audit log.
    RAYTIO_AUDIT_LOG: path.join(tmpdir(), `raytio-bench-audit-${process.pid}.jsonl`),
    ...sandbox.configFor("agent", { RAYTIO_TOOL_DOMAINS: "dsm,ppm,prm,wrm" }),
  };
}

/** A server the start-up bench spawns: `node [preload] <entry> <args>`. */
interface Target {
  label: string;
  version: string;
  entry: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  /**
   * The first tools/call. Ours: a real read against the sandbox, which is signing in and loading the
   * tool modules included. server-github's every tool calls api.github.com, so its call is one it
   * answers locally (arguments refused by its schema): its dispatch, without a network trip.
   */
  firstCall: { name: string; arguments: Record<string, unknown>; mustSucceed: boolean };
}

function ourTarget(build: Build, sandbox: Sandbox, ourVersion: string): Target {
  return {
    label: build.label,
    version: build.dist === OURS_DIST ? ourVersion : "",
    entry: path.join(build.dist, "index.js"),
    args: [],
    env: ourEnv(sandbox),
    firstCall: { ...READ_TOOL, mustSucceed: true },
  };
}

function peerTarget(peer: Peer): Target {
  return {
    label: peer.name,
    version: peer.version,
    entry: peer.entry,
    args: peer.args,
    env: { PATH: process.env.PATH ?? "", ...peer.env },
    cwd: PEER_DIR,
    firstCall: { name: "get_issue", arguments: {}, mustSucceed: false },
  };
}

const FLOOR_TARGET: Target = {
  label: FLOOR,
  version: "",
  entry: path.join(ROOT, "bench/floor-server.mjs"),
  args: [],
  env: { PATH: process.env.PATH ?? "" },
  firstCall: { name: "echo", arguments: {}, mustSucceed: true },
};

// ---------------------------------------------------------------------------------------------------
// 1. Start-up in clients' orders

interface StartUpSample {
  era: Era;
  tools: number;
  toolsListMs: number;
  firstCallMs: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
}

async function startUpOnce(target: Target, order: ClientOrder, scratch: string): Promise<StartUpSample> {
  const memoryFile = path.join(scratch, `memory-${performance.now()}.json`);
  const started = performance.now();
  const server = new RawStdioProcess(
    process.execPath,
    ["--require", MEMORY_PROBE, target.entry, ...target.args],
    { ...target.env, RAYTIO_BENCH_MEMORY_FILE: memoryFile },
    target.cwd,
  );
  try {
    const { era, listed, listedAt } = await server.open(order);
    const called = await server.callTool(target.firstCall.name, target.firstCall.arguments);
    const calledAt = performance.now();
    const result = called.result as { isError?: boolean; content?: unknown } | undefined;
    if (target.firstCall.mustSucceed && (!result || result.isError))
      throw new Error(`${target.label}: the first call failed: ${JSON.stringify(called).slice(0, 500)}`);
    await sleep(SETTLE_MS);
    const pid = server.child.pid;
    if (!pid) throw new Error(`${target.label} has no pid`);
    const rssFromProc = rssBytes(pid);
    server.child.kill("SIGUSR2");
    for (let waited = 0; !existsSync(memoryFile) && waited < 5_000; waited += 10) await sleep(10);
    const memory = JSON.parse(readFileSync(memoryFile, "utf8")) as { heapUsed: number; heapTotal: number };
    return {
      era,
      tools: ((listed.result as { tools?: unknown[] }).tools ?? []).length,
      toolsListMs: listedAt - started,
      firstCallMs: calledAt - started,
      rss: rssFromProc,
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
    };
  } finally {
    await server.stop();
    rmSync(memoryFile, { force: true });
  }
}

interface StartUpRow {
  order: ClientOrder;
  label: string;
  version: string;
  era: Era;
  tools: number;
  spawns: number;
  toolsListMs: number;
  firstCallMs: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  /** Every spawn's figures, for the JSON: RSS in particular can be bimodal (a GC before or after). */
  samples: StartUpSample[];
}

async function startUp(targets: readonly Target[]): Promise<StartUpRow[]> {
  const scratch = mkdtempSync(path.join(tmpdir(), "raytio-bench-memory-"));
  const samples = new Map<string, StartUpSample[]>();
  const key = (order: ClientOrder, target: Target) => `${order}\u0000${target.label}`;
  try {
    // One untimed spawn each warms the OS file cache, so the first target is not penalised.
    for (const target of targets) await startUpOnce(target, "codex", scratch);
    // Interleaved: load from other processes on a shared machine hits every server and order alike.
    for (let index = 0; index < OPTIONS.rounds; index += 1) {
      log(`start-up round ${index + 1} of ${OPTIONS.rounds} (load ${load().join(", ")})`);
      for (const order of CLIENT_ORDERS) {
        for (const target of targets) {
          const list = samples.get(key(order, target)) ?? [];
          list.push(await startUpOnce(target, order, scratch));
          samples.set(key(order, target), list);
        }
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return CLIENT_ORDERS.flatMap((order) =>
    targets.map((target) => {
      const runs = samples.get(key(order, target)) ?? [];
      const eras = new Set(runs.map((run) => run.era));
      return {
        order,
        label: target.label,
        version: target.version,
        era: eras.size === 1 ? (runs[0]?.era ?? "legacy") : "legacy",
        tools: runs[0]?.tools ?? 0,
        spawns: runs.length,
        toolsListMs: round(median(runs.map((run) => run.toolsListMs))),
        firstCallMs: round(median(runs.map((run) => run.firstCallMs))),
        rss: median(runs.map((run) => run.rss)),
        heapUsed: median(runs.map((run) => run.heapUsed)),
        heapTotal: median(runs.map((run) => run.heapTotal)),
        samples: runs,
      };
    }),
  );
}

function startUpTables(rows: readonly StartUpRow[]): string[] {
  const out: string[] = [];
  for (const order of CLIENT_ORDERS) {
    const inOrder = rows.filter((row) => row.order === order);
    const github = inOrder.find((row) => row.label === GITHUB);
    const versus = (pick: (row: StartUpRow) => number, row: StartUpRow) =>
      github ? ratio(pick(row), pick(github)) : "–";
    out.push(
      `**${ORDER_NAMES[order]}**: median of ${inOrder[0]?.spawns ?? 0} spawns each; ratio = that server ÷ server-github (goals for ours: tools/list ≤ 1.0, first call ≤ 1.5, RSS ≤ 1.0).`,
      "",
      table(
        [
          "server",
          "era",
          "tools",
          "→ tools/list",
          "→ first tools/call",
          "RSS 2.5 s later (min–max)",
          "heap used / total",
          "ratio list",
          "ratio call",
          "ratio RSS",
          "ratio heap total",
        ],
        inOrder.map((row) => [
          row.version ? `${row.label} ${row.version}` : row.label,
          row.era === "modern" ? "2026-07-28" : "2025",
          row.tools,
          `${row.toolsListMs} ms`,
          `${row.firstCallMs} ms`,
          `${mib(row.rss)} (${(Math.min(...row.samples.map((run) => run.rss)) / 1024 ** 2).toFixed(1)}–${mib(Math.max(...row.samples.map((run) => run.rss)))})`,
          `${mib(row.heapUsed)} / ${mib(row.heapTotal)}`,
          versus((r) => r.toolsListMs, row),
          versus((r) => r.firstCallMs, row),
          versus((r) => r.rss, row),
          versus((r) => r.heapTotal, row),
        ]),
      ),
      "",
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// 2 and 3. Per-call overhead and memory over many calls

interface LatencyStats {
  calls: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

function latencyStats(samples: readonly number[]): LatencyStats {
  return {
    calls: samples.length,
    p50Ms: round(percentile(samples, 50), 3),
    p99Ms: round(percentile(samples, 99), 3),
    meanMs: round(samples.reduce((sum, value) => sum + value, 0) / samples.length, 3),
  };
}

interface CallPath {
  label: string;
  call: () => Promise<void>;
}

async function stdioPath(label: string, target: Target, call: { name: string; arguments: object }) {
  const server = new RawStdioProcess(
    process.execPath,
    [target.entry, ...target.args],
    target.env,
    target.cwd,
  );
  const { era } = await server.open("claude-code");
  const path: CallPath = {
    label: `${label} (stdio, ${era === "modern" ? "2026-07-28" : "2025 era"})`,
    call: async () => {
      const answer = await server.callTool(call.name, call.arguments as Record<string, unknown>);
      const result = answer.result as { isError?: boolean } | undefined;
      if (!result || result.isError)
        throw new Error(`${label}: call failed: ${JSON.stringify(answer).slice(0, 300)}`);
    },
  };
  return { server, path };
}

/** The exact request our server sent for its last read, replayed straight to the sandbox. */
function directPath(sandbox: Sandbox): { path: CallPath; agent: Agent; request: string } {
  const recorded = sandbox.requests.findLast(
    (entry) => entry.method === "GET" && entry.url.startsWith("/db/v1/ppm_work_item?"),
  );
  if (!recorded) throw new Error("the server's API request was not recorded");
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(recorded.headers)) {
    if (typeof value === "string" && !["host", "connection", "content-length"].includes(name))
      headers[name] = value;
  }
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(recorded.url, sandbox.url);
  const call = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(target, { method: "GET", headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          if ((res.statusCode ?? 0) >= 300) reject(new Error(`direct call answered ${res.statusCode}`));
          else {
            JSON.parse(Buffer.concat(chunks).toString("utf8"));
            resolve();
          }
        });
      });
      req.on("error", reject);
      req.end();
    });
  return {
    path: { label: "the same HTTP request straight to the sandbox", call },
    agent,
    request: `GET ${target.pathname}?${target.searchParams.toString().slice(0, 80)}…`,
  };
}

async function perCall(builds: readonly Target[]) {
  const servers: RawStdioProcess[] = [];
  const agents: Agent[] = [];
  try {
    const paths: CallPath[] = [];
    for (const target of builds) {
      const opened = await stdioPath(target.label, target, READ_TOOL);
      servers.push(opened.server);
      paths.push(opened.path);
    }
    const floor = await stdioPath("the floor's echo", FLOOR_TARGET, FLOOR_TARGET.firstCall);
    servers.push(floor.server);
    for (const each of paths) for (let i = 0; i < 50; i += 1) await each.call();
    const direct = directPath(SANDBOX);
    agents.push(direct.agent);
    const all = [...paths, direct.path, floor.path];
    for (const each of all.slice(-2)) for (let i = 0; i < 50; i += 1) await each.call();

    const timings = new Map<CallPath, number[]>(all.map((each) => [each, []]));
    const blocks = 5;
    const perBlock = Math.max(1, Math.ceil(OPTIONS.calls / blocks));
    log(`per call: ${blocks} interleaved blocks of ${perBlock} calls on ${all.length} paths`);
    for (let block = 0; block < blocks; block += 1) {
      for (const each of all) {
        const list = timings.get(each) ?? [];
        for (let i = 0; i < perBlock; i += 1) {
          const started = performance.now();
          await each.call();
          list.push(performance.now() - started);
        }
      }
    }
    const directStats = latencyStats(timings.get(direct.path) ?? []);
    return {
      tool: READ_TOOL,
      apiRequest: direct.request,
      rows: all.map((each) => {
        const stats = latencyStats(timings.get(each) ?? []);
        const isServer = paths.includes(each);
        return {
          path: each.label,
          ...stats,
          overheadP50Ms: isServer ? round(stats.p50Ms - directStats.p50Ms, 3) : null,
          overheadP99Ms: isServer ? round(stats.p99Ms - directStats.p99Ms, 3) : null,
        };
      }),
    };
  } finally {
    for (const agent of agents) agent.destroy();
    for (const server of servers) await server.stop();
  }
}

async function memoryOverCalls(target: Target) {
  const server = new RawStdioProcess(process.execPath, [target.entry], target.env);
  try {
    await server.open("claude-code");
    const pid = server.child.pid;
    if (!pid) throw new Error("server has no pid");
    const samples: Array<{ afterCalls: number; rss: number }> = [{ afterCalls: 0, rss: rssBytes(pid) }];
    let calls = 0;
    const sampleEvery = Math.max(500, Math.floor(OPTIONS.rssCalls / 10));
    let nextSample = sampleEvery;
    log(`memory: ${OPTIONS.rssCalls} calls, ${OPTIONS.concurrency} at a time`);
    const worker = async () => {
      while (calls < OPTIONS.rssCalls) {
        calls += 1;
        const answer = await server.callTool(READ_TOOL.name, READ_TOOL.arguments);
        const result = answer.result as { isError?: boolean } | undefined;
        if (!result || result.isError)
          throw new Error(`read tool failed: ${JSON.stringify(answer).slice(0, 300)}`);
        if (calls >= nextSample) {
          nextSample += sampleEvery;
          samples.push({ afterCalls: calls, rss: rssBytes(pid) });
        }
      }
    };
    await Promise.all(Array.from({ length: OPTIONS.concurrency }, worker));
    if (samples.at(-1)?.afterCalls !== calls) samples.push({ afterCalls: calls, rss: rssBytes(pid) });
    return samples;
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------------
// 4. Bundle

interface BundleSize {
  label: string;
  /** Every .js file of dist/ (the chunks of the bundle). */
  jsBytes: number;
  jsFiles: number;
  /** Everything in dist/ (data files and the licence notice included). */
  allBytes: number;
  /** The chunks loaded before the first tools/list answer, in Claude Code's order. */
  beforeListBytes: number;
  beforeListFiles: string[];
  catalogueBytes: number | undefined;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
  );
}

/** dist/ on disk, and a traced spawn in Claude Code's order for what loads before tools/list. */
async function bundleSize(label: string, dist: string, env: Record<string, string>): Promise<BundleSize> {
  const files = filesUnder(dist);
  const js = files.filter((file) => file.endsWith(".js"));
  const size = (list: readonly string[]) => list.reduce((sum, file) => sum + statSync(file).size, 0);
  const trace = path.join(mkdtempSync(path.join(tmpdir(), "raytio-bench-trace-")), "trace");
  writeFileSync(trace, "");
  const server = new RawStdioProcess(
    process.execPath,
    ["--import", LOAD_RECORDER, path.join(dist, "index.js")],
    { ...env, RAYTIO_BENCH_LOAD_TRACE: trace },
  );
  let beforeList: string[];
  try {
    const { listed } = await server.open("claude-code");
    beforeList = loadedBeforeAnswer(readFileSync(trace, "utf8"), listed.id as number, dist);
  } finally {
    await server.stop();
    rmSync(path.dirname(trace), { recursive: true, force: true });
  }
  // The tools/list a stdio server answers from: tool-catalogue.json, or before 2.x dist/handshake.json.
  const catalogue = ["tool-catalogue.json", "handshake.json"]
    .map((name) => path.join(dist, name))
    .find((file) => existsSync(file));
  return {
    label,
    jsBytes: size(js),
    jsFiles: js.length,
    allBytes: size(files),
    beforeListBytes: size(beforeList),
    beforeListFiles: beforeList.map((file) => path.basename(file)),
    catalogueBytes: catalogue ? statSync(catalogue).size : undefined,
  };
}

function bundleTable(sizes: readonly BundleSize[]): string[] {
  return [
    '**Bundle** (dist/ on disk; "before tools/list" = the chunks a spawn opened in Claude Code\'s order had loaded when it wrote the tools/list answer, traced by bench/load-recorder.mjs):',
    "",
    table(
      ["build", "JS chunks", "JS total", "dist/ total", "JS loaded before tools/list", "catalogue (.json)"],
      sizes.map((size) => [
        size.label,
        size.jsFiles,
        kib(size.jsBytes),
        kib(size.allBytes),
        `${kib(size.beforeListBytes)} in ${size.beforeListFiles.length} files`,
        size.catalogueBytes === undefined ? "–" : kib(size.catalogueBytes),
      ]),
    ),
  ];
}

// ---------------------------------------------------------------------------------------------------
// 5. tools/list size and crypto

function cryptoBench(): Record<string, unknown> | undefined {
  log("bench/crypto.ts --json");
  const result = spawnSync(process.execPath, ["--import", "tsx", "bench/crypto.ts", "--json"], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 10 * 1024 * 1024,
  });
  if (result.status !== 0) {
    log(`crypto bench failed: ${result.stderr.slice(-500)}`);
    return undefined;
  }
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

function cryptoTable(crypto: Record<string, unknown>): string[] {
  const pbkdf2 = crypto.pbkdf2 as Record<string, number>;
  const records = crypto.records as Record<string, number> & { afterFirst: Record<string, number> };
  const comparison = crypto.comparison as Record<string, number>;
  return [
    "Crypto (`bench/crypto.ts --json`):",
    "",
    table(
      ["measure", "value"],
      [
        [`PBKDF2-SHA-256 × ${pbkdf2.iterations}`, `${pbkdf2.bareMedianMs} ms`],
        ["open the user-key envelope (PBKDF2 + GCM)", `${pbkdf2.userKeyEnvelopeOpenMedianMs} ms`],
        ["first record, fresh keyring", `${records.firstRecordMs} ms`],
        [
          `records after the first (${(records.count ?? 1) - 1}, RSA-4096 app key)`,
          `${records.afterFirst.recordsPerSecond} records/s (${records.afterFirst.perRecordMs} ms each)`,
        ],
        ["bare RSA-OAEP-4096 unwrap", `${comparison.bareRsaOaep4096UnwrapMs} ms`],
        ["record open ÷ (bare RSA unwrap + bare AES)", `${comparison.recordOpenOverBareRsaPlusAes}×`],
      ],
    ),
  ];
}

// ---------------------------------------------------------------------------------------------------

let SANDBOX!: Sandbox;

async function main(): Promise<void> {
  const benchStarted = performance.now();
  const info = machine();
  const peersInstall =
    flag("--no-peers") || flag("--bundle-only") ? Promise.resolve([] as Peer[]) : installPeers();
  if (!flag("--no-build") || !existsSync(path.join(OURS_DIST, "index.js"))) build();
  const ourVersion = (
    JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }
  ).version;
  const builds: Build[] = [{ label: "@raytio/mcp-server (this build)", dist: OURS_DIST }];
  if (OPTIONS.baseline) builds.push(prepareBaseline(OPTIONS.baseline));
  log("starting a seeded sandbox");
  SANDBOX = await startSandbox({ keyBits: 2048, pbkdf2Iterations: 1_000 });
  const peers = await peersInstall;

  try {
    const bundles: BundleSize[] = [];
    for (const each of builds) bundles.push(await bundleSize(each.label, each.dist, ourEnv(SANDBOX)));
    if (flag("--bundle-only")) {
      process.stdout.write(`${bundleTable(bundles).join("\n")}\n`);
      return;
    }
    const ours = builds.map((each) => ourTarget(each, SANDBOX, ourVersion));
    const github = peers.find((peer) => peer.name === GITHUB);
    const targets = [...ours, ...(github ? [peerTarget(github)] : []), FLOOR_TARGET];
    log(`start-up: ${OPTIONS.rounds} rounds × ${CLIENT_ORDERS.length} orders × ${targets.length} servers`);
    const started = await startUp(targets);
    const calls = await perCall(ours);
    const memory = flag("--no-rss") ? undefined : await memoryOverCalls(ours[0] as Target);
    if (!flag("--no-profile")) log("profiling 5 start-ups (bench/profile.ts)");
    const profile = flag("--no-profile") ? undefined : await profileColdStarts(5);
    const sizes = await toolListSizes(TOOLS);
    const crypto = flag("--no-crypto") ? undefined : cryptoBench();
    const loadAtEnd = load();
    const runtimeSeconds = round((performance.now() - benchStarted) / 1000);

    const results = {
      machine: { ...info, loadAverageAtEnd: loadAtEnd },
      settings: { ...OPTIONS, flags: [...OPTIONS.flags], settleMs: SETTLE_MS },
      startUp: started,
      perCall: calls,
      memoryOverCalls: memory,
      bundle: bundles,
      startUpProfile: profile,
      toolsList: sizes,
      crypto,
      runtimeSeconds,
    };
    const resultsDir = path.join(ROOT, "bench/results");
    mkdirSync(resultsDir, { recursive: true });
    const file = path.join(resultsDir, `${info.date.slice(0, 10)}.json`);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);

    const out: string[] = [
      `Measured ${info.date.slice(0, 16).replace("T", " ")} UTC on ${info.nproc} × ${info.cpu}, ${info.ramGiB} GiB RAM, ` +
        `Node ${info.node}; load average ${info.loadAverageAtStart.join(", ")} at the start, ${loadAtEnd.join(", ")} at the end; ` +
        `bench runtime ${runtimeSeconds} s.`,
      "",
      ...startUpTables(started),
      `**Per call** (\`${READ_TOOL.name} ${JSON.stringify(READ_TOOL.arguments)}\`, ${calls.rows[0]?.calls ?? 0} sequential calls per path in 5 interleaved blocks; overhead = that path − the direct HTTP request, ${calls.apiRequest}):`,
      "",
      table(
        ["path", "p50", "p99", "mean", "overhead p50", "overhead p99"],
        calls.rows.map((row) => [
          row.path,
          `${row.p50Ms} ms`,
          `${row.p99Ms} ms`,
          `${row.meanMs} ms`,
          row.overheadP50Ms === null ? "" : `${row.overheadP50Ms} ms`,
          row.overheadP99Ms === null ? "" : `${row.overheadP99Ms} ms`,
        ]),
      ),
      "",
      ...(memory
        ? [
            `**Memory over calls** (our server, VmRSS, ${OPTIONS.concurrency} calls at a time): ${memory
              .map((sample) => `${sample.afterCalls}: ${mib(sample.rss)}`)
              .join(", ")}`,
            "",
          ]
        : []),
      ...bundleTable(bundles),
      "",
      ...(profile
        ? [
            "Where our start goes (bench/profile.ts: CPU profile of the same bundle built unminified, Claude Code's order, samples up to the tools/list answer, by source module; median of 5 spawns):",
            "",
            renderProfile(profile),
            "",
          ]
        : []),
      "tools/list size per domain (bytes of the result's JSON; tokens of what a model is shown: each tool's name, description and input schema, o200k_base):",
      "",
      table(
        ["domain", "tools", "bytes", "model-visible tokens"],
        sizes.map((row) => [row.domain, row.tools, row.bytes, row.modelTokens]),
      ),
      ...(crypto ? ["", ...cryptoTable(crypto)] : []),
      "",
      `JSON: ${path.relative(ROOT, file)}`,
    ];
    process.stdout.write(`${out.join("\n")}\n`);
  } finally {
    for (const each of builds) if (each.scratch) rmSync(each.scratch, { recursive: true, force: true });
    await SANDBOX.stop();
  }
}

await main();
