import { defineConfig } from "vitest/config";

/**
 * The unit tests Stryker runs against mutants (stryker.config.mjs): no integration project, since those
 * tests spawn the built bundle and a mutant only ever exists in src/.
 */
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    testTimeout: 60_000,
  },
});
