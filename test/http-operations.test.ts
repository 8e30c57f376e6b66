import { Agent, request as httpRequest } from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CallToolResultSchema, CreateTaskResultSchema, type Task } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import { startTestSandbox, structured } from "./support/harness.js";
import {
  connectAs,
  eventually,
  type HttpServerProcess,
  type HttpSession,
  startHttpServerProcess,
} from "./support/http-harness.js";
import { describeWithRedis, startRedis, startReplicaPair, type TestRedis } from "./support/http-redis.js";
import { answerRequest, PERSON_NAME, setUpRequests } from "./support/tasks.js";

/**
 * Operating replicas that share Redis: readiness follows Redis down and back up while liveness stays
 * up, and SIGTERM drains a replica without dropping a request: a call in flight completes, and a task
 * it was watching moves to another replica at once.
 */

let sandbox: Sandbox;
const sessions: HttpSession[] = [];
const processes: HttpServerProcess[] = [];

async function get(
  url: string,
  agent?: Agent,
): Promise<{ status: number; body: string; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, agent ? { agent } : { agent: false }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => {
        body += chunk.toString("utf8");
      });
      response.on("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          body,
          ...(response.headers["retry-after"] ? { retryAfter: String(response.headers["retry-after"]) } : {}),
        }),
      );
    });
    request.on("error", reject);
    request.end();
  });
}

describeWithRedis("replicas sharing Redis", () => {
  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });

  afterAll(async () => {
    await Promise.all(sessions.map((session) => session.close().catch(() => undefined)));
    await Promise.all(processes.map((process) => process.stop()));
    await sandbox?.stop();
  });

  describe("readiness", () => {
    let redis: TestRedis;
    let server: HttpServerProcess;
    afterAll(async () => {
      await redis?.stop();
    });

    it("is 503 naming Redis while Redis is down and 200 again once it is back; liveness stays 200", async () => {
      redis = await startRedis();
      server = await startHttpServerProcess(sandbox, { REDIS_URL: redis.url, MCP_METRICS_PORT: "0" });
      processes.push(server);
      const origin = new URL(server.localUrl).origin;
      const metricsUrl = await eventually("the metrics line", () =>
        server.stderr.map((line) => /Prometheus metrics on (\S+)/.exec(line)?.[1]).find(Boolean),
      );

      const ready = await get(`${origin}/readyz`);
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.body)).toEqual({ status: "ready", checks: { redis: "ok", raytio_api: "ok" } });

      await redis.stopServer();
      const down = await eventually("readiness to fail", async () => {
        const answer = await get(`${origin}/readyz`);
        return answer.status === 503 ? answer : undefined;
      });
      expect(JSON.parse(down.body)).toEqual({
        status: "unready",
        failing: ["redis"],
        checks: { redis: "failing", raytio_api: "ok" },
      });
      expect(down.retryAfter).toBe("5");
      expect((await get(`${origin}/healthz`)).status).toBe(200);
      const scraped = await (await fetch(metricsUrl)).text();
      expect(
        Number(/raytio_mcp_redis_errors_total\{operation="ping"\} (\d+)/.exec(scraped)?.[1] ?? 0),
      ).toBeGreaterThan(0);
      expect(server.stderr.some((line) => line.includes("Not ready") && line.includes('"redis"'))).toBe(true);

      await redis.startServer();
      await eventually("readiness to come back", async () =>
        (await get(`${origin}/readyz`)).status === 200 ? true : undefined,
      );
      expect((await get(`${origin}/healthz`)).status).toBe(200);
    });
  });

  describe("drain on SIGTERM", () => {
    let redis: TestRedis;
    let session: HttpSession;
    let newRequest: () => Promise<string>;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      await redis?.stop();
    });

    async function replicas() {
      const pair = await startReplicaPair(sandbox, redis, {
        RAYTIO_TARGET_USER_EMAIL: "person.one@example.com",
        // Keep-alive connections outlive the test, so the one it holds is still open when drain starts.
        MCP_KEEP_ALIVE_TIMEOUT: "600",
      });
      processes.push(pair.first, pair.second);
      session = await connectAs(pair.first.url, "agent", { withEncryptionPassword: true });
      sessions.push(session);
      // Bound late: each test has its own session on its own replicas.
      newRequest ??= await setUpRequests((name, args) => session.call(name, args));
      return pair;
    }

    it("lets a poll_and_retrieve in flight complete, answers new requests 503, then exits 0", async () => {
      const { first } = await replicas();
      const origin = new URL(first.localUrl).origin;
      const code = await newRequest();
      // Held by the sandbox, the call's read of the request is in flight at SIGTERM whatever the timing.
      const held = sandbox.faults.add({
        target: "api",
        method: "GET",
        pathPrefix: "/db/v1/dsm_request",
        kind: "hold",
      });
      const call = session.call("poll_and_retrieve", { request_short_code: code });
      await eventually("the call to reach the API", () => (sandbox.faults.hits(held) > 0 ? true : undefined));
      // A connection opened before SIGTERM, idle: a request sent over it while draining gets 503.
      const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
      expect((await get(`${origin}/healthz`, keepAlive)).status).toBe(200);

      first.signal("SIGTERM");
      await eventually("the replica to start draining", () =>
        first.stderr.some((line) => line.includes("Draining")) ? true : undefined,
      );
      const refused = await get(`${origin}/.well-known/oauth-authorization-server`, keepAlive);
      expect(refused.status).toBe(503);
      expect(refused.retryAfter).toBe("5");
      keepAlive.destroy();

      expect((await answerRequest(sandbox, code)).status).toBe(201);
      sandbox.faults.clear();
      const result = structured<{ status: string; data: unknown }>(await call);
      expect(result.status).toBe("submitted");
      expect(result.data).toEqual({ ss_Person_Name: PERSON_NAME });
      expect(await first.exited).toBe(0);
      expect(first.stderr.some((line) => line.includes("Drained and closed"))).toBe(true);
      expect(first.stderr.some((line) => line.includes("still in flight"))).toBe(false);
    });

    it("gives up a watched task's lease at once, so the other replica finishes the task", async () => {
      const { first, secondPort } = await replicas();
      const code = await newRequest();
      const { task } = await session.client.request(
        {
          method: "tools/call",
          params: { name: "poll_and_retrieve", arguments: { request_short_code: code }, task: {} },
        },
        CreateTaskResultSchema,
      );
      expect(task.status).toBe("working");
      const lease = `raytio-mcp:mcp:task-lease:${task.taskId}`;
      expect(await redis.client.command("EXISTS", lease)).toBe(1);

      first.signal("SIGTERM");
      expect(await first.exited).toBe(0);
      expect(await redis.client.command("EXISTS", lease)).toBe(0);
      expect(first.stderr.some((line) => line.includes("Released task leases"))).toBe(true);

      const other = new Client({ name: "raytio-http-test", version: "1.0.0" });
      await other.connect(
        new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${secondPort}/mcp`), {
          authProvider: session.provider,
          sessionId: session.transport.sessionId ?? "",
        }),
      );
      expect((await other.experimental.tasks.getTask(task.taskId)).status).toBe("working");
      expect((await answerRequest(sandbox, code)).status).toBe(201);
      const done = await eventually("the task to complete on the other replica", async () => {
        const seen: Task = await other.experimental.tasks.getTask(task.taskId);
        return seen.status === "completed" ? seen : undefined;
      });
      expect(done.status).toBe("completed");
      const result = await other.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
      expect(structured<{ data: unknown }>(result).data).toEqual({ ss_Person_Name: PERSON_NAME });
      await other.close();
    });
  });
});
