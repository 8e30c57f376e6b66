import { describe, expect, it } from "vitest";
import { isLevelShown } from "./notifications.js";
import { describeRedisError, MemoryStore } from "./store.js";

describe("MemoryStore", () => {
  it("takes a value once and leaves its tombstone", async () => {
    const clock = { now: 0 };
    const store = new MemoryStore(() => clock.now);
    await store.set("code", "record", 10);
    const taken = await Promise.all([
      store.take("code", { key: "used", ttlSeconds: 5 }),
      store.take("code", { key: "used", ttlSeconds: 5 }),
    ]);
    expect(taken.filter((value) => value !== undefined)).toEqual(["record"]);
    expect(await store.get("used")).toBe("record");
    clock.now += 5_000;
    expect(await store.get("used")).toBeUndefined();
  });

  it("counts within a window that expires", async () => {
    const clock = { now: 0 };
    const store = new MemoryStore(() => clock.now);
    expect([await store.increment("rate", 60), await store.increment("rate", 60)]).toEqual([1, 2]);
    clock.now += 60_000;
    expect(await store.increment("rate", 60)).toBe(1);
  });

  it("renews a time to live only for a key that still exists", async () => {
    const clock = { now: 0 };
    const store = new MemoryStore(() => clock.now);
    await store.set("session", "x", 2);
    clock.now += 1_500;
    expect(await store.touch("session", 2)).toBe(true);
    clock.now += 1_500;
    expect(await store.get("session")).toBe("x");
    clock.now += 600;
    expect(await store.touch("session", 2)).toBe(false);
  });
});

describe("Redis errors in logs", () => {
  it("name the error's class, message and code", () => {
    class SocketClosedUnexpectedlyError extends Error {}
    expect(describeRedisError(new SocketClosedUnexpectedlyError("Socket closed unexpectedly"))).toEqual({
      errorClass: "SocketClosedUnexpectedlyError",
      message: "Socket closed unexpectedly",
    });
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6379"), { code: "ECONNREFUSED" });
    expect(describeRedisError(refused)).toEqual({
      errorClass: "Error",
      message: "connect ECONNREFUSED 127.0.0.1:6379",
      code: "ECONNREFUSED",
    });
  });
});

describe("logging levels", () => {
  it("shows a message at or above the level the client chose", () => {
    expect(isLevelShown("notice", undefined)).toBe(true);
    expect(isLevelShown("notice", "info")).toBe(true);
    expect(isLevelShown("notice", "warning")).toBe(false);
  });
});
