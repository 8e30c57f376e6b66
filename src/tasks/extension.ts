import {
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  type McpServer,
  MissingRequiredClientCapabilityError,
  ProtocolError,
  ProtocolErrorCode,
  type ServerContext,
  type Task,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import { isRaytioError, type RaytioError } from "../errors.js";
import type { AnyTool } from "../tools/core/tool.js";
import { TaskFinishedError, TaskNotFoundError, type TaskService } from "./service.js";

/**
 * The 2026-07-28 tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663), over the same TaskService
 * and the same stored records as the 2025-11-25 task methods (src/tasks/legacy.ts): a task made in one
 * era is one record, whoever reads it.
 *
 * - The server decides: a tools/call of a tool that waits on a person (poll_and_retrieve) becomes a task
 *   when, and only when, that request declares the extension in its per-request capabilities. Every
 *   other call, and every call from a client that did not declare it, is answered as before.
 * - tasks/get inlines the outcome: a completed task carries exactly the result the blocking call gives
 *   now that the wait is over (the tool runs again, so nothing decrypted is ever stored); a failed one
 *   carries the error (e.g. REQUEST_EXPIRED) as a JSON-RPC error object.
 * - tasks/update is acknowledged and ignored: no Raytio task ever asks its client for input, so no
 *   input request is ever outstanding, and the extension says to ignore answers to none.
 * - tasks/cancel is acknowledged, also for a task that already finished (the extension reserves an
 *   error for unknown ids only).
 * - A client that did not declare the extension on the request is refused with -32021, as required.
 */
export const TASKS_EXTENSION = "io.modelcontextprotocol/tasks";

/**
 * The JSON-RPC code of a failed task's error. The work a task stands for (waiting for a person) ended
 * without an outcome, e.g. the request expired; the stable Raytio code is in `data.code`. -32000 is the
 * first of JSON-RPC's implementation-defined server errors; MCP assigns it no meaning.
 */
export const TASK_FAILED_CODE = -32000;

const taskIdParams = z.looseObject({ taskId: z.string() });
/** The SDK takes `inputResponses` out of the params (multi round-trip requests); none is ever awaited here. */
const updateParams = z.looseObject({ taskId: z.string() });
const anyResult = z.looseObject({});

/**
 * Whether these client capabilities declare the extension: its entry is an object (empty today), as
 * the extension defines it. The one test for tool calls, the task methods and listen streams alike.
 */
export function declaresTasks(capabilities: unknown): boolean {
  const extensions = (capabilities as { extensions?: unknown } | undefined)?.extensions;
  const entry = (extensions as Record<string, unknown> | undefined)?.[TASKS_EXTENSION];
  return typeof entry === "object" && entry !== null;
}

/** Whether this request (2026-07-28: every request says what its client can do) declares the extension. */
export function declaresTasksExtension(ctx: ServerContext): boolean {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  return declaresTasks(envelope?.[CLIENT_CAPABILITIES_META_KEY]);
}

function requireExtension(ctx: ServerContext): void {
  if (declaresTasksExtension(ctx)) return;
  throw new MissingRequiredClientCapabilityError(
    { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } as ClientCapabilities },
    `Missing required client capability: declare the ${TASKS_EXTENSION} extension in this request's client capabilities to use tasks.`,
  );
}

const notFound = () =>
  new ProtocolError(ProtocolErrorCode.InvalidParams, "Failed to retrieve task: Task not found");

/** The task as the extension names its fields (ttlMs and pollIntervalMs, in whole milliseconds). */
function wireTask(task: Task): Record<string, unknown> {
  return {
    taskId: task.taskId,
    status: task.status,
    ...(task.statusMessage === undefined ? {} : { statusMessage: task.statusMessage }),
    createdAt: task.createdAt,
    lastUpdatedAt: task.lastUpdatedAt,
    ttlMs: task.ttl === null ? null : Math.round(task.ttl),
    ...(task.pollInterval === undefined ? {} : { pollIntervalMs: Math.round(task.pollInterval) }),
  };
}

