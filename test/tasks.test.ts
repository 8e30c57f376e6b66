import type { Task, TaskStatusNotification } from "@modelcontextprotocol/sdk/types.js";
import {
  CallToolResultSchema,
  CreateTaskResultSchema,
  TaskStatusNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import { type ConnectedServer, serverPool, startTestSandbox, structured, textOf } from "./support/harness.js";
import {
  answerRequest,
  expireRequest,
  PERSON_NAME,
  sameOutcome,
  setUpRequests,
  waitForStatus,
} from "./support/tasks.js";

/**
 * poll_and_retrieve as an MCP task over stdio, with the SDK client's task API: the call returns a task
 * at once, the server watches the request, and tasks/result gives what a blocking call returns.
 * Expiry is made deterministic by ending the request in the sandbox, never by racing a clock.
 */

let sandbox: Sandbox;
let agent: ConnectedServer;
let newRequest: () => Promise<string>;
const statuses: Task[] = [];

const pool = serverPool(() => sandbox, {
  RAYTIO_DSM_KEY_BITS: "2048",
  RAYTIO_POLL_INTERVAL_SECONDS: "0.2",
  RAYTIO_REQUEST_TIMEOUT_SECONDS: "30",
  RAYTIO_TARGET_USER_EMAIL: "person.one@example.com",
});

beforeAll(async () => {
  sandbox = await startTestSandbox();
  agent = await pool.connect("agent");
  agent.client.setNotificationHandler(
    TaskStatusNotificationSchema,
    (notification: TaskStatusNotification) => {
      statuses.push(notification.params as Task);
    },
  );
  newRequest = await setUpRequests((name, args) => agent.call(name, args));
});

afterAll(async () => {
  await pool.closeAll();
  await sandbox.stop();
});

async function startTask(code: string, ttl?: number): Promise<Task> {
  const created = await agent.client.request(
    {
      method: "tools/call",
      params: { name: "poll_and_retrieve", arguments: { request_short_code: code }, task: { ttl } },
    },
    CreateTaskResultSchema,
  );
  return created.task;
}

describe("poll_and_retrieve as a task", () => {
  it("declares task support, for tools/call and for poll_and_retrieve only", async () => {
    expect(agent.client.getServerCapabilities()?.tasks).toEqual({
      list: {},
      cancel: {},
      requests: { tools: { call: {} } },
    });
    const tools = (await agent.client.listTools()).tools;
    const optional = tools
      .filter((tool) => tool.execution?.taskSupport === "optional")
      .map((tool) => tool.name);
    expect(optional).toEqual(["poll_and_retrieve"]);
  });

  it("is working until the person answers, then completed with exactly the blocking result", async () => {
    const code = await newRequest();
    const seen: string[] = [];
    let taskId = "";
    let answered = false;
    const stream = agent.client.experimental.tasks.callToolStream(
      { name: "poll_and_retrieve", arguments: { request_short_code: code } },
      CallToolResultSchema,
      { task: { ttl: 3_600_000 } },
    );
    let final: unknown;
    for await (const message of stream) {
      if (message.type === "taskCreated") {
        taskId = message.task.taskId;
        seen.push(message.task.status);
        expect(message.task.pollInterval).toBe(200);
        expect(message.task.statusMessage).toMatch(
          new RegExp(`^Waiting for the person to answer data request ${code} \\(it expires at `),
        );
      } else if (message.type === "taskStatus") {
        seen.push(message.task.status);
        // The person answers only once the client has seen the task working.
        if (!answered && message.task.status === "working") {
          answered = true;
          expect((await answerRequest(sandbox, code)).status).toBe(201);
        }
      } else if (message.type === "result") final = message.result;
      else throw message.error;
    }
    expect(seen[0]).toBe("working");
    expect(seen).toContain("working");
    expect(seen[seen.length - 1]).toBe("completed");
    const fromTask = CallToolResultSchema.parse(final);
    expect(structured<{ data: unknown }>(fromTask).data).toEqual({
      ss_Person_Name: PERSON_NAME,
    });

    const blocking = await agent.call("poll_and_retrieve", { request_short_code: code });
    sameOutcome(fromTask, blocking);
    // The status notification came for this task, once.
    await waitForStatus(statuses, taskId, "completed");
    expect(statuses.filter((task) => task.taskId === taskId && task.status === "completed")).toHaveLength(1);
    expect((await agent.client.experimental.tasks.listTasks()).tasks.map((task) => task.taskId)).toContain(
      taskId,
    );
  });

  it("caps the ttl by the request's own expiry and honours a shorter one", async () => {
    const code = await newRequest();
    const longest = await startTask(code, 30 * 24 * 3_600_000);
    // The request expires in RAYTIO_REQUEST_EXPIRY_MINUTES (the sandbox's default); the task outlives
    // it by an hour so its outcome can be read, and no longer.
    const row = await sandbox.db.query<{ expires_at: Date }>(
      "select expires_at from api.dsm_request where request_short_code = $1",
      [code],
    );
    const expiresAt = row.rows[0]?.expires_at.getTime() ?? 0;
    const cap = expiresAt - Date.parse(longest.createdAt) + 3_600_000;
    expect(longest.ttl).toBeLessThanOrEqual(cap);
    expect(longest.ttl).toBeGreaterThan(cap - 60_000);
    const short = await startTask(code, 120_000);
    expect(short.ttl).toBe(120_000);
    for (const task of [longest, short]) await agent.client.experimental.tasks.cancelTask(task.taskId);
  });

  it("fails with REQUEST_EXPIRED when the request expires", async () => {
    const code = await newRequest();
    const task = await startTask(code);
    expect(task.status).toBe("working");
    await expireRequest(sandbox, code);
    const failed = await waitForStatus(statuses, task.taskId, "failed");
    expect(failed.statusMessage).toMatch(new RegExp(`^REQUEST_EXPIRED: Request ${code} expired at `));
    expect((await agent.client.experimental.tasks.getTask(task.taskId)).status).toBe("failed");
    const result = await agent.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^REQUEST_EXPIRED: /);
    // Exactly what the blocking call says about the same request.
    expect(textOf(await agent.call("poll_and_retrieve", { request_short_code: code }))).toBe(textOf(result));
  });

  it("stops watching when the client cancels the task", async () => {
    const code = await newRequest();
    const task = await startTask(code);
    const cancelled = await agent.client.experimental.tasks.cancelTask(task.taskId);
    expect(cancelled.status).toBe("cancelled");
    const polls = () => sandbox.requests.filter((request) => request.url.includes(`eq.${code}`)).length;
    const before = polls();
    // The person answering afterwards changes nothing: the task stays cancelled.
    expect((await answerRequest(sandbox, code)).status).toBe(201);
    await agent.call("list_requests", { limit: 1 });
    expect((await agent.client.experimental.tasks.getTask(task.taskId)).status).toBe("cancelled");
    expect(polls()).toBeLessThanOrEqual(before + 1);
    const result = await agent.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(textOf(result)).toMatch(/^CANCELLED: /);
  });

  it("settles at once for a request already answered, and refuses tasks for other tools", async () => {
    const code = await newRequest();
    expect((await answerRequest(sandbox, code)).status).toBe(201);
    const task = await startTask(code);
    expect(task.status).toBe("completed");
    const result = await agent.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    sameOutcome(result, await agent.call("poll_and_retrieve", { request_short_code: code }));
    await expect(
      agent.client.request(
        { method: "tools/call", params: { name: "list_requests", arguments: {}, task: {} } },
        CreateTaskResultSchema,
      ),
    ).rejects.toThrow(/-32601|does not run as a task/);
  });

  it("tells another person's server the task does not exist", async () => {
    const code = await newRequest();
    const task = await startTask(code);
    const other = await pool.connect("project_user");
    await expect(other.client.experimental.tasks.getTask(task.taskId)).rejects.toThrow(/not found/i);
    expect((await other.client.experimental.tasks.listTasks()).tasks).toEqual([]);
    await agent.client.experimental.tasks.cancelTask(task.taskId);
  });

  it("leaves a call without a task exactly as it was", async () => {
    const code = await newRequest();
    const tasksBefore = (await agent.client.experimental.tasks.listTasks()).tasks.length;
    const pending = structured<{ status: string; waited_seconds: number }>(
      await agent.call("poll_and_retrieve", { request_short_code: code, wait_seconds: 0.4 }),
    );
    expect(pending.status).toBe("pending");
    expect(pending.waited_seconds).toBeGreaterThanOrEqual(0.4);
    expect((await agent.client.experimental.tasks.listTasks()).tasks).toHaveLength(tasksBefore);
    expect(
      textOf(await agent.call("poll_and_retrieve", { request_short_code: code, wait_seconds: 0 })),
    ).toMatch(/^Request [A-Za-z0-9_-]+ is still pending after [0-9.]+ s/);
  });
});
