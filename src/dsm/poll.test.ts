import { describe, expect, it, onTestFinished, vi } from "vitest";
import { RaytioError } from "../errors.js";
import { pollUntil, sleep } from "./poll.js";

const never = () => Date.now() + 60_000;

describe("pollUntil", () => {
  it("returns the value once the check is done, reporting each wait before pausing", async () => {
    let checks = 0;
    const waited: number[] = [];
    const outcome = await pollUntil({
      check: async () => (++checks < 3 ? { done: false, expiresAt: never() } : { done: true, value: "ok" }),
      waitMs: 5_000,
      intervalMs: 5,
      signal: new AbortController().signal,
      onWaiting: async (elapsed) => {
        waited.push(elapsed);
      },
    });
    expect(outcome).toMatchObject({ done: true, value: "ok" });
    expect(checks).toBe(3);
    expect(waited).toHaveLength(2);
  });

  it("gives up when the wait is used up, after a last check", async () => {
    let checks = 0;
    const outcome = await pollUntil({
      check: async () => {
        checks += 1;
        return { done: false, expiresAt: never() };
      },
      waitMs: 30,
      intervalMs: 10,
      signal: new AbortController().signal,
      onWaiting: async () => undefined,
    });
    expect(outcome.done).toBe(false);
    expect(checks).toBeGreaterThanOrEqual(2);
  });

  it("checks once and never waits when the wait is zero", async () => {
    let waits = 0;
    const outcome = await pollUntil({
      check: async () => ({ done: false, expiresAt: never() }),
      waitMs: 0,
      intervalMs: 10,
      signal: new AbortController().signal,
      onWaiting: async () => {
        waits += 1;
      },
    });
    expect(outcome.done).toBe(false);
    expect(waits).toBe(0);
  });

  it("does not sleep far past the remote expiry", async () => {
    // A fake clock: the time slept is exact, whatever the machine is doing.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const started = Date.now();
    const expiresAt = started + 40;
    let checks = 0;
    const polling = expect(
      pollUntil({
        check: async () => {
          checks += 1;
          if (Date.now() >= expiresAt) throw new RaytioError("REQUEST_EXPIRED", "expired");
          return { done: false, expiresAt };
        },
        waitMs: 10_000,
        intervalMs: 5_000,
        signal: new AbortController().signal,
        onWaiting: async () => undefined,
      }),
    ).rejects.toMatchObject({ code: "REQUEST_EXPIRED" });
    await vi.runAllTimersAsync();
    await polling;
    // It woke at the expiry (40 ms) plus its 50 ms of grace, not after the 5 s interval.
    expect(Date.now() - started).toBe(90);
    expect(checks).toBe(2);
  });

  it("stops with CANCELLED as soon as the signal aborts, without another check", async () => {
    const controller = new AbortController();
    let checks = 0;
    const polling = pollUntil({
      check: async () => {
        checks += 1;
        return { done: false, expiresAt: never() };
      },
      waitMs: 60_000,
      intervalMs: 10_000,
      signal: controller.signal,
      onWaiting: async () => undefined,
    });
    setTimeout(() => controller.abort(), 20);
    await expect(polling).rejects.toMatchObject({ code: "CANCELLED" });
    expect(checks).toBe(1);
  });
});

describe("sleep", () => {
  it("rejects at once for an already aborted signal", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(sleep(1_000, controller.signal)).rejects.toMatchObject({ code: "CANCELLED" });
  });
});