/**
 * The task as tasks/get and notifications/tasks give it (a DetailedTask): its state, with the outcome of
 * a finished one inlined. Throws TaskNotFoundError for a task this owner cannot see.
 */
export async function detailedTask(tasks: TaskService, taskId: string): Promise<Record<string, unknown>> {
  const { task, failure } = await tasks.snapshot(taskId);
  const wire = wireTask(task);
  // The inlined result is a 2026-07-28 CallToolResult, which says what it is as every result does.
  if (task.status === "completed")
    return { ...wire, result: { resultType: "complete", ...(await tasks.result(taskId)) } };
  if (task.status === "failed") {
    const message = failure?.text ?? task.statusMessage ?? "The task failed.";
    return {
      ...wire,
      error: {
        code: TASK_FAILED_CODE,
        message,
        ...(failure?.code ? { data: { code: failure.code } } : {}),
      },
    };
  }
  return wire;
}

export interface TaskExtensionRouting {
  tasks: TaskService;
  /** The tool's definition, exposed or not; undefined for a name nobody knows. */
  tool(name: string): Promise<AnyTool | undefined>;
  hiddenTools(): ReadonlySet<string>;
  /** The arguments as the tool's schema gives them; throws as a plain call would refuse them. */
  validate(tool: AnyTool, args: unknown): Promise<unknown>;
  /** The choke point's rendering of a refusal, for one that happens before a task exists. */
  refusal(error: RaytioError): Promise<CallToolResult>;
}

/**
 * A 2026-07-28 tools/call as a task, when the server chooses one: the tool waits on a person and the
 * request declared the extension. Undefined means "answer the call as usual" (also for arguments the
 * tool refuses, or a tool this person is not shown: the usual answer says why, and no task exists).
 */
export async function callAsTask(
  routing: TaskExtensionRouting,
  name: string,
  args: unknown,
  ctx: ServerContext,
): Promise<Record<string, unknown> | CallToolResult | undefined> {
  if (!declaresTasksExtension(ctx)) return undefined;
  const tool = await routing.tool(name);
  if (!tool?.task || routing.hiddenTools().has(tool.name)) return undefined;
  let input: Record<string, unknown>;
  try {
    input = (await routing.validate(tool, args)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  try {
    // The first check runs before the answer, so a request already answered or expired is settled by
    // the time the client first asks, and the task is stored before its id is given out.
    const task = await routing.tasks.start(tool, input, undefined, ctx.mcpReq.signal);
    return { resultType: "task", ...wireTask(task) };
  } catch (error) {
    // Refused before a task existed (LIMIT_REACHED): said as the tool result a plain call would give.
    if (isRaytioError(error)) return routing.refusal(error);
    throw error;
  }
}

/** Runs `work` on a task the caller can see; an unknown task, or anyone else's, is -32602. */
async function onKnownTask<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TaskNotFoundError) throw notFound();
    throw error;
  }
}

export function registerTaskExtension(server: McpServer, tasks: TaskService): void {
  const low = server.server;

  low.setRequestHandler("tasks/get", { params: taskIdParams, result: anyResult }, async (params, ctx) => {
    requireExtension(ctx);
    return onKnownTask(() => detailedTask(tasks, params.taskId));
  });

  low.setRequestHandler("tasks/update", { params: updateParams, result: anyResult }, async (params, ctx) => {
    requireExtension(ctx);
    await onKnownTask(() => tasks.snapshot(params.taskId));
    return {};
  });

  low.setRequestHandler("tasks/cancel", { params: taskIdParams, result: anyResult }, async (params, ctx) => {
    requireExtension(ctx);
    await onKnownTask(async () => {
      try {
        await tasks.cancel(params.taskId);
      } catch (error) {
        // Cancelling a finished task changes nothing, and says so with the same acknowledgement.
        if (!(error instanceof TaskFinishedError)) throw error;
      }
    });
    return {};
  });
}
