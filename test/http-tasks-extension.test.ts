import { createTaskSessionFromClient, resultFromTaskOutcome } from "@modelcontextprotocol/ext-tasks/client";
import { CreateTaskResultV2Schema, GetTaskResultV2Schema } from "@modelcontextprotocol/ext-tasks/core/v2";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import { startTestSandbox, structured } from "./support/harness.js";
import { connectAs, eventually, type HttpServerProcess, type HttpSession } from "./support/http-harness.js";
import {
  describeWithRedis,
  everythingStored,
  startRedis,
  startReplicaPair,
  type TestRedis,
} from "./support/http-redis.js";
import {
  httpListen,
  httpSend,
  MODERN,
  type ModernWire,
  modernWire,
  WITH_TASKS,
} from "./support/modern-wire.js";
import { connectHttp } from "./support/sdk-v2-client.js";
import { answerRequest, expireRequest, PERSON_NAME, sameOutcome, setUpRequests } from "./support/tasks.js";

/**
 * The 2026-07-28 tasks extension over Streamable HTTP, with two replicas sharing one Redis: a modern
 * request has no session, so each tasks/get may reach either replica. The task is stored once, in
 * Redis, with nothing decrypted in it; it belongs to the person and client that made it (a 2025-era
 * session of theirs sees it too); and its watch survives the watching replica being killed.
 */

let sandbox: Sandbox;
let redis: TestRedis;
let first: HttpServerProcess;
let second: HttpServerProcess;
/** Both replicas name the first in MCP_PUBLIC_URL, so the second is reached by its own port. */
let secondMcp = "";
let agent: HttpSession;
/** The agent's bearer token, sent straight to one replica or the other. */
let viaFirst: ModernWire;
let viaSecond: ModernWire;
let newRequest: () => Promise<string>;
const sessions: HttpSession[] = [];

const tokenOf = (session: HttpSession) => () => session.provider.tokens()?.access_token ?? "";

async function startTask(wire: ModernWire, code: string): Promise<string> {
  const created = await wire.rpc("tools/call", {
    name: "poll_and_retrieve",
    arguments: { request_short_code: code },
  });
  expect(created.error).toBeUndefined();
  expect(CreateTaskResultV2Schema.safeParse(created.result).error?.issues).toBeUndefined();
  expect(created.result?.resultType).toBe("task");
  return String(created.result?.taskId);
}

async function getTask(wire: ModernWire, taskId: string): Promise<Record<string, unknown>> {
  const outcome = await wire.rpc("tasks/get", { taskId });
  expect(outcome.error).toBeUndefined();
  expect(GetTaskResultV2Schema.safeParse(outcome.result).error?.issues).toBeUndefined();
  return outcome.result ?? {};
}

const until = (wire: ModernWire, taskId: string, status: string) =>
  eventually(`task ${taskId} to be ${status}`, async () => {
    const task = await getTask(wire, taskId);
    return task.status === status ? task : undefined;
  });

