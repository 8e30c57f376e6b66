import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { describe, it } from "vitest";
import { getCurrentSuite } from "vitest/suite";
import type { Sandbox } from "../../sandbox/sandbox.js";
import { RedisConnection } from "../../src/http/redis.js";
import { freePort, type HttpServerProcess, startHttpServerProcess } from "./http-harness.js";

/** A throwaway redis-server on a free loopback port, with no persistence. */
export interface TestRedis {
  url: string;
  client: RedisConnection;
  stop(): Promise<void>;
}

export function redisServerAvailable(): boolean {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

declare module "vitest" {
  interface TaskMeta {
    /** What a skipped test needed and did not find; the summary reporter names such tests. */
    needs?: string;
  }
}

export const isCi = () => process.env.CI === "true" || process.env.CI === "1";

/**
 * A block of tests that needs redis-server. In CI (CI=true) a missing redis-server fails the run with
 * one failing test; on a developer's machine the block is skipped and its tests are marked, so the
 * summary reporter names every one of them on one line instead of a warning scrolling past.
 */
export function describeWithRedis(name: string, body: () => void): void {
  if (redisServerAvailable()) {
    describe(name, body);
    return;
  }
  if (isCi()) {
    describe(name, () => {
      it("finds redis-server (CI=true: the Redis tests may not be skipped)", () => {
        throw new Error("redis-server is not installed: .ci/run installs it before the tests");
      });
    });
    return;
  }
  describe.skip(name, () => {
    body();
    for (const task of getCurrentSuite().tasks) {
      if (task.type === "test") task.meta.needs = "redis-server";
      else throw new Error("describeWithRedis marks flat blocks only: move the nested describe out");
    }
  });
}

/** A redis-server on a free port, or on `port` (to bring one back where it was). */
export async function startRedis(port?: number): Promise<TestRedis> {
  port ??= await freePort();
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const url = `redis://127.0.0.1:${port}`;
  const client = new RedisConnection({ url });
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      if ((await client.command("PING")) === "PONG") break;
    } catch {
      if (Date.now() > deadline) throw new Error("redis-server did not start");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    url,
    client,
    async stop() {
      await client.close();
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      });
    },
  };
}

/**
 * Two replicas of the built HTTP server sharing one Redis and answering for the same public URL, as
 * behind a load balancer. `secondPort` lets a test reach the second replica directly.
 */
export async function startReplicaPair(
  sandbox: Sandbox,
  redis: TestRedis,
  extraEnv: Record<string, string> = {},
): Promise<{ first: HttpServerProcess; second: HttpServerProcess; secondPort: number }> {
  const [portA, portB] = [await freePort(), await freePort()];
  const shared = {
    REDIS_URL: redis.url,
    MCP_PUBLIC_URL: `http://127.0.0.1:${portA}`,
    MCP_ALLOWED_HOSTS: `127.0.0.1:${portA},127.0.0.1:${portB}`,
    MCP_TRUST_PROXY: "true",
    RAYTIO_DSM_KEY_BITS: "2048",
    RAYTIO_POLL_INTERVAL_SECONDS: "0.2",
    ...extraEnv,
  };
  const [first, second] = await Promise.all([
    startHttpServerProcess(sandbox, { ...shared, MCP_PORT: String(portA) }),
    startHttpServerProcess(sandbox, { ...shared, MCP_PORT: String(portB) }),
  ]);
  return { first, second, secondPort: portB };
}
