/**
 * Runtime benchmark (not a test; nothing here decides pass or fail):
 *
 *   npm run bench                 # builds, measures, prints Markdown tables, writes bench/results/<date>.json
 *   npm run bench -- --spawns 10 --calls 500 --rss-calls 5000 --no-peers --no-build --no-crypto
 *
 * 1. Cold start: time from spawning `node dist/index.js` to the `initialize` answer and to a complete
 *    `tools/list` (all four domains chosen statically, so nothing waits for the network), median of
 *    N spawns, interleaved with two reference servers from npm started the same way.
 * 2. Per-call overhead: p50/p99 of a read tool called through the server (SDK client over stdio)
 *    minus the same HTTP request (URL, query, headers, token) sent straight to the sandbox.
 * 3. RSS of the server process after start and after 10,000 calls.
 * 4. tools/list size per domain, and the crypto benchmark's figures (bench/crypto.ts --json).
 * 5. Where our cold start's milliseconds go: bench/profile.ts over 5 profiled spawns (--no-profile
 *    skips it).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { type Sandbox, startSandbox } from "../sandbox/sandbox.js";
import { toolListSizes } from "../scripts/tool-list-size.js";
import { TOOLS } from "../src/tools/registry.js";
import { profileColdStarts, renderProfile } from "./profile.js";
import { RawStdioProcess } from "./raw-stdio.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SERVER_ENTRY = path.join(ROOT, "dist/index.js");
const PEER_DIR = path.join(tmpdir(), "raytio-mcp-bench-peers");
const PEERS = ["@modelcontextprotocol/server-everything", "@modelcontextprotocol/server-github"] as const;
const READ_TOOL = { name: "list_work_items", arguments: { limit: 10 } };
const FLOOR = "a raw node JSON-RPC echo (the floor)";
const GITHUB = "@modelcontextprotocol/server-github";

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  const value = index === -1 ? undefined : Number(process.argv[index + 1]);
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : fallback;
}
const flag = (name: string) => process.argv.includes(name);

const SPAWNS = option("--spawns", 20);
const CALLS = option("--calls", 1000);
const RSS_CALLS = option("--rss-calls", 10_000);
const CONCURRENCY = option("--concurrency", 4);

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const round = (value: number, digits = 1) => Number(value.toFixed(digits));

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}
const median = (values: readonly number[]) => percentile(values, 50);

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match?.[1]) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]);
}

function machine() {
  return {
    date: new Date().toISOString(),
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? "unknown",
    ramGiB: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    loadAverageAtStart: loadavg().map((value) => round(value, 2)),
  };
}

// ---------------------------------------------------------------------------------------------------
// Preparation: build, reference servers, sandbox

function build(): void {
  log("npm run build");
  const result = spawnSync("npm", ["run", "build"], { cwd: ROOT, stdio: ["ignore", 2, 2] });
  if (result.status !== 0) throw new Error("npm run build failed");
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
    // server-everything picks its transport from argv[2] ("stdio" is also its default).
    args: name.endsWith("server-everything") ? ["stdio"] : [],
    // server-github refuses to start without a token; it is never used (tools/list needs no API call).
    env: name.endsWith("server-github") ? { GITHUB_PERSONAL_ACCESS_TOKEN: "bench-not-a-real-token" } : {},
  };
}

/** Installs the reference servers from npm into a scratch folder, once; later runs reuse it. */
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
  if (code !== 0) log("could not install the reference servers; cold start is measured for ours only");
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

// ---------------------------------------------------------------------------------------------------
// 1. Cold start

interface ColdStartTarget {
  label: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
}

interface ColdStartSample {
  initializeMs: number;
  toolsListMs: number;
  tools: number;
  toolsListBytes: number;
  /** VmRSS read the moment the tools/list answer arrived. */
  rssAfterListKiB: number;
}

async function coldStartOnce(target: ColdStartTarget): Promise<ColdStartSample> {
  const started = performance.now();
  const server = new RawStdioProcess(target.command, target.args, target.env, target.cwd);
  try {
    const { initialized, initializedAt, listed, listedAt } = await server.handshake();
    const initializeMs = initializedAt - started;
    if (!("result" in initialized)) throw new Error(`${target.label}: initialize failed`);
    const toolsListMs = listedAt - started;
    const rssAfterListKiB = server.child.pid ? rssKiB(server.child.pid) : 0;
    const result = listed.result as { tools?: unknown[] } | undefined;
    if (!result?.tools) throw new Error(`${target.label}: tools/list failed`);
    return {
      initializeMs,
      toolsListMs,
      tools: result.tools.length,
      toolsListBytes: Buffer.byteLength(JSON.stringify(result)),
      rssAfterListKiB,
    };
  } finally {
    await server.stop();
  }
}

