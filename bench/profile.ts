/**
 * Where a cold start's milliseconds go (not a test):
 *
 *   npm run bench:profile                 # 5 profiled spawns, prints the table
 *   npm run bench:profile -- --spawns 10 --json
 *
 * Builds the published bundle unminified into a scratch folder (same esbuild options, so the same
 * code runs), spawns it with `--cpu-prof` and opens it as Claude Code does (static domains, raw stdio:
 * `server/discover` at 2026-07-28, then tools/list; bench/raw-stdio.ts), and attributes every CPU
 * sample taken until the tools/list answer arrived to the source module whose code was running. esbuild marks each module in an
 * unminified bundle with a `// <path>` comment, which is how a sample's line maps back to its module.
 * `bench/run.ts` prints the same table after its cold-start figures.
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
// @ts-expect-error: a plain .mjs build script without type declarations
import { bundleOptions, copyRuntimeFiles } from "../scripts/bundle.mjs";
import { buildCatalogue } from "../scripts/tool-catalogue.js";
import { CATALOGUE_FILE } from "../src/tools/catalogue.js";
import { RawStdioProcess } from "./raw-stdio.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where the time of one spawn went, in milliseconds, until the tools/list answer. */
export interface StartProfile {
  /** Spawn to the tools/list answer, as the bench measures it. */
  wallMs: number;
  /** Spawn to the first profile sample: starting the node binary and its own bootstrap. */
  nodeBootMs: number;
  /** CPU time sampled after that, by group. */
  groups: Record<string, number>;
}

/** The groups a sample is put in, for the source module (or V8 pseudo-frame) it ran in. */
export function groupOf(module: string | undefined, functionName: string, url: string): string {
  if (functionName === "(garbage collector)") return "garbage collection";
  if (functionName === "(idle)") return "idle (waiting for input)";
  if (functionName === "(program)" || functionName === "(root)") return "V8: parse, compile, other native";
  if (url.startsWith("node:internal/modules")) return "Node module loader (reading, compiling, linking ESM)";
  if (url.startsWith("node:")) return "Node internals (streams, process, timers)";
  if (!module) return "bundle: module wrapper";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(module)?.[1];
  if (pkg === "zod") return "zod (module code and schema construction)";
  if (pkg?.startsWith("@modelcontextprotocol/")) return "MCP SDK";
  if (pkg) return `other packages (${pkg.startsWith("@") ? pkg : pkg.split("/")[0]})`;
  if (module.startsWith("src/tools/")) return "our tool definitions (src/tools)";
  return "our other modules (src)";
}

/** For each bundle file: the module each line belongs to, from esbuild's `// <path>` markers. */
function moduleLines(dir: string): Map<string, string[]> {
  const byFile = new Map<string, string[]>();
  for (const file of readdirSync(dir).filter((name) => name.endsWith(".js"))) {
    const lines = readFileSync(path.join(dir, file), "utf8").split("\n");
    const modules: string[] = [];
    let current = "";
    for (const line of lines) {
      const marker = /^\/\/ ((?:node_modules|src|scripts)\/\S+)$/.exec(line);
      if (marker?.[1]) current = marker[1];
      modules.push(current);
    }
    byFile.set(file, modules);
  }
  return byFile;
}

/** The unminified bundle in `<scratch>/dist/`, with package.json beside it as in the package. */
export async function buildProfilingBundle(): Promise<string> {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), "raytio-profile-")), "dist");
  mkdirSync(dir);
  await build({ ...bundleOptions(dir, { minify: false }), logLevel: "error" });
  copyRuntimeFiles(dir);
  // What `npm run build` writes beside the bundle: the handshake and tools/list are served from it.
  writeFileSync(path.join(dir, CATALOGUE_FILE), JSON.stringify(buildCatalogue()));
  copyFileSync(path.join(ROOT, "package.json"), path.join(dir, "..", "package.json"));
  return dir;
}

