import type { SerializedError } from "vitest";
import type { Reporter, TestModule } from "vitest/node";

/**
 * Ends every run with one plain `N passed, N failed` line (plus skipped when any), the closing line
 * CI tooling reads in any language; vitest's own summary is formatted for people.
 *
 * "failed" counts every failure vitest reports, not only failed tests: a file whose hooks or imports
 * failed (its tests then show as skipped, or it has none) counts once, and so does each error thrown
 * outside any test. So the line is never greener than vitest's own verdict.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
  ): void {
    let passed = 0;
    let failedTests = 0;
    let skipped = 0;
    let failedFiles = 0;
    let failedOutsideTests = 0;
    const unmet = new Map<string, string[]>();
    for (const module of testModules) {
      let failedHere = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed += 1;
        else if (state === "failed") failedHere += 1;
        else skipped += 1;
        const needs = test.meta().needs;
        if (needs && state === "skipped") {
          unmet.set(needs, [...(unmet.get(needs) ?? []), `${module.relativeModuleId} > ${test.fullName}`]);
        }
      }
      failedTests += failedHere;
      if (module.state() === "failed") {
        failedFiles += 1;
        if (failedHere === 0) failedOutsideTests += 1;
      }
    }
    const failed = failedTests + failedOutsideTests + unhandledErrors.length;
    const details = [
      skipped > 0 ? `${skipped} skipped` : undefined,
      failedFiles > 0 ? `${failedFiles} of ${testModules.length} files failed` : undefined,
      unhandledErrors.length > 0
        ? `${unhandledErrors.length} error${unhandledErrors.length === 1 ? "" : "s"} outside tests`
        : undefined,
    ].filter(Boolean);
    for (const [needs, tests] of unmet) {
      process.stdout.write(
        `\nSKIPPED ${tests.length} test${tests.length === 1 ? "" : "s"}: ${needs} is not installed (CI=true fails instead): ${tests.join(" | ")}\n`,
      );
    }
    process.stdout.write(
      `\n${passed} passed, ${failed} failed${details.length ? `, ${details.join(", ")}` : ""}\n`,
    );
  }
}
