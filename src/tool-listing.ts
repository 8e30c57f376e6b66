import { Client } from "@modelcontextprotocol/client";
import { InMemoryTransport, type Tool } from "@modelcontextprotocol/server";
import { RaytioError } from "./errors.js";
import { RaytioSurface } from "./server.js";
import { catalogueTool } from "./tools/catalogue.js";
import type { AnyTool } from "./tools/core/tool.js";

/**
 * The exact tools/list entries a client receives, produced by the SDK itself over an in-memory
 * connection, so docs and budgets measure what ships rather than a re-implementation of it.
 * `exposed` narrows it as a process started for some domains does (texts lose pointers to the rest).
 * For scripts and tests; the server itself never loads the client.
 */
export async function listToolsAsClientSeesThem(
  tools: readonly AnyTool[],
  exposed?: readonly AnyTool[],
): Promise<Tool[]> {
  const surface = new RaytioSurface({
    catalogue: tools.map(catalogueTool),
    tools,
    services: () => {
      throw new RaytioError("CONFIG_INVALID", "This server instance only lists tools.");
    },
  });
  surface.expose(new Set((exposed ?? tools).map((tool) => tool.name)));
  const server = surface.newServer("legacy");
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "raytio-tool-listing", version: "1.0.0" });
  await server.connect(serverTransport);
  await client.connect(clientTransport);
  try {
    return (await client.listTools()).tools;
  } finally {
    await client.close();
    await server.close();
  }
}
