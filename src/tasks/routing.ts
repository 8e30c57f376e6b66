import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type TaskMetadata,
} from "@modelcontextprotocol/sdk/types.js";

/** Where the tools/call handler finds the task a call asked for (carried on the handler's `extra`). */
export const TASK_REQUEST = Symbol("raytio.taskRequest");

export function taskRequestOf(extra: object): TaskMetadata | undefined {
  return (extra as { [TASK_REQUEST]?: TaskMetadata })[TASK_REQUEST];
}

type Handler = (request: never, extra: never) => unknown;

/**
 * Lets the named tools be called as MCP tasks while a call without a task runs exactly as before.
 *
 * The SDK's own route (registerToolTask with taskSupport "optional") turns every call without a task
 * into a task it polls on the server, which would change today's blocking calls (no early return, a
 * delay of a poll interval, a task record per call). So the tools stay ordinary registrations, and the
 * McpServer's handlers are wrapped as it installs them:
 * - tools/list declares execution.taskSupport "optional" for the task tools;
 * - tools/call with a `task` goes to the same handler (same validation), with the task parameters on
 *   `extra` where the tool callback finds them (taskRequestOf); a tool without task support answers
 *   -32601 as the specification requires.
 * Must run before the first tool is registered.
 */
export function routeTaskCalls(server: Server, taskTools: ReadonlySet<string>): void {
  const install = server.setRequestHandler.bind(server) as (schema: unknown, handler: Handler) => void;
  const wrapped = (schema: unknown, handler: Handler): void => {
    const inner = handler as (request: unknown, extra: object) => Promise<unknown>;
    if (schema === ListToolsRequestSchema) {
      install(schema, (async (request: unknown, extra: object) => {
        const result = (await inner(request, extra)) as { tools: Array<{ name: string }> };
        return {
          ...result,
          tools: result.tools.map((tool) =>
            taskTools.has(tool.name) ? { ...tool, execution: { taskSupport: "optional" } } : tool,
          ),
        };
      }) as Handler);
      return;
    }
    if (schema === CallToolRequestSchema) {
      install(schema, (async (request: { params: { name: string; task?: TaskMetadata } }, extra: object) => {
        const task = request.params.task;
        if (!task) return inner(request, extra);
        if (!taskTools.has(request.params.name)) {
          throw new McpError(
            ErrorCode.MethodNotFound,
            `Tool ${request.params.name} does not run as a task: call it without the task parameter.`,
          );
        }
        const result = (await inner(request, { ...extra, [TASK_REQUEST]: task })) as {
          task?: unknown;
          content?: Array<{ type: string; text?: string }>;
        };
        // The call was refused before a task existed (e.g. invalid arguments): say why, as an error.
        if (!result.task) {
          const text = (result.content ?? []).map((item) => item.text ?? "").join("\n");
          throw new McpError(ErrorCode.InvalidParams, text || "The task could not be created.");
        }
        return result;
      }) as Handler);
      return;
    }
    install(schema, handler);
  };
  server.setRequestHandler = wrapped as unknown as Server["setRequestHandler"];
}
