import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "@redis/client";
import { describe, it, TestRunner } from "vitest";
import type { Sandbox } from "../../sandbox/sandbox.js";
import { freePort, type HttpServerProcess, startHttpServerProcess } from "./http-harness.js";

export interface TestRedisOptions {
  /** An ACL user the URL signs in as; the default user is switched off, so nothing else gets in. */
  user?: { name: string; password: string };
  /** Serve TLS only (`rediss://`) with this certificate and key (files). */
  tls?: { cert: string; key: string };
  /** Keep the data across a restart (an append-only file in a scratch folder), as production Redis does. */
  persistent?: boolean;
}

/** A throwaway redis-server on a free loopback port, with no persistence unless asked. */
export interface TestRedis {
  url: string;
  /** The test's own connection, for looking at what the servers stored. */
  client: { command(...args: Array<string | number>): Promise<unknown> };
  /** Stops redis-server, dropping every connection, as an outage would. */
  stopServer(): Promise<void>;
  /** Starts it again on the same port with the same settings. */
  startServer(): Promise<void>;
  /** Ends the test's connection and redis-server for good. */
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
    const mark = (tasks: ReturnType<typeof TestRunner.getCurrentSuite>["tasks"]) => {
      for (const task of tasks) {
        if (task.type === "test") task.meta.needs = "redis-server";
        else if (task.type === "suite") mark(task.tasks);
      }
    };
    mark(TestRunner.getCurrentSuite().tasks);
  });
}

async function listening(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = netConnect(port, "127.0.0.1", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error("redis-server did not start");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function startRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), "raytio-redis-"));
  const args = [
    ...(options.tls
      ? [
          "--port",
          "0",
          "--tls-port",
          String(port),
          "--tls-cert-file",
          options.tls.cert,
          "--tls-key-file",
          options.tls.key,
          "--tls-auth-clients",
          "no",
        ]
      : ["--port", String(port)]),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    ...(options.persistent ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]),
    ...(options.user
      ? [
          "--user",
          "default",
          "off",
          "--user",
          options.user.name,
          "on",
          `>${options.user.password}`,
          "~*",
          "&*",
          "+@all",
        ]
      : []),
  ];
  let child: ChildProcess | undefined;
  const startServer = async () => {
    const started = spawn("redis-server", args, { stdio: "ignore" });
    child = started;
    const exited = new Promise<never>((_, reject) =>
      started.once("exit", (code) => reject(new Error(`redis-server exited with ${code}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([listening(port), exited]);
  };
  const stopServer = () =>
    new Promise<void>((resolve) => {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return resolve();
      running.once("exit", () => resolve());
      running.kill("SIGTERM");
    });
  await startServer();

  const credentials = options.user
    ? `${encodeURIComponent(options.user.name)}:${encodeURIComponent(options.user.password)}@`
    : "";
  const url = `${options.tls ? "rediss" : "redis"}://${credentials}${options.tls ? "localhost" : "127.0.0.1"}:${port}`;
  const connection = createClient({
    url,
    RESP: 2,
    ...(options.tls ? { socket: { tls: true as const, ca: readFileSync(options.tls.cert) } } : {}),
  });
  // The test's connection drops with every stopServer(); it reconnects by itself.
  connection.on("error", () => undefined);
  await connection.connect();
  return {
    url,
    client: { command: (...command) => connection.sendCommand(command.map(String)) },
    stopServer,
    startServer,
    async stop() {
      connection.destroy();
      await stopServer();
      rmSync(dir, { recursive: true, force: true });
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

/** Reads a key of any Redis type, because the store keeps sets and sorted sets beside plain strings. */
export async function readAnyKind(redis: TestRedis, key: string): Promise<string> {
  const kind = String(await redis.client.command("TYPE", key));
  if (kind === "set") return ((await redis.client.command("SMEMBERS", key)) as string[]).join("\n");
  if (kind === "zset") return ((await redis.client.command("ZRANGE", key, "0", "-1")) as string[]).join("\n");
  if (kind === "hash") return ((await redis.client.command("HGETALL", key)) as string[]).join("\n");
  if (kind === "list") return ((await redis.client.command("LRANGE", key, "0", "-1")) as string[]).join("\n");
  return String(await redis.client.command("GET", key));
}

/** Every key's value, one after another, for checking what the servers stored (and what they did not). */
export async function everythingStored(redis: TestRedis): Promise<string[]> {
  const keys = (await redis.client.command("KEYS", "*")) as string[];
  return Promise.all(keys.map((key) => readAnyKind(redis, key)));
}