/**
 * RSS once a server has settled: 2 s after its tools/list answer, by when ours has loaded the full
 * server behind its early answers and tried to sign in. The honest memory figure for a server that
 * stays running; median of 3 spawns.
 */
async function settledRssKiB(target: ColdStartTarget): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    const server = new RawStdioProcess(target.command, target.args, target.env, target.cwd);
    try {
      await server.handshake();
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      if (server.child.pid) samples.push(rssKiB(server.child.pid));
    } finally {
      await server.stop();
    }
  }
  return median(samples);
}

interface ColdStartResult {
  label: string;
  version: string;
  spawns: number;
  tools: number;
  toolsListBytes: number;
  rssAfterListMedianKiB: number;
  rssSettledKiB: number;
  initializeMedianMs: number;
  toolsListMedianMs: number;
  initializeMinMs: number;
  toolsListMinMs: number;
}

async function coldStart(targets: Array<ColdStartTarget & { version: string }>): Promise<ColdStartResult[]> {
  const samples = new Map<string, ColdStartSample[]>(targets.map((target) => [target.label, []]));
  // One untimed spawn each warms the OS file cache, so the first target is not penalised.
  for (const target of targets) await coldStartOnce(target);
  // Interleaved rounds: load from other processes on a shared machine hits every server alike.
  for (let round = 0; round < SPAWNS; round += 1) {
    for (const target of targets) samples.get(target.label)?.push(await coldStartOnce(target));
  }
  const settled = new Map<string, number>();
  for (const target of targets) settled.set(target.label, await settledRssKiB(target));
  return targets.map((target) => {
    const runs = samples.get(target.label) ?? [];
    return {
      rssAfterListMedianKiB: median(runs.map((run) => run.rssAfterListKiB)),
      rssSettledKiB: settled.get(target.label) ?? 0,
      label: target.label,
      version: target.version,
      spawns: runs.length,
      tools: runs[0]?.tools ?? 0,
      toolsListBytes: runs[0]?.toolsListBytes ?? 0,
      initializeMedianMs: round(median(runs.map((run) => run.initializeMs))),
      toolsListMedianMs: round(median(runs.map((run) => run.toolsListMs))),
      initializeMinMs: round(Math.min(...runs.map((run) => run.initializeMs))),
      toolsListMinMs: round(Math.min(...runs.map((run) => run.toolsListMs))),
    };
  });
}

// ---------------------------------------------------------------------------------------------------
// 2 and 3. Per-call overhead and memory

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

