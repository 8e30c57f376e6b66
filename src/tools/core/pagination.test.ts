import { describe, expect, it } from "vitest";
import { RaytioError } from "../../errors.js";
import { decodeCursor, encodeCursor, pageOf } from "./pagination.js";

describe("cursors", () => {
  it("round-trip an offset for the same filters", () => {
    expect(decodeCursor(encodeCursor(50, { status: ["new"] }), { status: ["new"] })).toBe(50);
  });

  it("refuse a cursor replayed with other filters, or a forged one", () => {
    const cursor = encodeCursor(50, { status: ["new"] });
    expect(() => decodeCursor(cursor, { status: ["done"] })).toThrow(RaytioError);
    expect(() => decodeCursor("not-a-cursor", {})).toThrow(/not a cursor/);
  });

  it("pageOf uses the extra row to decide whether a next page exists", () => {
    expect(pageOf([1, 2, 3], 0, 2, {}).next_cursor).not.toBeNull();
    const last = pageOf([1, 2], 0, 2, {});
    expect(last.items).toEqual([1, 2]);
    expect(last.next_cursor).toBeNull();
  });
});
