import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import { ROOT, startTestSandbox } from "./support/harness.js";
import {
  connectAs,
  type HttpServerProcess,
  type HttpSession,
  startHttpServerProcess,
} from "./support/http-harness.js";
import { describeWithRedis, startRedis, type TestRedis } from "./support/http-redis.js";
import { setUpRequests } from "./support/tasks.js";

/**
 * The shared store on a real redis-server, as an operator runs it: AUTH with an ACL user named in
 * REDIS_URL, TLS with `rediss://`, and an outage: Redis stops and comes back, the server reconnects
 * by itself, and pub/sub notifications reach the person's session again. CI installs redis-server
 * (.ci/run); a machine without it skips this file and says so.
 */

const TLS_DIR = path.join(ROOT, "test/fixtures/tls");
const REDIS_USER = { name: "raytio-mcp", password: "redis-secret-7c2d91" };

let sandbox: Sandbox;
const sessions: HttpSession[] = [];
const servers: HttpServerProcess[] = [];
const redises: TestRedis[] = [];

/** Waits for a line the server logs; the deadline only bounds a failure, it never decides a pass. */
async function logged(server: HttpServerProcess, pattern: RegExp, count = 1): Promise<string[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const lines = server.stderr.filter((line) => pattern.test(line));
    if (lines.length >= count) return lines;
    if (Date.now() > deadline) throw new Error(`never logged ${pattern}:\n${server.stderr.join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Sends a DSM request, has the sandbox answer it, and waits for the notification on the session's stream. */
async function notificationArrives(
  session: HttpSession,
  sandboxUrl: string,
  server: HttpServerProcess,
): Promise<void> {
  const sendRequest = await setUpRequests((name, args) => session.call(name, args), {
    recipient_email: "outage@example.com",
  });
  const code = await sendRequest();
  await fetch(`${sandboxUrl}/sandbox/v1/requests/${code}/submit`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ data: { ss_Person_Name: { given_name: "Tama", family_name: "Rua" } } }),
  });
  const deadline = Date.now() + 30_000;
  const arrived = () =>
    session.logs.some((log) => (log.data as { request_short_code?: string }).request_short_code === code);
  while (!arrived()) {
    if (Date.now() > deadline) {
      throw new Error(`no notification arrived for ${code}:\n${server.stderr.join("\n")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describeWithRedis("Redis through node-redis", () => {
  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });

  afterAll(async () => {
    await Promise.all(sessions.map((session) => session.close().catch(() => undefined)));
    await Promise.all(servers.map((server) => server.stop()));
    await Promise.all(redises.map((redis) => redis.stop()));
    await sandbox?.stop();
  });

  it("signs in to Redis as the URL's user, reconnects after an outage, and notifications resume", async () => {
    const redis = await startRedis({ user: REDIS_USER, persistent: true });
    redises.push(redis);
    const server = await startHttpServerProcess(sandbox, {
      REDIS_URL: redis.url,
      RAYTIO_DSM_KEY_BITS: "2048",
      RAYTIO_POLL_INTERVAL_SECONDS: "0.2",
    });
    servers.push(server);
    const session = await connectAs(server.url, "agent");
    sessions.push(session);
    // The default user is off, so this state could only have been written by the URL's user.
    const keys = (await redis.client.command("KEYS", "raytio-mcp:*")) as string[];
    expect(keys.length).toBeGreaterThan(0);
    // Once before the outage, which also shows the session's notification stream is open.
    await notificationArrives(session, sandbox.url, server);

    await redis.stopServer();
    // Both connections (commands and pub/sub) say what failed, by class and message.
    const failures = await logged(server, /Redis connection failed; retrying/, 2);
    for (const line of failures) {
      expect(line).toMatch(/"errorClass":"\w+","message":"[^"]+"/);
    }
    expect(failures.join("\n")).toContain('"connection":"subscriber"');

    await redis.startServer();
    const restored = await logged(server, /Redis connection restored/, 2);
    expect(restored.join("\n")).toContain('"connection":"subscriber"');

    // The session, its tokens and the subscription all came through: a DSM answer is announced.
    await notificationArrives(session, sandbox.url, server);
    expect(server.stderr.join("\n")).not.toContain(REDIS_USER.password);
  });

  it("speaks TLS to a rediss:// URL, checking Redis's certificate", async () => {
    const redis = await startRedis({
      tls: { cert: path.join(TLS_DIR, "localhost.crt"), key: path.join(TLS_DIR, "localhost.key") },
    });
    redises.push(redis);
    const server = await startHttpServerProcess(sandbox, {
      REDIS_URL: redis.url,
      NODE_EXTRA_CA_CERTS: path.join(TLS_DIR, "localhost.crt"),
    });
    servers.push(server);
    const health = (await (await fetch(`${server.origin}/healthz`)).json()) as { store: string };
    expect(health.store).toBe("redis");
    const session = await connectAs(server.url, "project_user");
    sessions.push(session);
    expect((await session.client.listTools()).tools.length).toBeGreaterThan(0);
    expect(((await redis.client.command("KEYS", "raytio-mcp:*")) as string[]).length).toBeGreaterThan(0);
  });

  it("refuses to start when Redis will not have it, naming the error and never the password", async () => {
    const redis = await startRedis({ user: REDIS_USER });
    redises.push(redis);
    const wrong = redis.url.replace(encodeURIComponent(REDIS_USER.password), "wrong-password-3e8a");
    const started = startHttpServerProcess(sandbox, { REDIS_URL: wrong });
    const error = await started.then(
      () => undefined,
      (failure: Error) => failure,
    );
    expect(error?.message).toMatch(/Cannot reach Redis at REDIS_URL \(\w+: [^)]*WRONGPASS/);
    expect(error?.message).not.toContain("wrong-password-3e8a");
  });
});
