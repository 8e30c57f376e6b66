import { describe, expect, it } from "vitest";
import { MemoryTaskKv } from "./kv.js";

describe("MemoryTaskKv", () => {
  it("swaps a value only for the writer that read the current one", async () => {
    const kv = new MemoryTaskKv();
    await kv.set("task", "v1", 60);
    expect(await kv.swap("task", "v1", "v2", 60)).toBe(true);
    expect(await kv.swap("task", "v1", "v3", 60)).toBe(false);
    expect(await kv.get("task")).toBe("v2");
    expect(await kv.swap("missing", "v1", "v2", 60)).toBe(false);
  });

  it("gives a lease to one holder until it lapses, and lets that holder renew it", async () => {
    let now = 1_000;
    const kv = new MemoryTaskKv(() => now);
    expect(await kv.claim("lease", "a", 500)).toBe(true);
    expect(await kv.claim("lease", "b", 500)).toBe(false);
    now += 400;
    expect(await kv.claim("lease", "a", 500)).toBe(true);
    now += 400;
    expect(await kv.claim("lease", "b", 500)).toBe(false);
    now += 200;
    expect(await kv.claim("lease", "b", 500)).toBe(true);
  });

  it("lists the members of a set that have not expired, soonest expiry first", async () => {
    let now = 0;
    const kv = new MemoryTaskKv(() => now);
    await kv.addMember("owner", "late", 3_000);
    await kv.addMember("owner", "early", 1_000);
    expect(await kv.members("owner")).toEqual(["early", "late"]);
    now = 2_000;
    expect(await kv.members("owner")).toEqual(["late"]);
    expect(await kv.members("nobody")).toEqual([]);
  });
});
