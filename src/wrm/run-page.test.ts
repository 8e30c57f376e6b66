import { describe, expect, it } from "vitest";
import { jsonBytes } from "../budget.js";
import { CLIP_MARK, clipFields, clippedAmong, clipText, leadingWithin, nextFrom } from "./run-page.js";

describe("clipText", () => {
  it("leaves short text alone and marks how much it cut from long text", () => {
    expect(clipText("short", 10)).toEqual({ text: "short", cut: false });
    expect(clipText(null, 10)).toEqual({ text: null, cut: false });
    const clipped = clipText("x".repeat(250), 100);
    expect(clipped.cut).toBe(true);
    expect(clipped.text).toBe(`${"x".repeat(100)}${CLIP_MARK} 150 chars]`);
  });
});

describe("clipFields", () => {
  it("clips only the named fields and counts cuts per item", () => {
    const items = [
      { seq: 1, input: "a".repeat(300), output: "ok", kind: "z".repeat(300) },
      { seq: 2, input: null, output: "b".repeat(300), kind: "plan" },
    ];
    const result = clipFields(items, ["input", "output"], 100);
    expect(result.cut).toEqual([1, 1]);
    expect(result.items[0]?.kind).toHaveLength(300);
    expect(result.items[0]?.input?.startsWith("a".repeat(100))).toBe(true);
    expect(items[0]?.input).toHaveLength(300);
    expect(clippedAmong(result.cut, 1)).toBe(1);
    expect(clippedAmong(result.cut, 2)).toBe(2);
  });
});

describe("leadingWithin", () => {
  const items = Array.from({ length: 10 }, (_, index) => ({ seq: index + 1, text: "y".repeat(90) }));
  const size = jsonBytes(items[0]) + 1;

  it("keeps the leading items that fit", () => {
    const { kept, used } = leadingWithin(items, size * 3 + 5, false);
    expect(kept.map((item) => item.seq)).toEqual([1, 2, 3]);
    expect(used).toBe(size * 3);
  });

  it("keeps one oversized item only when asked to guarantee progress", () => {
    expect(leadingWithin(items, 10, true).kept.map((item) => item.seq)).toEqual([1]);
    expect(leadingWithin(items, 10, false).kept).toEqual([]);
  });
});

describe("nextFrom", () => {
  const kept = [{ seq: 5 }, { seq: 6 }];
  it("continues after the last kept item when the page was cut or more rows exist", () => {
    expect(nextFrom(10, 5, kept, false, 4, 100)).toBe(7);
    expect(nextFrom(2, 5, kept, true, 2, 100)).toBe(7);
  });
  it("is null when everything from `from` on was returned", () => {
    expect(nextFrom(10, 5, kept, false, 2, 6)).toBeNull();
    expect(nextFrom(10, 1, [], false, 0, 0)).toBeNull();
  });
  it("points at `from` when nothing was requested or nothing fitted", () => {
    expect(nextFrom(0, 3, [], false, 0, 10)).toBe(3);
    expect(nextFrom(0, 11, [], false, 0, 10)).toBeNull();
    expect(nextFrom(5, 3, [], false, 5, 10)).toBe(3);
  });
});
