import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult, Task } from "@modelcontextprotocol/sdk/types.js";
import {
  CallToolResultSchema,
  CreateTaskResultSchema,
  TaskStatusNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import { startTestSandbox, structured, textOf } from "./support/harness.js";
import { connectAs, eventually, type HttpServerProcess, type HttpSession } from "./support/http-harness.js";
import {
  describeWithRedis,
  everythingStored,
  startRedis,
  startReplicaPair,
  type TestRedis,
} from "./support/http-redis.js";
import {
  answerRequest,
  expireRequest,
  PERSON_NAME,
  sameOutcome,
  setUpRequests,
  waitForStatus,
} from "./support/tasks.js";

/**
 * poll_and_retrieve as an MCP task over Streamable HTTP, with two replicas sharing one Redis: tasks
 * belong to the person and client that made them, live in Redis (with nothing decrypted in it), can be
 * read on either replica, and survive the replica watching them being killed.
 */

let sandbox: Sandbox;
let redis: TestRedis;
let first: HttpServerProcess;
let second: HttpServerProcess;
let secondPort = 0;
let agent: HttpSession;
let newRequest: () => Promise<string>;
const sessions: HttpSession[] = [];
const statuses: Task[] = [];

async function startTask(session: HttpSession, code: string): Promise<Task> {
  const created = await session.client.request(
    {
      method: "tools/call",
      params: { name: "poll_and_retrieve", arguments: { request_short_code: code }, task: {} },
    },
    CreateTaskResultSchema,
  );
  return created.task;
}

/** A second connection to the same MCP session through the other replica, as a load balancer would send it. */
async function viaSecond(session: HttpSession): Promise<Client> {
  const client = new Client({ name: "raytio-http-test", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${secondPort}/mcp`), {
      authProvider: session.provider,
      sessionId: session.transport.sessionId ?? "",
    }),
  );
  return client;
}

describeWithRedis("poll_and_retrieve as a task over HTTP", () => {
  beforeAll(async () => {
    sandbox = await startTestSandbox();
    redis = await startRedis();
    ({ first, second, secondPort } = await startReplicaPair(sandbox, redis, {
      RAYTIO_TARGET_USER_EMAIL: "person.one@example.com",
    }));
    agent = await connectAs(first.url, "agent", { withEncryptionPassword: true });
    sessions.push(agent);
    agent.client.setNotificationHandler(TaskStatusNotificationSchema, (notification) => {
      statuses.push(notification.params as Task);
    });
    newRequest = await setUpRequests((name, args) => agent.call(name, args));
  });

  afterAll(async () => {
    await Promise.all(sessions.map((session) => session.close().catch(() => undefined)));
    await Promise.all([first?.stop(), second?.stop()]);
    await redis?.stop();
    await sandbox?.stop();
  });

  it("is working until the person answers, then completed with the blocking result, nothing decrypted kept", async () => {
    expect(agent.client.getServerCapabilities()?.tasks?.requests?.tools?.call).toEqual({});
    const code = await newRequest();
    const task = await startTask(agent, code);
    expect(task).toMatchObject({ status: "working", pollInterval: 200 });
    // Read through the other replica: the task lives in Redis.
    const other = await viaSecond(agent);
    expect((await other.experimental.tasks.getTask(task.taskId)).status).toBe("working");
    await other.close();

    expect((await answerRequest(sandbox, code)).status).toBe(201);
    await waitForStatus(statuses, task.taskId, "completed");
    const result = await agent.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(structured<{ data: unknown }>(result).data).toEqual({
      ss_Person_Name: PERSON_NAME,
    });
    sameOutcome(result, await agent.call("poll_and_retrieve", { request_short_code: code }));
    expect(
      statuses.filter((seen) => seen.taskId === task.taskId && seen.status === "completed"),
    ).toHaveLength(1);

    const values = await everythingStored(redis);
    expect(values.some((value) => value.includes(task.taskId))).toBe(true);
    expect(values.join("\n")).not.toContain(PERSON_NAME.family_name);
  });

  it("fails with REQUEST_EXPIRED, and stops when cancelled", async () => {
    const expiring = await startTask(agent, await newRequest());
    const cancelling = await startTask(agent, await newRequest());
    const code = (await agent.client.experimental.tasks.getTask(expiring.taskId)).statusMessage?.match(
      /data request (\S+) /,
    )?.[1];
    await expireRequest(sandbox, code ?? "");
    const failed = await waitForStatus(statuses, expiring.taskId, "failed");
    expect(failed.statusMessage).toMatch(/^REQUEST_EXPIRED: /);
    const result = await agent.client.experimental.tasks.getTaskResult(expiring.taskId, CallToolResultSchema);
    expect(textOf(result)).toMatch(/^REQUEST_EXPIRED: /);

    expect((await agent.client.experimental.tasks.cancelTask(cancelling.taskId)).status).toBe("cancelled");
    expect((await agent.client.experimental.tasks.getTask(cancelling.taskId)).status).toBe("cancelled");
  });

  it("shows a task to its person and client only: others are told it does not exist", async () => {
    const task = await startTask(agent, await newRequest());
    const stranger = await connectAs(first.url, "project_user");
    sessions.push(stranger);
    await expect(stranger.client.experimental.tasks.getTask(task.taskId)).rejects.toThrow(/not found/i);
    await expect(stranger.client.experimental.tasks.cancelTask(task.taskId)).rejects.toThrow(/not found/i);
    expect((await stranger.client.experimental.tasks.listTasks()).tasks).toEqual([]);
    // The same person through the same client, in a new session, still has it.
    const again = await connectAs(first.url, "agent", { provider: agent.provider });
    sessions.push(again);
    expect((await again.client.experimental.tasks.listTasks()).tasks.map((seen) => seen.taskId)).toContain(
      task.taskId,
    );
    await agent.client.experimental.tasks.cancelTask(task.taskId);
  });

  it("completes exactly once on the other replica after the watching one is killed mid-wait", async () => {
    const code = await newRequest();
    const task = await startTask(agent, code);
    expect(task.status).toBe("working");
    await first.kill();

    const other = await viaSecond(agent);
    // Asked about the task, the second replica takes the watch over once the dead one's lease lapses.
    await eventually("the second replica to resume the watch", async () => {
      expect((await other.experimental.tasks.getTask(task.taskId)).status).toBe("working");
      return second.stderr.some(
        (line) => line.includes("Resumed watching a task") && line.includes(task.taskId),
      )
        ? true
        : undefined;
    });
    expect((await answerRequest(sandbox, code)).status).toBe(201);
    await eventually("the task to complete", async () =>
      (await other.experimental.tasks.getTask(task.taskId)).status === "completed" ? true : undefined,
    );
    const result = (await other.experimental.tasks.getTaskResult(
      task.taskId,
      CallToolResultSchema,
    )) as CallToolResult;
    sameOutcome(
      result,
      (await other.callTool({
        name: "poll_and_retrieve",
        arguments: { request_short_code: code },
      })) as CallToolResult,
    );
    const finished = [...first.stderr, ...second.stderr].filter(
      (line) => line.includes("Task finished") && line.includes(task.taskId),
    );
    expect(finished).toHaveLength(1);
    expect(finished[0]).toContain('"status":"completed"');
    await other.close();
  });
});
