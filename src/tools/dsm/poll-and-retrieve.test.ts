import { DEFAULT_REQUEST_TIMEOUT_MSEC } from "@modelcontextprotocol/sdk/shared/protocol.js";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ToolContext } from "../core/tool.js";
import tool, { DEFAULT_WAIT_SECONDS } from "./poll-and-retrieve.js";

const CODE = "req-code-0001";

/** A request nobody answers, under the documented default of RAYTIO_REQUEST_TIMEOUT_SECONDS. */
function unanswered(requestTimeoutSeconds = 600) {
  const checks: number[] = [];
  const context = {
    config: { requestTimeoutSeconds, pollIntervalSeconds: 5 },
    dsm: {
      requireEncryptionPassword: () => undefined,
      request: async () => {
        checks.push(Date.now());
        return {
          request_short_code: CODE,
          status: "pending",
          expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        };
      },
    },
    signal: new AbortController().signal,
    progress: async () => undefined,
  } as unknown as ToolContext;
  return { context, checks };
}

describe("poll_and_retrieve without wait_seconds", () => {
  // A fake clock: the wait is measured exactly, whatever the machine is doing.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("answers within the MCP SDK client's default request timeout, with room to decrypt and send", () => {
    // v1.17's loop, in a client that keeps the SDK's 60 s default, must never see -32001.
    expect(DEFAULT_WAIT_SECONDS * 1000 + 5_000).toBeLessThanOrEqual(DEFAULT_REQUEST_TIMEOUT_MSEC);
  });

  it("waits DEFAULT_WAIT_SECONDS, then says pending so the caller calls again", async () => {
    const { context, checks } = unanswered();
    let settled = false;
    const call = tool.handler({ request_short_code: CODE }, context).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync((DEFAULT_WAIT_SECONDS - 1) * 1000);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    const output = await call;
    expect(output).toMatchObject({ status: "pending", data: null, waited_seconds: DEFAULT_WAIT_SECONDS });
    expect(checks.length).toBeGreaterThan(2);
    expect(tool.summarize?.(tool.outputSchema.parse(output))).toContain("Call poll_and_retrieve again");
  });

  it("waits no longer than a shorter RAYTIO_REQUEST_TIMEOUT_SECONDS, and as long as wait_seconds asks", async () => {
    const short = unanswered(20);
    const shortCall = tool.handler({ request_short_code: CODE }, short.context);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(await shortCall).toMatchObject({ status: "pending", waited_seconds: 20 });

    const long = unanswered(600);
    const longCall = tool.handler({ request_short_code: CODE, wait_seconds: 300 }, long.context);
    await vi.advanceTimersByTimeAsync(300_000);
    expect(await longCall).toMatchObject({ status: "pending", waited_seconds: 300 });
  });
});
