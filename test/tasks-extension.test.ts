import {
  CreateTaskResultV2Schema,
  GetTaskResultV2Schema,
  TASKS_EXTENSION_ID_V2,
} from "@modelcontextprotocol/ext-tasks/core/v2";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import { type RawServer, spawnRaw } from "./support/abuse.js";
import { startTestSandbox, structured, textOf } from "./support/harness.js";
import { eventually } from "./support/http-harness.js";
import { envelope, type ModernWire, modernWire, stdioSend, WITH_TASKS } from "./support/modern-wire.js";
import { answerRequest, expireRequest, PERSON_NAME, sameOutcome, setUpRequests } from "./support/tasks.js";

/**
 * poll_and_retrieve as a task of the 2026-07-28 tasks extension (io.modelcontextprotocol/tasks), over
 * stdio, on the wire: the server decides to make the call a task when the request declares the
 * extension, the client polls tasks/get until the outcome is inlined, and a client that did not declare
 * it is answered as before. Every answer is checked against the extension's own published schemas
 * (@modelcontextprotocol/ext-tasks), not against this server's idea of them. Expiry is made by ending
 * the request in the sandbox, never by racing a clock.
 */

let sandbox: Sandbox;
let server: RawServer;
let wire: ModernWire;
let newRequest: () => Promise<string>;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  server = spawnRaw(
    sandbox.configFor("agent", {
      RAYTIO_TOOL_DOMAINS: "dsm,ppm,prm,wrm",
      RAYTIO_DSM_KEY_BITS: "2048",
      RAYTIO_POLL_INTERVAL_SECONDS: "0.2",
      RAYTIO_REQUEST_TIMEOUT_SECONDS: "1",
      RAYTIO_TARGET_USER_EMAIL: "person.one@example.com",
    }),
  );
  wire = modernWire(stdioSend(server));
  newRequest = await setUpRequests((name, args) => wire.call(name, args));
});

afterAll(async () => {
  server?.child.kill();
  await sandbox?.stop();
});

async function startTask(code: string): Promise<Record<string, unknown>> {
  const created = await wire.rpc("tools/call", {
    name: "poll_and_retrieve",
    arguments: { request_short_code: code },
  });
  expect(created.error).toBeUndefined();
  const result = created.result ?? {};
  expect(CreateTaskResultV2Schema.safeParse(result).error?.issues).toBeUndefined();
  return result;
}

async function getTask(taskId: string): Promise<Record<string, unknown>> {
  const outcome = await wire.rpc("tasks/get", { taskId });
  expect(outcome.error).toBeUndefined();
  const task = outcome.result ?? {};
  expect(GetTaskResultV2Schema.safeParse(task).error?.issues).toBeUndefined();
  return task;
}

function until(taskId: string, status: string): Promise<Record<string, unknown>> {
  return eventually(`task ${taskId} to be ${status}`, async () => {
    const task = await getTask(taskId);
    return task.status === status ? task : undefined;
  });
}