async function callsAndMemory(sandbox: Sandbox) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [SERVER_ENTRY],
    env: ourEnv(sandbox),
    stderr: "ignore",
  });
  const client = new Client({ name: "raytio-bench", version: "1.0.0" });
  await client.connect(transport);
  const pid = transport.pid;
  if (pid === null) throw new Error("server has no pid");
  await client.listTools();
  const rss: Array<{ afterCalls: number; rssKiB: number }> = [{ afterCalls: 0, rssKiB: rssKiB(pid) }];

  let calls = 0;
  const call = async () => {
    const result = await client.callTool(READ_TOOL);
    calls += 1;
    if (result.isError) throw new Error(`read tool failed: ${JSON.stringify(result.content)}`);
  };

  log(`per-call: ${CALLS} calls of ${READ_TOOL.name} through the server`);
  for (let i = 0; i < 50; i += 1) await call();
  const through: number[] = [];
  for (let i = 0; i < CALLS; i += 1) {
    const started = performance.now();
    await call();
    through.push(performance.now() - started);
  }

  // The exact request the server sent for the last call, replayed straight to the sandbox.
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
  const direct = () =>
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
  log(`per-call: ${CALLS} direct HTTP calls to the sandbox`);
  for (let i = 0; i < 50; i += 1) await direct();
  const straight: number[] = [];
  for (let i = 0; i < CALLS; i += 1) {
    const started = performance.now();
    await direct();
    straight.push(performance.now() - started);
  }
  agent.destroy();
  rss.push({ afterCalls: calls, rssKiB: rssKiB(pid) });

  log(`memory: calling until ${RSS_CALLS} calls (${CONCURRENCY} at a time)`);
  const sampleEvery = Math.max(1000, Math.floor(RSS_CALLS / 10));
  let nextSample = Math.ceil((calls + 1) / sampleEvery) * sampleEvery;
  const worker = async () => {
    while (calls < RSS_CALLS) {
      await call();
      if (calls >= nextSample) {
        nextSample += sampleEvery;
        rss.push({ afterCalls: calls, rssKiB: rssKiB(pid) });
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const last = rss[rss.length - 1];
  if (last?.afterCalls !== calls) rss.push({ afterCalls: calls, rssKiB: rssKiB(pid) });
  await client.close();

  const throughStats = latencyStats(through);
  const directStats = latencyStats(straight);
  const first = rss[0]?.rssKiB ?? 0;
  const afterTimed = rss[1]?.rssKiB ?? 0;
  const final = rss[rss.length - 1]?.rssKiB ?? 0;
  return {
    tool: READ_TOOL,
    apiRequest: `GET ${target.pathname}?${target.searchParams.toString().slice(0, 80)}…`,
    throughServer: throughStats,
    directHttp: directStats,
    overhead: {
      p50Ms: round(throughStats.p50Ms - directStats.p50Ms, 3),
      p99Ms: round(throughStats.p99Ms - directStats.p99Ms, 3),
    },
    rss: {
      samples: rss,
      afterStartKiB: first,
      afterTimedCallsKiB: afterTimed,
      finalKiB: final,
      totalCalls: calls,
      deltaKiB: final - first,
      deltaAfterWarmKiB: final - afterTimed,
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// 4. tools/list size and crypto

/** The same measure as docs/tools.md: each domain's tools/list as its process sends it. */
function toolsListSizes() {
  return toolListSizes(TOOLS);
}

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

// ---------------------------------------------------------------------------------------------------
// Report

/** The goals, as ratios to server-github measured in the same run. */
function versusGithub(
  rows: ReadonlyArray<{
    label: string;
    toolsListMedianMs: number;
    rssAfterListMedianKiB: number;
    rssSettledKiB: number;
  }>,
): string[] {
  const ours = rows[0];
  const github = rows.find((row) => row.label === GITHUB);
  const floor = rows.find((row) => row.label === FLOOR);
  if (!ours || !github) return [];
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  return [
    `Against server-github in this run: spawn → full tools/list ${ratio(ours.toolsListMedianMs, github.toolsListMedianMs)}× (goal ≤ 1.0, stretch 0.8), ` +
      `RSS after the first tools/list ${ratio(ours.rssAfterListMedianKiB, github.rssAfterListMedianKiB)}× (goal ≤ 1.0), ` +
      `RSS settled ${ratio(ours.rssSettledKiB, github.rssSettledKiB)}×` +
      (floor ? `; ${ratio(ours.toolsListMedianMs, floor.toolsListMedianMs)}× the floor to tools/list.` : "."),
  ];
}

function table(header: string[], rows: Array<Array<string | number>>): string {
  const lines = [header, header.map(() => "---"), ...rows.map((row) => row.map(String))];
  return lines.map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

function kib(value: number): string {
  return `${(value / 1024).toFixed(1)} MiB`;
}

async function main(): Promise<void> {
  const benchStarted = performance.now();
  const info = machine();
  const peersInstall = flag("--no-peers") ? Promise.resolve([] as Peer[]) : installPeers();
  if (!flag("--no-build") || !existsSync(SERVER_ENTRY)) build();
  log("starting a seeded sandbox");
  const sandbox = await startSandbox({ keyBits: 2048, pbkdf2Iterations: 1_000 });
  const peers = await peersInstall;
  const ourVersion = (
    JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }
  ).version;

  try {
    log(`cold start: ${SPAWNS} spawns each of ${2 + peers.length} servers`);
    const cold = await coldStart([
      {
        label: "@raytio/mcp-server",
        version: ourVersion,
        command: process.execPath,
        args: [SERVER_ENTRY],
        env: ourEnv(sandbox),
      },
      ...peers.map((peer) => ({
        label: peer.name,
        version: peer.version,
        command: process.execPath,
        args: [peer.entry, ...peer.args],
        env: { PATH: process.env.PATH ?? "", ...peer.env },
        cwd: PEER_DIR,
      })),
      {
        label: FLOOR,
        version: "",
        command: process.execPath,
        args: [path.join(ROOT, "bench/floor-server.mjs")],
        env: { PATH: process.env.PATH ?? "" },
      },
    ]);
    if (!flag("--no-profile")) log("profiling 5 cold starts (bench/profile.ts)");
    const profile = flag("--no-profile") ? undefined : await profileColdStarts(5);
    const calls = await callsAndMemory(sandbox);
    const sizes = await toolsListSizes();
    const crypto = flag("--no-crypto") ? undefined : cryptoBench();
    const runtimeSeconds = round((performance.now() - benchStarted) / 1000);

    const ours = cold[0];
    const results = {
      machine: info,
      settings: { spawns: SPAWNS, calls: CALLS, rssCalls: RSS_CALLS, concurrency: CONCURRENCY },
      coldStart: cold.map((entry) => ({
        ...entry,
        ratioInitialize: ours ? round(ours.initializeMedianMs / entry.initializeMedianMs, 2) : null,
        ratioToolsList: ours ? round(ours.toolsListMedianMs / entry.toolsListMedianMs, 2) : null,
        ratioRssAfterList: ours ? round(ours.rssAfterListMedianKiB / entry.rssAfterListMedianKiB, 2) : null,
        ratioRssSettled: ours ? round(ours.rssSettledKiB / entry.rssSettledKiB, 2) : null,
      })),
      coldStartProfile: profile,
      perCall: calls,
      toolsList: sizes,
      crypto,
      runtimeSeconds,
    };

    const resultsDir = path.join(ROOT, "bench/results");
    mkdirSync(resultsDir, { recursive: true });
    const file = path.join(resultsDir, `${info.date.slice(0, 10)}.json`);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);

    const out: string[] = [];
    out.push(
      `Measured ${info.date.slice(0, 16).replace("T", " ")} UTC on ${info.nproc} × ${info.cpu}, ` +
        `${info.ramGiB} GiB RAM, Node ${info.node} (load average at start ${info.loadAverageAtStart.join(", ")}); ` +
        `bench runtime ${runtimeSeconds} s.`,
      "",
      `Cold start (median of ${SPAWNS} spawns of \`node <entry>\`, raw stdio, our domains static; ratio = ours ÷ that server, so below 1 we are faster or lighter):`,
      "",
      table(
        [
          "server",
          "version",
          "tools",
          "tools/list bytes",
          "→ initialize",
          "→ tools/list",
          "RSS after list",
          "RSS settled (2 s later)",
          "ratio → list",
          "ratio RSS after list",
          "ratio RSS settled",
        ],
        results.coldStart.map((entry) => [
          entry.label,
          entry.version,
          entry.tools,
          entry.toolsListBytes,
          `${entry.initializeMedianMs} ms`,
          `${entry.toolsListMedianMs} ms`,
          kib(entry.rssAfterListMedianKiB),
          kib(entry.rssSettledKiB),
          entry.ratioToolsList ?? "",
          entry.ratioRssAfterList ?? "",
          entry.ratioRssSettled ?? "",
        ]),
      ),
      "",
      ...versusGithub(results.coldStart),
      ...(profile
        ? [
            "",
            "Where our cold start goes (bench/profile.ts: CPU profile of the same bundle built unminified, samples up to the tools/list answer, by source module; median of 5 spawns):",
            "",
            renderProfile(profile),
          ]
        : []),
      "",
      `Per call (\`${READ_TOOL.name} ${JSON.stringify(READ_TOOL.arguments)}\`, ${CALLS} sequential calls each, sandbox in the bench process):`,
      "",
      table(
        ["path", "p50", "p99", "mean"],
        [
          [
            "through the server (SDK client, stdio)",
            `${calls.throughServer.p50Ms} ms`,
            `${calls.throughServer.p99Ms} ms`,
            `${calls.throughServer.meanMs} ms`,
          ],
          [
            "same HTTP request straight to the sandbox",
            `${calls.directHttp.p50Ms} ms`,
            `${calls.directHttp.p99Ms} ms`,
            `${calls.directHttp.meanMs} ms`,
          ],
          ["**overhead of the server**", `${calls.overhead.p50Ms} ms`, `${calls.overhead.p99Ms} ms`, ""],
        ],
      ),
      "",
      `Server memory (VmRSS): ${kib(calls.rss.afterStartKiB)} after start, ${kib(calls.rss.afterTimedCallsKiB)} after ` +
        `${calls.rss.samples[1]?.afterCalls ?? 0} calls, ${kib(calls.rss.finalKiB)} after ${calls.rss.totalCalls} calls ` +
        `(Δ ${kib(calls.rss.deltaKiB)} since start, Δ ${kib(calls.rss.deltaAfterWarmKiB)} since ` +
        `${calls.rss.samples[1]?.afterCalls ?? 0} calls). Samples: ` +
        calls.rss.samples.map((sample) => `${sample.afterCalls}: ${kib(sample.rssKiB)}`).join(", "),
      "",
      "tools/list size per domain (bytes of the result's JSON; tokens of what a model is shown: each tool's name, description and input schema, o200k_base):",
      "",
      table(
        ["domain", "tools", "bytes", "model-visible tokens"],
        sizes.map((row) => [row.domain, row.tools, row.bytes, row.modelTokens]),
      ),
    );
    if (crypto) {
      const pbkdf2 = crypto.pbkdf2 as Record<string, number>;
      const records = crypto.records as Record<string, number> & { afterFirst: Record<string, number> };
      const comparison = crypto.comparison as Record<string, number>;
      out.push(
        "",
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
      );
    }
    out.push("", `JSON: ${path.relative(ROOT, file)}`);
    console.log(out.join("\n"));
  } finally {
    await sandbox.stop();
  }
}

await main();
