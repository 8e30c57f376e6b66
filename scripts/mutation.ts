import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * `npm run test:mutation [group ...]`: runs Stryker once per group of stryker.config.mjs (all of them,
 * the HTTP server and sessions last, when none is named), each with its own incremental file, then
 * prints one line per group: mutants killed, survived, without coverage, the score and the time taken.
 * Mutation runs are CPU-heavy; MUTATION_CONCURRENCY (default 2) sets how many mutants run at once.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { MUTATION_GROUPS } = (await import(path.join(ROOT, "stryker.config.mjs"))) as {
  MUTATION_GROUPS: Record<string, string[]>;
};

const known = Object.keys(MUTATION_GROUPS);
const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !known.includes(name));
if (unknown.length > 0) {
  console.error(`Unknown mutation group(s): ${unknown.join(", ")}. Groups: ${known.join(", ")}.`);
  process.exit(2);
}
const groups = asked.length > 0 ? asked : known;

interface MutantReport {
  status: string;
}
interface StrykerReport {
  files: Record<string, { mutants: MutantReport[] }>;
}

interface GroupResult {
  group: string;
  seconds: number;
  killed: number;
  survived: number;
  noCoverage: number;
  timeout: number;
  exitCode: number;
}

function tally(group: string): Omit<GroupResult, "group" | "seconds" | "exitCode"> {
  const file = path.join(ROOT, "reports/mutation", `${group}.json`);
  const counts = { killed: 0, survived: 0, noCoverage: 0, timeout: 0 };
  if (!existsSync(file)) return counts;
  const report = JSON.parse(readFileSync(file, "utf8")) as StrykerReport;
  for (const { mutants } of Object.values(report.files)) {
    for (const mutant of mutants) {
      if (mutant.status === "Killed") counts.killed += 1;
      else if (mutant.status === "Survived") counts.survived += 1;
      else if (mutant.status === "NoCoverage") counts.noCoverage += 1;
      else if (mutant.status === "Timeout") counts.timeout += 1;
    }
  }
  return counts;
}

const results: GroupResult[] = [];
for (const group of groups) {
  const started = Date.now();
  const run = spawnSync(process.execPath, [path.join(ROOT, "node_modules/.bin/stryker"), "run"], {
    cwd: ROOT,
    stdio: "inherit",
    env: { ...process.env, MUTATION_GROUP: group },
  });
  results.push({
    group,
    seconds: Math.round((Date.now() - started) / 1000),
    exitCode: run.status ?? 1,
    ...tally(group),
  });
}

console.error("\nMutation score per group (killed and timed out count as detected):");
for (const result of results) {
  const detected = result.killed + result.timeout;
  const total = detected + result.survived + result.noCoverage;
  const score = total === 0 ? "n/a" : `${((100 * detected) / total).toFixed(1)} %`;
  console.error(
    `  ${result.group.padEnd(16)} ${score.padStart(8)}  ${detected}/${total} detected, ${result.survived} survived, ${result.noCoverage} without coverage, ${result.seconds} s${result.exitCode === 0 ? "" : `  (stryker exited ${result.exitCode})`}`,
  );
}
process.exit(results.every((result) => result.exitCode === 0) ? 0 : 1);
