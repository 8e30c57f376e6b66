import type { SerializedError } from "vitest";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { TestModule } from "vitest/node";
import SummaryReporter from "./summary-reporter.js";

type State = "passed" | "failed" | "skipped" | "pending";

/** Just the parts of vitest's TestModule the reporter reads. */
function fakeModule(
  moduleState: "passed" | "failed",
  tests: State[],
  file = "test/example.test.ts",
  needs?: string,
): TestModule {
  return {
    state: () => moduleState,
    relativeModuleId: file,
    children: {
      allTests: () =>
        tests.map((state, index) => ({
          result: () => ({ state }),
          meta: () => (needs ? { needs } : {}),
          fullName: `block > test ${index + 1}`,
        })),
    },
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

  it("names on one line every test skipped because a tool it needs is missing", () => {
    const modules = [
      fakeModule("passed", ["skipped", "skipped"], "test/http-redis.test.ts", "redis-server"),
      fakeModule("passed", ["skipped"], "test/http-tasks.test.ts", "redis-server"),
      fakeModule("passed", ["passed", "skipped"]),
    ];
    expect(summaryOf(modules).split("\n").filter(Boolean)).toEqual([
      "SKIPPED 3 tests: redis-server is not installed (CI=true fails instead): test/http-redis.test.ts > block > test 1 | test/http-redis.test.ts > block > test 2 | test/http-tasks.test.ts > block > test 1",
      "1 passed, 0 failed, 4 skipped",
    ]);
  });
});
