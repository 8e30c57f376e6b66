/**
 * Writes dist/handshake.json, run by `npm run build` after the bundle: the stdio server's `initialize`
 * answer and every tool's tools/list entry, produced by the real server (the SDK over an in-memory
 * connection) so the early answers (src/early-answers.ts) serve exactly what the SDK would, without
 * loading the SDK, the tools or their zod schemas before the first tools/list.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { HANDSHAKE_FILE, type Handshake } from "../src/early-answers.js";
import { RaytioError } from "../src/errors.js";
import { createRaytioMcpServer } from "../src/server.js";
import { MemoryTaskKv } from "../src/tasks/kv.js";
import { TOOLS } from "../src/tools/registry.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** A stdio server built as `serve` in src/main.ts builds it, able only to answer the handshake. */
export function handshakeServer() {
  return createRaytioMcpServer(
    TOOLS,
    () => {
      throw new RaytioError("CONFIG_INVALID", "This server instance only answers the handshake.");
    },
    { kv: new MemoryTaskKv(), owner: "stdio" },
  );
}

/** The handshake of a stdio server, as sent. */
export async function buildHandshake(): Promise<Handshake> {
  const app = handshakeServer();
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "raytio-handshake", version: "1.0.0" });
  await app.server.connect(serverTransport);
  await client.connect(clientTransport);
  try {
    // Loose schemas: what the server sent, key for key, not what the client's schemas would keep.
    const initialize = await client.request(
      {
        method: "initialize",
        params: {
          protocolVersion: LATEST_PROTOCOL_VERSION,
          capabilities: {},
          clientInfo: { name: "raytio-handshake", version: "1.0.0" },
        },
      },
      z.looseObject({ capabilities: z.looseObject({}), serverInfo: z.looseObject({}) }),
    );
    const { protocolVersion: _negotiated, ...answer } = initialize;
    const listed = await client.request(
      { method: "tools/list" },
      z.looseObject({ tools: z.array(z.looseObject({ name: z.string() })) }),
    );
    const domainOf = new Map(TOOLS.map((tool) => [tool.name, tool.domain]));
    return {
      protocol: { latest: LATEST_PROTOCOL_VERSION, supported: [...SUPPORTED_PROTOCOL_VERSIONS] },
      initialize: answer as Handshake["initialize"],
      tools: listed.tools.map((entry) => {
        const domain = domainOf.get(entry.name);
        if (!domain) throw new Error(`tools/list names ${entry.name}, which is not in the registry`);
        return { domain, entry: entry as Handshake["tools"][number]["entry"] };
      }),
    };
  } finally {
    await client.close();
    await app.server.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const handshake = await buildHandshake();
  writeFileSync(path.join(root, "dist", HANDSHAKE_FILE), JSON.stringify(handshake));
  console.error(`Wrote dist/${HANDSHAKE_FILE} (${handshake.tools.length} tools)`);
}
