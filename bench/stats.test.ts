import { describe, expect, it } from "vitest";
import { loadedBeforeAnswer, median, parseBenchOptions, percentile, ratio } from "./stats.js";

describe("percentile and median", () => {
  it("take the nearest rank, so the answer is always one of the samples", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2);
    expect(percentile([10, 20, 30, 40], 99)).toBe(40);
    expect(percentile([10, 20, 30, 40], 0)).toBe(10);
  });

  it("does not reorder the caller's array", () => {
    const samples = [3, 1, 2];
    median(samples);
    expect(samples).toEqual([3, 1, 2]);
  });

  it("has no median of nothing", () => {
    expect(median([])).toBeNaN();
  });
});

describe("ratio", () => {
  it("divides ours by theirs to two decimals", () => {
    expect(ratio(449, 218)).toBe("2.06");
    expect(ratio(100, 200)).toBe("0.50");
  });

  it("refuses to divide by nothing", () => {
    expect(ratio(1, 0)).toBe("–");
    expect(ratio(Number.NaN, 1)).toBe("–");
  });
});

describe("parseBenchOptions", () => {
  it("has defaults", () => {
    const options = parseBenchOptions([]);
    expect(options).toMatchObject({
      rounds: 8,
      calls: 1000,
      rssCalls: 10_000,
      concurrency: 4,
      baseline: undefined,
    });
    expect([...options.flags]).toEqual([]);
  });

  it("reads numbers, the baseline and flags, with or without =", () => {
    const options = parseBenchOptions(["--rounds", "3", "--calls=200", "--baseline", "main", "--no-crypto"]);
    expect(options).toMatchObject({ rounds: 3, calls: 200, baseline: "main" });
    expect(options.flags.has("--no-crypto")).toBe(true);
  });

  it("refuses what it cannot read rather than guessing", () => {
    expect(() => parseBenchOptions(["--rounds", "0"])).toThrow(/positive integer/);
    expect(() => parseBenchOptions(["--rounds", "2.5"])).toThrow(/positive integer/);
    expect(() => parseBenchOptions(["--baseline"])).toThrow(/needs a value/);
    expect(() => parseBenchOptions(["--spawns", "3"])).toThrow(/unknown option/);
  });
});

describe("loadedBeforeAnswer", () => {
  const trace = [
    "load file:///pkg/dist/index.js",
    "load file:///pkg/bench/load-recorder.mjs",
    "load file:///pkg/dist/start-A.js",
    "answer 1",
    "load file:///pkg/dist/main-B.js",
    "load file:///pkg/dist/start-A.js",
    "load node:fs",
    "answer 2",
    "load file:///pkg/dist/tool-runtime-C.js",
    "answer 3",
  ].join("\n");

  it("lists the files of the folder loaded before that answer, once each, in load order", () => {
    expect(loadedBeforeAnswer(trace, 2, "/pkg/dist")).toEqual([
      "/pkg/dist/index.js",
      "/pkg/dist/start-A.js",
      "/pkg/dist/main-B.js",
    ]);
    expect(loadedBeforeAnswer(trace, 1, "/pkg/dist/")).toEqual([
      "/pkg/dist/index.js",
      "/pkg/dist/start-A.js",
    ]);
  });

  it("does not take a folder whose name only starts the same", () => {
    expect(loadedBeforeAnswer("load file:///pkg/dist2/x.js\nanswer 1", 1, "/pkg/dist")).toEqual([]);
  });

  it("fails when the answer is not in the trace", () => {
    expect(() => loadedBeforeAnswer(trace, 9, "/pkg/dist")).toThrow(/no answer to 9/);
  });
});
