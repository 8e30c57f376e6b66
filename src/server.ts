import { McpServer, type RegisteredTool } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { PROMPTS } from "./catalogue/prompts.js";
import { registerSchemaResources } from "./catalogue/resources.js";
import type { Config } from "./config.js";
import type { DsmServices } from "./dsm/services.js";
import type { Logger } from "./logger.js";
import type { RaytioApiClient } from "./raytio/api-client.js";
import type { TokenSource } from "./raytio/auth.js";
import { routeTaskCalls, taskRequestOf } from "./tasks/routing.js";
import { type TaskHosting, TaskService } from "./tasks/service.js";
import { executeTool } from "./tools/execute.js";
import { decodeFallbacks, prepareInputSchema } from "./tools/schema-fallback.js";
import type { AnyTool, ToolContext } from "./tools/tool.js";
import { PACKAGE_NAME, VERSION } from "./version.js";

export interface ServerServices {
  config: Config;
  logger: Logger;
  api: RaytioApiClient;
  tokens: TokenSource;
  dsm: DsmServices;
}

export interface RaytioMcpServer {
  server: McpServer;
  /** Present when the server hosts MCP tasks. */
  tasks?: TaskService;
  /** Shows exactly these tools. Called once, before the tool list is first served. */
  expose(tools: readonly AnyTool[]): void;
}

const INSTRUCTIONS =
  "Tools for the Raytio platform. Errors start with a stable code (e.g. PPM_NOT_FOUND, API_ERROR) followed by what to do next. List tools return next_cursor: pass it back as cursor for the next page.";

/**
 * `services` is a function so the same server can be built without configuration, e.g. to produce
 * tools/list for docs and --list-tools; it is only called when a tool runs.
 */
/** Any result may be cut to fit the response budget, so every output schema admits the flag saying so. */
function withTruncatedFlag(schema: z.ZodObject): z.ZodObject {
  return "truncated" in schema.shape ? schema : schema.extend({ truncated: z.boolean().optional() });
}

export function createRaytioMcpServer(
  tools: readonly AnyTool[],
  services: () => ServerServices,
  /** Where this server keeps MCP tasks; without it, no task capability is declared. */
  taskHosting?: TaskHosting,
): RaytioMcpServer {
  const contextFor = (
    signal: AbortSignal,
    progress: ToolContext["progress"] = async () => undefined,
  ): ToolContext => ({ ...services(), signal, progress });
  let server: McpServer;
  const tasks = taskHosting
    ? new TaskService({
        hosting: taskHosting,
        tools,
        context: (signal) => contextFor(signal),
        pollIntervalMs: () => services().config.pollIntervalSeconds * 1000,
        logger: () => services().logger,
        send: (task) => server.server.notification({ method: "notifications/tasks/status", params: task }),
      })
    : undefined;
  server = new McpServer(
    { name: PACKAGE_NAME, title: "Raytio", version: VERSION },
    {
      // tools is declared below, once the task routing is in place: declared here, the SDK would install
      // its tools handlers before routeTaskCalls could wrap them.
      capabilities: {
        resources: { listChanged: true },
        prompts: { listChanged: true },
        ...(tasks ? { tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } } : {}),
      },
      instructions: INSTRUCTIONS,
      ...(tasks ? { taskStore: tasks } : {}),
    },
  );
  routeTaskCalls(server.server, new Set(tools.filter((tool) => tool.task).map((tool) => tool.name)));
  server.server.registerCapabilities({ tools: { listChanged: true } });

  const registered = new Map<string, RegisteredTool>();
  for (const tool of tools) {
    const input = prepareInputSchema(tool.inputSchema);
    const handle = server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: input.schema,
        outputSchema: withTruncatedFlag(tool.outputSchema),
        annotations: { title: tool.title, ...tool.annotations },
      },
      async (args: unknown, extra: RequestHandlerExtra<ServerRequest, ServerNotification>) => {
        const taskRequest = taskRequestOf(extra);
        if (taskRequest && tasks && tool.task) {
          const parsed = tool.inputSchema.safeParse(decodeFallbacks(args, input.fallbacks));
          if (!parsed.success) return executeTool(tool, args, contextFor(extra.signal), true);
          // A CreateTaskResult, not a CallToolResult: the SDK returns it as is for a task-augmented call.
          return (await tasks.start(tool, parsed.data, taskRequest, extra.signal)) as never;
        }
        const progressToken = extra._meta?.progressToken;
        const context = contextFor(extra.signal, async (progress, total, message) => {
          if (progressToken === undefined) return;
          await extra.sendNotification({
            method: "notifications/progress",
            params: {
              progressToken,
              progress,
              ...(total === undefined ? {} : { total }),
              ...(message ? { message } : {}),
            },
          });
        });
        return executeTool(tool, decodeFallbacks(args, input.fallbacks), context, input.fallbacks.length > 0);
      },
    );
    registered.set(tool.name, handle);
  }

  // Resources and prompts follow the tools: each is offered only when the tools it serves are exposed.
  const schemaResources = registerSchemaResources(server);
  const prompts = PROMPTS.map((prompt) => ({ prompt, handle: prompt.register(server) }));

  server.server.onclose = () => tasks?.close();

  return {
    server,
    ...(tasks ? { tasks } : {}),
    expose(exposed) {
      const names = new Set(exposed.map((tool) => tool.name));
      // Assigned directly rather than via disable(): no client has seen a list yet, so no
      // list_changed notification is owed.
      for (const [name, handle] of registered) handle.enabled = names.has(name);
      schemaResources.enabled = names.has("list_schemas");
      for (const { prompt, handle } of prompts)
        handle.enabled = prompt.requiredTools.every((tool) => names.has(tool));
    },
  };
}
