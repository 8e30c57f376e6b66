import type { RunnerTask } from "vitest";
import { defineConfig } from "vitest/config";
import type { Reporter, TestModule } from "vitest/node";

/**
 * Stryker's vitest runner (9.6.1) scores a mutant from the results of individual tests and drops tests
 * that have none. A mutant that breaks a module's import or a `beforeAll` (a key generated once per
 * file, a server started once per file) leaves every test of that file without a result, so the run
 * "completes zero tests" and the mutant is recorded as Survived although the file fails
 * (stryker-js issues #6150 and #6213). This reporter gives each such test the failure of the file or
 * suite that stopped it, which is what `vitest run` itself reports: a failed run.
 */
class SuiteFailuresFailTheirTests implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    for (const module of testModules) failUnfinished(module.task, undefined);
  }
}

function failUnfinished(task: RunnerTask, inherited: RunnerTask["result"]): void {
  const failure = task.result?.state === "fail" && task.type !== "test" ? task.result : inherited;
  if (task.type === "test") {
    if (failure && (task.result === undefined || task.result.state === "skip")) {
      task.result = { state: "fail", errors: failure.errors ?? [] };
    }
    return;
  }
  for (const child of task.tasks) failUnfinished(child, failure);
}

/**
 * The unit tests Stryker runs against mutants (stryker.config.mjs): no integration project, since those
 * tests spawn the built bundle and a mutant only ever exists in src/.
 */
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    testTimeout: 60_000,
    reporters: ["default", new SuiteFailuresFailTheirTests()],
  },
});