export async function profileOnce(bundleDir: string, env: Record<string, string>): Promise<StartProfile> {
  const profileDir = mkdtempSync(path.join(tmpdir(), "raytio-cpuprofile-"));
  const spawnedAtUs = Number(process.hrtime.bigint() / 1000n);
  const started = performance.now();
  const server = new RawStdioProcess(
    process.execPath,
    [
      "--cpu-prof",
      "--cpu-prof-dir",
      profileDir,
      "--cpu-prof-interval",
      "200",
      path.join(bundleDir, "index.js"),
    ],
    env,
  );
  await server.open("claude-code");
  const listedAtUs = Number(process.hrtime.bigint() / 1000n);
  const wallMs = performance.now() - started;
  // Closing stdin shuts the server down cleanly, which is when Node writes the profile.
  server.child.stdin.end();
  await server.exited;
  const file = readdirSync(profileDir).find((name) => name.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no CPU profile written; stderr: ${server.stderr.slice(-500)}`);
  const profile = JSON.parse(readFileSync(path.join(profileDir, file), "utf8")) as CpuProfile;
  rmSync(profileDir, { recursive: true, force: true });

  const modules = moduleLines(bundleDir);
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, CpuProfileNode>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node);
  // A built-in (JSON.parse, a RegExp, Object.defineProperty) has no URL: its time is its caller's.
  const attributed = (node: CpuProfileNode): CpuProfileNode => {
    let at: CpuProfileNode | undefined = node;
    while (at && !at.callFrame.url && !at.callFrame.functionName.startsWith("(")) at = parents.get(at.id);
    return at ?? node;
  };
  const groups: Record<string, number> = {};
  // Both clocks are the system's monotonic clock, so the profile can be cut where the answer arrived.
  let at = profile.startTime;
  for (let index = 0; index < profile.samples.length; index += 1) {
    at += profile.timeDeltas[index] ?? 0;
    if (at > listedAtUs) break;
    const sampled = nodes.get(profile.samples[index] as number);
    if (!sampled) continue;
    const node = attributed(sampled);
    const { url, lineNumber, functionName } = node.callFrame;
    const file = url.startsWith("file://") ? path.basename(fileURLToPath(url)) : undefined;
    const module = file ? modules.get(file)?.[lineNumber] : undefined;
    const group = groupOf(module, functionName, url);
    const interval = (profile.timeDeltas[index + 1] ?? 200) / 1000;
    groups[group] = (groups[group] ?? 0) + interval;
  }
  return { wallMs, nodeBootMs: (profile.startTime - spawnedAtUs) / 1000, groups };
}

/** The median of each figure over several spawns, as table rows sorted by time. */
export function summarise(profiles: readonly StartProfile[]): Array<{ what: string; ms: number }> {
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
  };
  const names = [...new Set(profiles.flatMap((profile) => Object.keys(profile.groups)))];
  const rows = names
    .map((what) => ({ what, ms: median(profiles.map((profile) => profile.groups[what] ?? 0)) }))
    .filter((row) => row.ms >= 0.5)
    .sort((a, b) => b.ms - a.ms);
  return [
    { what: "spawn → tools/list answer (wall clock)", ms: median(profiles.map((p) => p.wallMs)) },
    {
      what: "node binary start and bootstrap, before our first line",
      ms: median(profiles.map((p) => p.nodeBootMs)),
    },
    ...rows,
  ];
}

export function renderProfile(rows: ReadonlyArray<{ what: string; ms: number }>): string {
  return [
    "| where the cold start goes (median) | ms |",
    "| --- | ---: |",
    ...rows.map((row) => `| ${row.what} | ${row.ms.toFixed(1)} |`),
  ].join("\n");
}

export function staticDomainsEnv(): Record<string, string> {
  // Static domains and an unreachable API: nothing before tools/list waits for the network.
  return {
    PATH: process.env.PATH ?? "",
    RAYTIO_CONFIG_FILE: "",
    RAYTIO_TOOL_DOMAINS: "dsm,ppm,prm,wrm",
    RAYTIO_API_BASE_URL: "http://127.0.0.1:9",
    RAYTIO_AUTH_FLOW: "token-endpoint",
    RAYTIO_AGENT_USERNAME: "profile@example.invalid",
    RAYTIO_AGENT_PASSWORD: "not-used-before-tools-list",
    RAYTIO_LOG_LEVEL: "error",
    RAYTIO_AUDIT_LOG: path.join(tmpdir(), `raytio-bench-audit-${process.pid}.jsonl`),
  };
}

/** Where `spawns` cold starts went, median by group: one bundle, one untimed spawn to warm the file cache. */
export async function profileColdStarts(spawns: number): Promise<Array<{ what: string; ms: number }>> {
  const dir = await buildProfilingBundle();
  try {
    const env = staticDomainsEnv();
    await profileOnce(dir, env);
    const profiles: StartProfile[] = [];
    for (let i = 0; i < spawns; i += 1) profiles.push(await profileOnce(dir, env));
    return summarise(profiles);
  } finally {
    rmSync(path.dirname(dir), { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const index = process.argv.indexOf("--spawns");
  const rows = await profileColdStarts(index === -1 ? 5 : Math.max(1, Number(process.argv[index + 1]) || 5));
  process.stdout.write(
    process.argv.includes("--json") ? `${JSON.stringify(rows, null, 2)}\n` : `${renderProfile(rows)}\n`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
