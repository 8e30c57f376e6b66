import type { CallToolResult, Task } from "@modelcontextprotocol/sdk/types.js";
import { expect } from "vitest";
import type { Sandbox } from "../../sandbox/sandbox.js";
import { structured, textOf } from "./harness.js";
import { eventually } from "./http-harness.js";

/** What the person types in for the task tests. */
export const PERSON_NAME = { given_name: "Aroha", family_name: "Ngata-Smith" };

type Call = (name: string, args: Record<string, unknown>) => Promise<CallToolResult>;

/**
 * An access application and form collecting a name; returns a function that sends a new request
 * (with `send`'s arguments, e.g. a recipient) and gives its short code.
 */
export async function setUpRequests(
  call: Call,
  send: Record<string, unknown> = {},
): Promise<() => Promise<string>> {
  const application = structured<{ data: { access_application_id: string } }>(
    await call("create_access_application", { name: "Task tests", schemas: ["ss_Person_Name"] }),
  );
  const form = structured<{ data: { short_link_key: string } }>(
    await call("create_form", {
      access_application_id: application.data.access_application_id,
      name: "Name only",
      pages: [{ name: "Who you are", schemas: ["ss_Person_Name"] }],
    }),
  );
  return async () =>
    structured<{ data: { request_short_code: string } }>(
      await call("send_request", { ...send, short_link_key: form.data.short_link_key }),
    ).data.request_short_code;
}

/** The sandbox plays the person and submits their answer, sealed as their browser would. */
export async function answerRequest(sandbox: Sandbox, code: string): Promise<{ status: number }> {
  const response = await fetch(`${sandbox.url}/sandbox/v1/requests/${code}/submit`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ data: { ss_Person_Name: PERSON_NAME } }),
  });
  await response.arrayBuffer();
  return { status: response.status };
}

/** Ends the request's life now, as the passing of its expiry time would. */
export async function expireRequest(sandbox: Sandbox, code: string): Promise<void> {
  await sandbox.db.query(
    "update api.dsm_request set expires_at = created_at + interval '1 millisecond' where request_short_code = $1",
    [code],
  );
}

/** Waits for a notifications/tasks/status with this status for this task. */
export async function waitForStatus(
  seen: readonly Task[],
  taskId: string,
  status: Task["status"],
): Promise<Task> {
  return eventually(`a ${status} notification for task ${taskId}`, () =>
    seen.find((task) => task.taskId === taskId && task.status === status),
  );
}

/**
 * A task's result and a blocking call's are the same call made once the wait is over. Two things differ
 * by design: the random boundary fencing third-party data, and the seconds each call itself waited.
 */
export function sameOutcome(fromTask: CallToolResult, blocking: CallToolResult): void {
  const normal = (result: CallToolResult) => ({
    isError: result.isError ?? false,
    structured: result.structuredContent ? { ...result.structuredContent, waited_seconds: 0 } : undefined,
    text: textOf(result)
      .replace(/untrusted-data-[0-9a-f-]{36}/g, "untrusted-data-BOUNDARY")
      .replace(/"waited_seconds":[0-9.]+/g, '"waited_seconds":0')
      .replace(/after [0-9.]+ s/g, "after N s"),
  });
  expect(normal(fromTask)).toEqual(normal(blocking));
}
