import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  ListToolsRequestSchema,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { AuditCall, type AuditTrail } from "./audit/record.js";
import { PROMPTS } from "./catalogue/prompts.js";
import { registerSchemaResources } from "./catalogue/resources.js";
import type { Config } from "./config.js";
import { DsmData } from "./dsm/data.js";
import type { DsmServices } from "./dsm/services.js";
import { isRaytioError, RaytioError } from "./errors.js";
import type { Logger } from "./logger.js";
import { PpmData } from "./ppm/data.js";
import { PrmData } from "./prm/data.js";
import type { RaytioApiClient } from "./raytio/api-client.js";
import type { TokenSource } from "./raytio/auth.js";
import { routeTaskCalls, taskRequestOf } from "./tasks/routing.js";
import { type TaskHosting, TaskService } from "./tasks/service.js";
import { errorResult, executeTool, parseArguments } from "./tools/core/execute.js";
import type { AnyTool, ToolContext } from "./tools/core/tool.js";
import { exposedEntries, toolListEntry } from "./tools/core/tool-list.js";
import { PACKAGE_NAME, VERSION } from "./version.js";
import { WrmData } from "./wrm/data.js";

export interface ServerServices {
  config: Config;
  logger: Logger;
  api: RaytioApiClient;
  tokens: TokenSource;
  dsm: DsmServices;
  /** Where this server's audit records go and who its calls act for (person and client). */
  audit: AuditTrail;
}

export interface RaytioMcpServer {
  server: McpServer;
  /** Present when the server hosts MCP tasks. */
  tasks?: TaskService;
  /**
   * Shows exactly these tools. Called once, before the tool list is first served. `whyHidden` says
   * which setting would expose a tool that is left out; a call to it answers TOOL_NOT_EXPOSED with it.
   */
  expose(tools: readonly AnyTool[], whyHidden?: (tool: AnyTool) => string): void;
}

const INSTRUCTIONS =
  "Tools for the Raytio platform. Errors start with a stable code (e.g. PPM_NOT_FOUND, API_ERROR) followed by what to do next. List tools return next_cursor: pass it back as cursor for the next page.";

/**
 * `services` is a function so the same server can be built without configuration, e.g. to produce
 * tools/list for docs and --list-tools; it is only called when a tool runs.
 */
/**
 * What the SDK validates arguments against: anything, so every argument mistake reaches our choke
 * point and becomes a VALIDATION result. Clients see the tool's real schema (tools/list below).
 */
const ANY_ARGUMENTS = z.looseObject({});

export function createRaytioMcpServer(
  tools: readonly AnyTool[],
  services: () => ServerServices,
  /** Where this server keeps MCP tasks; without it, no task capability is declared. */
  taskHosting?: TaskHosting,
): RaytioMcpServer {
  let hidden: ReadonlySet<string> = new Set();
  let whyHidden: (tool: AnyTool) => string = () => "";
  const contextFor = (
    signal: AbortSignal,
    progress: ToolContext["progress"] = async () => undefined,
  ): ToolContext => {
    const { api, dsm, audit: trail, ...base } = services();
    const audit = new AuditCall(trail);
    return {
      ...base,
      audit,
      dsm: new DsmData(api, dsm, signal, () => audit.decrypting()),
      ppm: new PpmData(api, signal),
      prm: new PrmData(api, signal),
      wrm: new WrmData(api, signal),
      signal,
      hiddenTools: hidden,
      progress,
    };
  };
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
        // Lets the server tell the person why calls will fail (e.g. a sign-in that failed at start).
        logging: {},
        ...(tasks ? { tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } } : {}),
      },
      instructions: INSTRUCTIONS,
      ...(tasks ? { taskStore: tasks } : {}),
    },
  );
  routeTaskCalls(server.server, new Set(tools.filter((tool) => tool.task).map((tool) => tool.name)));
  server.server.registerCapabilities({ tools: { listChanged: true } });

  for (const tool of tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: ANY_ARGUMENTS,
        // No outputSchema here: executeTool validates every result against it already, and the SDK
        // would parse the same result again on every call. Clients see it in our tools/list below.
        annotations: { title: tool.title, ...tool.annotations },
      },
      async (args: unknown, extra: RequestHandlerExtra<ServerRequest, ServerNotification>) => {
        if (hidden.has(tool.name)) {
          return errorResult(
            new RaytioError(
              "TOOL_NOT_EXPOSED",
              `${tool.name} exists but this server does not expose it: ${whyHidden(tool)}`,
              { details: { tool: tool.name, domain: tool.domain } },
            ),
          );
        }
        const taskRequest = taskRequestOf(extra);
        if (taskRequest && tasks && tool.task) {
          let input: Record<string, unknown>;
          try {
            input = parseArguments(tool, args, hidden) as Record<string, unknown>;
          } catch {
            // The same VALIDATION result a plain call gets; the task routing turns it into the error.
            return executeTool(tool, args, contextFor(extra.signal));
          }
          try {
            // A CreateTaskResult, not a CallToolResult: the SDK returns it as is for a task-augmented call.
            return (await tasks.start(tool, input, taskRequest, extra.signal)) as never;
          } catch (error) {
            // Refused before a task existed (e.g. LIMIT_REACHED): the task routing turns it into the error.
            if (isRaytioError(error)) return errorResult(error);
            throw error;
          }
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
        return executeTool(tool, args, context);
      },
    );
  }

  // Every tool stays enabled in the SDK so a call to a hidden one reaches the check above; the list
  // is ours: each tool's real input schema, with pointers to hidden tools taken out of its texts.
  let entries: Tool[] | undefined;
  let listed: Tool[] | undefined;
  server.server.setRequestHandler(ListToolsRequestSchema, () => {
    entries ??= tools.map(toolListEntry);
    listed ??= exposedEntries(entries, hidden);
    return { tools: listed };
  });

  // Resources and prompts follow the tools: each is offered only when the tools it serves are exposed.
  const schemaResources = registerSchemaResources(server);
  const prompts = PROMPTS.map((prompt) => ({ prompt, handle: prompt.register(server) }));

  server.server.onclose = () => void tasks?.close();

  return {
    server,
    ...(tasks ? { tasks } : {}),
    expose(exposed, explain) {
      const names = new Set(exposed.map((tool) => tool.name));
      hidden = new Set(tools.filter((tool) => !names.has(tool.name)).map((tool) => tool.name));
      if (explain) whyHidden = explain;
      listed = undefined;
      schemaResources.enabled = names.has("list_schemas");
      for (const { prompt, handle } of prompts)
        handle.enabled = prompt.requiredTools.every((tool) => names.has(tool));
    },
  };
}

/**
 * The exact tools/list entries a client receives, produced by the SDK itself over an in-memory
 * connection, so docs and budgets measure what ships rather than a re-implementation of it.
 * `exposed` narrows it as a process started for some domains does (texts lose pointers to the rest).
 */
export async function listToolsAsClientSeesThem(
  tools: readonly AnyTool[],
  exposed?: readonly AnyTool[],
): Promise<Tool[]> {
  const app = createRaytioMcpServer(tools, () => {
    throw new RaytioError("CONFIG_INVALID", "This server instance only lists tools.");
  });
  if (exposed) app.expose(exposed);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "raytio-tool-listing", version: "1.0.0" });
  await app.server.connect(serverTransport);
  await client.connect(clientTransport);
  try {
    return (await client.listTools()).tools;
  } finally {
    await client.close();
    await app.server.close();
  }
}
