import type { SerializedError } from "vitest";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { TestModule } from "vitest/node";
import SummaryReporter from "./summary-reporter.js";

type State = "passed" | "failed" | "skipped" | "pending";

/** Just the parts of vitest's TestModule the reporter reads. */
function fakeModule(moduleState: "passed" | "failed", tests: State[]): TestModule {
  return {
    state: () => moduleState,
    children: { allTests: () => tests.map((state) => ({ result: () => ({ state }) })) },
  } as unknown as TestModule;
}

function summaryOf(modules: TestModule[], errors: SerializedError[] = []): string {
  const written: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  new SummaryReporter().onTestRunEnd(modules, errors);
  return written.join("").trim();
}

describe("the closing summary line", () => {
  afterEach(() => vi.restoreAllMocks());

  it("counts passed and failed tests", () => {
    expect(summaryOf([fakeModule("passed", ["passed", "passed"])])).toBe("2 passed, 0 failed");
  });

  it("agrees with vitest when whole files fail: 1 failed test and 3 failed files is 3 failures", () => {
    const modules = [
      fakeModule("failed", ["passed", "failed"]),
      // A beforeAll that threw: vitest shows its tests as skipped, but the file failed.
      fakeModule("failed", ["skipped", "skipped"]),
      // An import that failed: no tests at all.
      fakeModule("failed", []),
    ];
    expect(summaryOf(modules)).toBe("1 passed, 3 failed, 2 skipped, 3 of 3 files failed");
  });

  it("counts an error thrown outside any test as a failure", () => {
    const error = { message: "unhandled rejection" } as SerializedError;
    expect(summaryOf([fakeModule("passed", ["passed"])], [error])).toBe(
      "1 passed, 1 failed, 1 error outside tests",
    );
  });
});