describe("the tasks extension over stdio", () => {
  it("is advertised by server/discover, beside the tools", async () => {
    const discovered = await wire.rpc("server/discover", {});
    const capabilities = discovered.result?.capabilities as Record<string, unknown>;
    expect(capabilities.extensions).toEqual({ [TASKS_EXTENSION_ID_V2]: {} });
    // The 2025-11-25 slot belongs to that revision; this one has the extension instead.
    expect(capabilities.tasks).toBeUndefined();
  });

  it("makes poll_and_retrieve a task: working with a message a person can read, then completed with the blocking result", async () => {
    const code = await newRequest();
    const created = await startTask(code);
    expect(created).toMatchObject({ resultType: "task", status: "working", pollIntervalMs: 200 });
    expect(created).not.toHaveProperty("ttl");
    expect(created).not.toHaveProperty("pollInterval");
    expect(created.statusMessage).toMatch(
      new RegExp(`Waiting for the person to answer data request ${code}`),
    );
    expect(Number.isInteger(created.ttlMs)).toBe(true);
    const taskId = String(created.taskId);

    const working = await getTask(taskId);
    expect(working).toMatchObject({ resultType: "complete", taskId, status: "working" });
    expect(working).not.toHaveProperty("result");

    expect((await answerRequest(sandbox, code)).status).toBe(201);
    const completed = await until(taskId, "completed");
    const result = completed.result as unknown as CallToolResult;
    expect(completed.result).toMatchObject({ resultType: "complete" });
    expect(structured<{ data: unknown }>(result).data).toEqual({ ss_Person_Name: PERSON_NAME });
    expect(JSON.stringify(result._meta ?? {})).not.toContain("related-task");
    sameOutcome(result, await wire.call("poll_and_retrieve", { request_short_code: code }));
  });

  it("sends notifications/tasks on a subscriptions/listen stream that names the task, and only for it", async () => {
    const code = await newRequest();
    const taskId = String((await startTask(code)).taskId);
    const other = String((await startTask(await newRequest())).taskId);
    server.send(
      JSON.stringify({
        jsonrpc: "2.0",
        id: "tasks-stream",
        method: "subscriptions/listen",
        params: { notifications: { taskIds: [taskId] }, _meta: envelope(WITH_TASKS) },
      }),
    );
    const ack = await server.waitFor(
      (message) => message.method === "notifications/subscriptions/acknowledged",
      "the acknowledgement",
    );
    expect(ack.params).toMatchObject({
      notifications: { taskIds: [taskId] },
      _meta: { "io.modelcontextprotocol/subscriptionId": "tasks-stream" },
    });
    const heard = server.waitFor(
      (message) => message.method === "notifications/tasks",
      "notifications/tasks",
    );
    await wire.rpc("tasks/cancel", { taskId: other });
    expect((await answerRequest(sandbox, code)).status).toBe(201);
    const notice = (await heard).params as Record<string, unknown>;
    // The cancelled task was not asked for: the first notice is the answered one's.
    expect(notice).toMatchObject({ taskId, status: "completed", result: { resultType: "complete" } });
    expect(structured<{ data: unknown }>(notice.result as CallToolResult).data).toEqual({
      ss_Person_Name: PERSON_NAME,
    });
    server.send(
      JSON.stringify({
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: "tasks-stream" },
      }),
    );
  });

  it("fails an expired request's task with REQUEST_EXPIRED, as a JSON-RPC error carrying the stable code", async () => {
    const code = await newRequest();
    const taskId = String((await startTask(code)).taskId);
    await expireRequest(sandbox, code);
    const failed = await until(taskId, "failed");
    expect(failed.statusMessage).toMatch(/^REQUEST_EXPIRED: /);
    expect(failed).not.toHaveProperty("result");
    const error = failed.error as { code: number; message: string; data: { code: string } };
    expect(error.code).toBe(-32000);
    expect(error.message).toMatch(/^REQUEST_EXPIRED: /);
    expect(error.data.code).toBe("REQUEST_EXPIRED");
  });

  it("cancels with an empty acknowledgement, then says cancelled; cancelling again is acknowledged the same", async () => {
    const code = await newRequest();
    const taskId = String((await startTask(code)).taskId);
    const ack = await wire.rpc("tasks/cancel", { taskId });
    expect(ack.result).toEqual(expect.objectContaining({ resultType: "complete" }));
    for (const field of ["taskId", "status", "result", "error"]) expect(ack.result).not.toHaveProperty(field);
    expect((await getTask(taskId)).status).toBe("cancelled");
    expect((await wire.rpc("tasks/cancel", { taskId })).result).toMatchObject({ resultType: "complete" });
    // A cancelled task stays cancelled when the person answers afterwards, though the request is answered.
    expect((await answerRequest(sandbox, code)).status).toBe(201);
    const answered = await wire.call("poll_and_retrieve", { request_short_code: code, wait_seconds: 0 });
    expect(structured<{ status: string }>(answered).status).toBe("submitted");
    expect((await getTask(taskId)).status).toBe("cancelled");
  });

  it("acknowledges tasks/update and ignores answers to questions it never asked", async () => {
    const taskId = String((await startTask(await newRequest())).taskId);
    const ack = await wire.rpc("tasks/update", {
      taskId,
      inputResponses: { never_asked: { action: "accept", content: {} } },
    });
    expect(ack.error).toBeUndefined();
    expect(ack.result).toMatchObject({ resultType: "complete" });
    expect((await getTask(taskId)).status).toBe("working");
    await wire.rpc("tasks/cancel", { taskId });
  });

  it("says -32602 for a task nobody has, to every method", async () => {
    for (const method of ["tasks/get", "tasks/cancel", "tasks/update"]) {
      const outcome = await wire.rpc(method, { taskId: "0".repeat(32), inputResponses: {} });
      expect(outcome.error?.code, method).toBe(-32602);
    }
  });

  it("answers a client that did not declare the extension as before: no task, and -32021 for the task methods", async () => {
    const code = await newRequest();
    const plain = await wire.rpc(
      "tools/call",
      { name: "poll_and_retrieve", arguments: { request_short_code: code, wait_seconds: 0 } },
      {},
    );
    expect(plain.result?.resultType).toBe("complete");
    expect(plain.result).not.toHaveProperty("taskId");
    expect(textOf(plain.result as unknown as CallToolResult)).toContain("still pending");

    const taskId = String((await startTask(code)).taskId);
    for (const method of ["tasks/get", "tasks/cancel", "tasks/update"]) {
      const refused = await wire.rpc(method, { taskId, inputResponses: {} }, {});
      expect(refused.error?.code, method).toBe(-32021);
      expect(refused.error?.data).toEqual({
        requiredCapabilities: { extensions: { [TASKS_EXTENSION_ID_V2]: {} } },
      });
    }
    expect((await getTask(taskId)).status).toBe("working");
    await wire.rpc("tasks/cancel", { taskId });
  });

  it("answers arguments the tool refuses as a plain call would, with no task", async () => {
    const refused = await wire.rpc("tools/call", {
      name: "poll_and_retrieve",
      arguments: { request_short_code: "x", unexpected: true },
    });
    expect(refused.result).not.toHaveProperty("taskId");
    expect(refused.result?.isError).toBe(true);
    expect(textOf(refused.result as unknown as CallToolResult)).toMatch(/^VALIDATION/);
    // tasks/list and tasks/result belong to 2025-11-25; this era has no such methods.
    expect((await wire.rpc("tasks/list", {}, WITH_TASKS)).error?.code).toBe(-32601);
    expect((await wire.rpc("tasks/result", { taskId: "0".repeat(32) })).error?.code).toBe(-32601);
  });
});
