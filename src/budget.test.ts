import { describe, expect, it } from "vitest";
import { budgetBytes, itemsThatFit, jsonBytes, shortenLongStrings } from "./budget.js";

describe("response budget", () => {
  it("counts how many items fit with the page overhead", () => {
    const items = Array.from({ length: 10 }, (_, index) => ({ id: index, text: "x".repeat(90) }));
    const one = jsonBytes(items[0]);
    expect(itemsThatFit(items, 50 + 2 + 3 * (one + 1), 50)).toBe(3);
    expect(itemsThatFit(items, 1_000_000, 50)).toBe(10);
    expect(itemsThatFit(items, 10, 50)).toBe(0);
  });

  it("shortens the longest strings until the value fits, keeping every field", () => {
    const value = { a: "a".repeat(50_000), b: ["b".repeat(30_000), "short"], c: 1 };
    expect(shortenLongStrings(value, 20_000)).toBe(true);
    expect(jsonBytes(value)).toBeLessThanOrEqual(20_000);
    expect(Object.keys(value)).toEqual(["a", "b", "c"]);
    expect(value.b[1]).toBe("short");
    expect(value.a.endsWith("… [truncated]")).toBe(true);
  });

  it("leaves a value that already fits untouched", () => {
    const value = { a: "hello" };
    expect(shortenLongStrings(value, 1_000)).toBe(false);
    expect(value).toEqual({ a: "hello" });
  });

  it("turns a token budget into bytes with room for framing", () => {
    expect(budgetBytes(15_000)).toBe(59_400);
  });
});
