import { describe, expect, it } from "vitest";
import { isLevelShown } from "./notifications.js";
import { parseReply } from "./redis.js";
import { MemoryStore } from "./store.js";

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

describe("RESP parsing", () => {
  it("waits for a whole reply, then reads nested arrays, nulls and errors", () => {
    const reply = Buffer.from("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n");
    expect(parseReply(reply.subarray(0, 20), 0)).toBeUndefined();
    expect(parseReply(reply, 0)).toEqual({ value: ["message", "ch", "hello"], end: reply.length });
    expect(parseReply(Buffer.from("$-1\r\n"), 0)?.value).toBeNull();
    expect(parseReply(Buffer.from(":42\r\n"), 0)?.value).toBe(42);
    expect(parseReply(Buffer.from("-ERR nope\r\n"), 0)?.value).toBeInstanceOf(Error);
  });
});

describe("logging levels", () => {
  it("shows a message at or above the level the client chose", () => {
    expect(isLevelShown("notice", undefined)).toBe(true);
    expect(isLevelShown("notice", "info")).toBe(true);
    expect(isLevelShown("notice", "warning")).toBe(false);
  });
});
