/**
 * Mutation testing (`npm run test:mutation`) of the code that guards people's data. Each group is run
 * on its own (scripts/mutation.ts sets MUTATION_GROUP) with its own incremental file, so a rerun only
 * tests mutants in code or tests that changed. Paths live here only: when a file moves, change it here.
 */
export const MUTATION_GROUPS = {
  oauth: ["src/http/oauth/**/*.ts"],
  crypto: ["src/crypto/**/*.ts"],
  validation: ["src/tools/core/validation.ts"],
  "untrusted-text": ["src/untrusted-text.ts"],
  // Reshaped by the v2 SDK migration: their scores are provisional until it lands.
  "http-server": ["src/http/server.ts"],
  "http-sessions": ["src/http/sessions.ts"],
};

/** One group (MUTATION_GROUP), or all of them at once for a plain `npx stryker run`. */
const group = process.env.MUTATION_GROUP || "all";
const files = group === "all" ? Object.values(MUTATION_GROUPS).flat() : MUTATION_GROUPS[group];
if (!files) {
  throw new Error(`MUTATION_GROUP must be one of ${Object.keys(MUTATION_GROUPS).join(", ")}.`);
}

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  plugins: ["@stryker-mutator/vitest-runner"],
  // Unit tests only: integration tests run the built bundle, which never contains a mutant.
  vitest: { configFile: "vitest.mutation.config.ts", related: true },
  mutate: [...files, "!**/*.test.ts"],
  coverageAnalysis: "perTest",
  // A mutant in a module-level constant needs every test rerun (crypto: 29 % of mutants, 80 % of the
  // time): such mutants are left out, and README's Development section says so.
  ignoreStatic: true,
  // Two cores, shared: one mutant at a time per core at most.
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 2),
  incremental: true,
  incrementalFile: `reports/mutation/${group}.incremental.json`,
  reporters: ["clear-text", "progress-append-only", "json", "html"],
  jsonReporter: { fileName: `reports/mutation/${group}.json` },
  htmlReporter: { fileName: `reports/mutation/${group}.html` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
  timeoutMS: 20_000,
  timeoutFactor: 3,
};
