import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { RedisConnection } from "../../src/http/redis.js";
import { freePort } from "./http-harness.js";

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

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
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