describeWithRedis("the tasks extension over HTTP", () => {
  beforeAll(async () => {
    sandbox = await startTestSandbox();
    redis = await startRedis();
    let secondPort = 0;
    ({ first, second, secondPort } = await startReplicaPair(sandbox, redis, {
      RAYTIO_TARGET_USER_EMAIL: "person.one@example.com",
      RAYTIO_REQUEST_TIMEOUT_SECONDS: "1",
    }));
    secondMcp = `http://127.0.0.1:${secondPort}/mcp`;
    agent = await connectAs(first.url, "agent", { withEncryptionPassword: true });
    sessions.push(agent);
    viaFirst = modernWire(httpSend(first.url, tokenOf(agent)));
    viaSecond = modernWire(httpSend(secondMcp, tokenOf(agent)));
    newRequest = await setUpRequests((name, args) => viaFirst.call(name, args));
  });

  afterAll(async () => {
    await Promise.all(sessions.map((session) => session.close().catch(() => undefined)));
    await Promise.all([first?.stop(), second?.stop()]);
    await redis?.stop();
    await sandbox?.stop();
  });

  it("goes working → completed across replicas, with the blocking result inlined and nothing decrypted in Redis", async () => {
    const discovered = await viaSecond.rpc("server/discover", {});
    expect(discovered.result?.capabilities).toMatchObject({
      extensions: { "io.modelcontextprotocol/tasks": {} },
    });
    const code = await newRequest();
    const taskId = await startTask(viaFirst, code);
    expect((await getTask(viaSecond, taskId)).status).toBe("working");

    expect((await answerRequest(sandbox, code)).status).toBe(201);
    const completed = await until(viaSecond, taskId, "completed");
    const result = completed.result as unknown as CallToolResult;
    expect(structured<{ data: unknown }>(result).data).toEqual({ ss_Person_Name: PERSON_NAME });
    sameOutcome(result, await viaFirst.call("poll_and_retrieve", { request_short_code: code }));

    const stored = (await everythingStored(redis)).join("\n");
    expect(stored).toContain(taskId);
    expect(stored).not.toContain(PERSON_NAME.family_name);
  });

  it("tells a subscriptions/listen stream on the other replica when the task finishes, with the task as tasks/get gives it", async () => {
    const code = await newRequest();
    const taskId = await startTask(viaFirst, code);
    const stream = await httpListen(secondMcp, tokenOf(agent)(), { taskIds: [taskId] });
    try {
      const ack = await eventually("the acknowledgement", () => stream.messages[0]);
      expect(ack).toMatchObject({
        method: "notifications/subscriptions/acknowledged",
        params: { notifications: { taskIds: [taskId] } },
      });
      expect((await answerRequest(sandbox, code)).status).toBe(201);
      const notice = await eventually("notifications/tasks on the second replica's stream", () =>
        stream.messages.find((message) => message.method === "notifications/tasks"),
      );
      const params = notice.params as Record<string, unknown>;
      expect(params).toMatchObject({ taskId, status: "completed", result: { resultType: "complete" } });
      expect((params._meta as Record<string, unknown>)["io.modelcontextprotocol/subscriptionId"]).toBe(
        "listen-1",
      );
      expect(structured<{ data: unknown }>(params.result as CallToolResult).data).toEqual({
        ss_Person_Name: PERSON_NAME,
      });
    } finally {
      stream.close();
    }
  });

  it("fails with REQUEST_EXPIRED, and a cancel on one replica is seen on the other", async () => {
    const expiring = await startTask(viaFirst, await newRequest());
    const cancelling = await startTask(viaSecond, await newRequest());
    const code = String((await getTask(viaFirst, expiring)).statusMessage).match(/data request (\S+) /)?.[1];
    await expireRequest(sandbox, code ?? "");
    const failed = await until(viaSecond, expiring, "failed");
    expect(failed.error).toMatchObject({ code: -32000, data: { code: "REQUEST_EXPIRED" } });

    expect((await viaFirst.rpc("tasks/cancel", { taskId: cancelling })).result).toMatchObject({
      resultType: "complete",
    });
    expect((await getTask(viaSecond, cancelling)).status).toBe("cancelled");
  });

  it("belongs to its person and client: another person, or the same person through another client, is told it does not exist", async () => {
    const taskId = await startTask(viaFirst, await newRequest());
    const stranger = await connectAs(first.url, "project_user");
    const sameAgentOtherClient = await connectAs(first.url, "agent", { withEncryptionPassword: true });
    sessions.push(stranger, sameAgentOtherClient);
    for (const someone of [stranger, sameAgentOtherClient]) {
      const wire = modernWire(httpSend(secondMcp, tokenOf(someone)));
      expect((await wire.rpc("tasks/get", { taskId })).error?.code).toBe(-32602);
      expect((await wire.rpc("tasks/cancel", { taskId })).error?.code).toBe(-32602);
    }
    // Stored once, whichever era made it: the same person and client in a 2025-era session reads it.
    const legacy = await agent.client.experimental.tasks.getTask(taskId);
    expect(legacy.status).toBe("working");
    await viaFirst.rpc("tasks/cancel", { taskId });
  });

  it("works with the extension's own client library (@modelcontextprotocol/ext-tasks), which polls to the outcome", async () => {
    const code = await newRequest();
    const connection = await connectHttp(secondMcp, tokenOf(agent)(), "modern");
    const send = httpSend(secondMcp, tokenOf(agent));
    const session = createTaskSessionFromClient(connection.client, {
      endpointId: "raytio-http-test",
      // The SDK client has no way to send a request the extension adds; the library asks for one.
      rawDispatch: async (request) => {
        const { method, params } = request as { method: string; params?: Record<string, unknown> };
        const answer = await send(method, params ?? {});
        return answer.error
          ? { kind: "error", error: answer.error as never }
          : { kind: "result", result: (answer.result ?? {}) as never };
      },
      v2RequestFraming: {
        protocolVersion: MODERN,
        clientInfo: { name: "ext-tasks-test", version: "1.0.0" },
        clientCapabilities: WITH_TASKS,
      },
    });
    try {
      const execution = await session.callTool("poll_and_retrieve", { request_short_code: code });
      expect(execution.kind).toBe("task");
      expect((await answerRequest(sandbox, code)).status).toBe(201);
      const { outcome } = await execution.settle();
      const result = resultFromTaskOutcome(outcome) as CallToolResult;
      expect(structured<{ data: unknown }>(result).data).toEqual({ ss_Person_Name: PERSON_NAME });
    } finally {
      await session.close();
      await connection.close();
    }
  });

  it("completes exactly once on the other replica after the watching one is killed mid-wait", async () => {
    const code = await newRequest();
    const taskId = await startTask(viaFirst, code);
    await first.kill();
    // Asked about the task, the second replica takes the watch over once the dead one's lease lapses.
    await eventually("the second replica to resume the watch", async () => {
      expect((await getTask(viaSecond, taskId)).status).toBe("working");
      return second.stderr.some((line) => line.includes("Resumed watching a task") && line.includes(taskId))
        ? true
        : undefined;
    });
    expect((await answerRequest(sandbox, code)).status).toBe(201);
    const completed = await until(viaSecond, taskId, "completed");
    expect(structured<{ data: unknown }>(completed.result as unknown as CallToolResult).data).toEqual({
      ss_Person_Name: PERSON_NAME,
    });
    const finished = [...first.stderr, ...second.stderr].filter(
      (line) => line.includes("Task finished") && line.includes(taskId),
    );
    expect(finished).toHaveLength(1);
    expect(finished[0]).toContain('"status":"completed"');
  });
});
