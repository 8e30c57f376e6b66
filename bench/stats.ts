/**
 * The bench's pure helpers (statistics, options, reading the load recorder's trace), kept apart from
 * the code that spawns processes so `bench/stats.test.ts` can check them.
 */

/** Nearest-rank percentile: always one of the samples, so a median of timings is a real timing. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export const median = (values: readonly number[]): number => percentile(values, 50);

/** `ours ÷ theirs` to two decimals, or "–" when there is nothing to divide by. */
export function ratio(ours: number, theirs: number): string {
  if (!Number.isFinite(ours) || !Number.isFinite(theirs) || theirs <= 0) return "–";
  return (ours / theirs).toFixed(2);
}

export interface BenchOptions {
  /** Interleaved rounds of the start-up measure (each round spawns every target in both orders). */
  rounds: number;
  calls: number;
  rssCalls: number;
  concurrency: number;
  /** A built dist/ folder, or a git ref to build into a scratch folder, measured beside ours. */
  baseline: string | undefined;
  flags: ReadonlySet<string>;
}

const NUMBER_OPTIONS = {
  "--rounds": "rounds",
  "--calls": "calls",
  "--rss-calls": "rssCalls",
  "--concurrency": "concurrency",
} as const;

/** The bench's command line; a number that is not a positive integer is refused rather than guessed. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const options: BenchOptions = {
    rounds: 8,
    calls: 1000,
    rssCalls: 10_000,
    concurrency: 4,
    baseline: undefined,
    flags: new Set(),
  };
  const flags = new Set<string>();
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] as string;
    const [name, inline] = arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      index += 1;
      const next = argv[index];
      if (next === undefined) throw new Error(`${name} needs a value`);
      return next;
    };
    if (name in NUMBER_OPTIONS) {
      const raw = value();
      const parsed = Number(raw);
      if (!Number.isInteger(parsed) || parsed <= 0)
        throw new Error(`${name} takes a positive integer, not ${raw}`);
      options[NUMBER_OPTIONS[name as keyof typeof NUMBER_OPTIONS]] = parsed;
    } else if (name === "--baseline") options.baseline = value();
    else if (name.startsWith("--no-") || name === "--bundle-only") flags.add(name);
    else throw new Error(`unknown option ${arg}`);
  }
  options.flags = flags;
  return options;
}

/**
 * The bundle files a server loaded before it wrote the answer to `id`, in load order, from the trace
 * bench/load-recorder.mjs writes: `load <url>` for each module the ESM loader loaded and `answer <id>`
 * for each JSON-RPC answer, each appended when it happened. Only files under `dir` count (not the
 * recorder itself, nor Node's built-ins); a file loaded twice counts once.
 */
export function loadedBeforeAnswer(trace: string, id: number | string, dir: string): string[] {
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  const loaded: string[] = [];
  for (const line of trace.split("\n")) {
    if (line === `answer ${JSON.stringify(id)}`) return loaded;
    if (!line.startsWith("load file://")) continue;
    const file = decodeURIComponent(new URL(line.slice("load ".length)).pathname);
    if (file.startsWith(prefix) && !loaded.includes(file)) loaded.push(file);
  }
  throw new Error(`the trace has no answer to ${JSON.stringify(id)}`);
}
