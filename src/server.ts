import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer, type RegisteredTool } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { ServerNotification, ServerRequest, Tool } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { PROMPTS } from "./catalogue/prompts.js";
import { registerSchemaResources } from "./catalogue/resources.js";
import type { Config } from "./config.js";
import { DsmData } from "./dsm/data.js";
import type { DsmServices } from "./dsm/services.js";
import { RaytioError } from "./errors.js";
import type { Logger } from "./logger.js";
import { PpmData } from "./ppm/data.js";
import { PrmData } from "./prm/data.js";
import type { RaytioApiClient } from "./raytio/api-client.js";
import type { TokenSource } from "./raytio/auth.js";
import { executeTool } from "./tools/execute.js";
import { decodeFallbacks, prepareInputSchema } from "./tools/schema-fallback.js";
import type { AnyTool, ToolContext } from "./tools/tool.js";
import { PACKAGE_NAME, VERSION } from "./version.js";
import { WrmData } from "./wrm/data.js";

export interface ServerServices {
  config: Config;
  logger: Logger;
  api: RaytioApiClient;
  tokens: TokenSource;
  dsm: DsmServices;
}

export interface RaytioMcpServer {
  server: McpServer;
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
): RaytioMcpServer {
  const server = new McpServer(
    { name: PACKAGE_NAME, title: "Raytio", version: VERSION },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { listChanged: true },
        prompts: { listChanged: true },
      },
      instructions: INSTRUCTIONS,
    },
  );

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
        const progressToken = extra._meta?.progressToken;
        const { api, dsm, ...base } = services();
        const context: ToolContext = {
          ...base,
          dsm: new DsmData(api, dsm, extra.signal),
          ppm: new PpmData(api, extra.signal),
          prm: new PrmData(api, extra.signal),
          wrm: new WrmData(api, extra.signal),
          signal: extra.signal,
          async progress(progress, total, message) {
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
          },
        };
        return executeTool(tool, decodeFallbacks(args, input.fallbacks), context, input.fallbacks.length > 0);
      },
    );
    registered.set(tool.name, handle);
  }

  // Resources and prompts follow the tools: each is offered only when the tools it serves are exposed.
  const schemaResources = registerSchemaResources(server);
  const prompts = PROMPTS.map((prompt) => ({ prompt, handle: prompt.register(server) }));

  return {
    server,
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

/**
 * The exact tools/list entries a client receives, produced by the SDK itself over an in-memory
 * connection, so docs and budgets measure what ships rather than a re-implementation of it.
 */
export async function listToolsAsClientSeesThem(tools: readonly AnyTool[]): Promise<Tool[]> {
  const app = createRaytioMcpServer(tools, () => {
    throw new RaytioError("CONFIG_INVALID", "This server instance only lists tools.");
  });
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
