import { type ChildProcess, execFileSync, spawn } from "node:child_process";
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
