import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { RaytioError } from "../errors.js";
import { createRaytioMcpServer } from "../server.js";
import type { AnyTool } from "./tool.js";

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

/** The budget measure used throughout: bytes of compact JSON divided by four. */
export function approximateTokens(value: unknown): number {
  return Math.ceil(Buffer.byteLength(JSON.stringify(value), "utf8") / 4);
}
