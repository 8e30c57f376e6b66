import {
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
  RELATED_TASK_META_KEY,
  type ServerContext,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import { isRaytioError } from "../errors.js";
import type { AnyTool } from "../tools/core/tool.js";
import { isTerminal, TaskFinishedError, TaskNotFoundError, type TaskService } from "./service.js";

/**
 * The 2025-11-25 task methods, for clients of that revision (2026-07-28 moved tasks into an extension,
 * and the SDK's v2 line keeps their vocabulary only as deprecated wire types, with no server support).
 * They answer as the 1.x SDK did, word for word where a client could read it: tasks/get, tasks/result
 * (which waits for the task to finish), tasks/list, tasks/cancel, and notifications/tasks/status.
 *
 * A task-augmented tools/call is not a tools/call result the SDK would send (its result is a task, not
 * content), so it reaches the server under a method of its own: LegacyTaskCalls
 * (src/legacy-task-transport.ts) renames it as it
 * arrives. The response keeps the request's id, so the client sees an answer to its tools/call.
 */
export const TASK_CALL_METHOD = "raytio/tools/call-as-task";

const taskIdParams = z.looseObject({ taskId: z.string() });
const listParams = z.looseObject({ cursor: z.string().optional() }).optional();
const taskCallParams = z.looseObject({
  name: z.string(),
  arguments: z.record(z.string(), z.unknown()).optional(),
  task: z.looseObject({ ttl: z.number().optional() }),
});
const anyResult = z.looseObject({});

export interface LegacyTaskRouting {
  tasks: TaskService;
  /** The tool's definition, exposed or not; undefined for a name nobody knows. */
  tool(name: string): Promise<AnyTool | undefined>;
  hiddenTools(): ReadonlySet<string>;
  /** The arguments as the tool's schema gives them; throws as a plain call would refuse them. */
  validate(tool: AnyTool, args: unknown): Promise<unknown>;
  /** The result of the same call without a task: used to explain a refusal (e.g. a hidden tool). */
  callWithoutTask(name: string, args: unknown, ctx: ServerContext): Promise<object>;
}

function invalidParams(message: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidParams, message);
}

export function registerLegacyTasks(server: McpServer, routing: LegacyTaskRouting): void {
  const { tasks } = routing;
  const low = server.server;

  low.setRequestHandler(
    TASK_CALL_METHOD,
    { params: taskCallParams, result: anyResult },
    async (params, ctx) => {
      const tool = await routing.tool(params.name);
      if (!tool?.task) {
        // What the specification asks of a tool that does not declare task support.
        throw new ProtocolError(
          ProtocolErrorCode.MethodNotFound,
          `Tool ${params.name} does not run as a task: call it without the task parameter.`,
        );
      }
      const args = params.arguments ?? {};
      const hidden = routing.hiddenTools();
      const input = hidden.has(tool.name)
        ? undefined
        : ((await routing.validate(tool, args).catch(() => undefined)) as
            | Record<string, unknown>
            | undefined);
      if (!input) {
        // The refusal a plain call gets (VALIDATION, TOOL_NOT_EXPOSED), as an error: no task was created.
        const refusal = await routing.callWithoutTask(tool.name, args, ctx);
        const content = "content" in refusal && Array.isArray(refusal.content) ? refusal.content : [];
        const text = content.map((item: { text?: string }) => item.text ?? "").join("\n");
        throw invalidParams(text || "The task could not be created.");
      }
      try {
        const task = await tasks.start(tool, input, params.task.ttl, ctx.mcpReq.signal);
        return { task };
      } catch (error) {
        // Refused before a task existed (LIMIT_REACHED): said with its code, as a tool result would say it.
        if (isRaytioError(error)) throw invalidParams(`${error.code}: ${error.message}`);
        throw error;
      }
    },
  );

  low.setRequestHandler("tasks/get", { params: taskIdParams, result: anyResult }, async (params) => {
    try {
      // Per the 2025-11-25 revision, tasks/get carries no related-task metadata: taskId says it all.
      return { ...(await tasks.get(params.taskId)) };
    } catch (error) {
      if (error instanceof TaskNotFoundError) throw invalidParams("Failed to retrieve task: Task not found");
      throw error;
    }
  });

  low.setRequestHandler("tasks/result", { params: taskIdParams, result: anyResult }, async (params, ctx) => {
    try {
      const task = await tasks.settled(params.taskId, ctx.mcpReq.signal);
      if (!isTerminal(task.status)) throw new Error("not finished");
      const result = await tasks.result(params.taskId);
      return {
        ...result,
        _meta: { ...result._meta, [RELATED_TASK_META_KEY]: { taskId: params.taskId } },
      };
    } catch (error) {
      if (error instanceof TaskNotFoundError) throw invalidParams(`Task not found: ${params.taskId}`);
      throw error;
    }
  });

  low.setRequestHandler("tasks/list", { params: listParams, result: anyResult }, async (params) => {
    try {
      const page = await tasks.list(params?.cursor);
      return { ...page, _meta: {} };
    } catch (error) {
      throw invalidParams(`Failed to list tasks: ${error instanceof Error ? error.message : String(error)}`);
    }
  });

  low.setRequestHandler("tasks/cancel", { params: taskIdParams, result: anyResult }, async (params) => {
    try {
      return { _meta: {}, ...(await tasks.cancel(params.taskId)) };
    } catch (error) {
      if (error instanceof TaskNotFoundError || error instanceof TaskFinishedError)
        throw invalidParams(error.message);
      throw new ProtocolError(
        ProtocolErrorCode.InvalidRequest,
        `Failed to cancel task: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  });
}

/** notifications/tasks/status on one 2025-era connection. */
export function sendTaskStatus(server: McpServer, task: object): Promise<void> {
  return server.server.notification({ method: "notifications/tasks/status", params: task } as never);
}
