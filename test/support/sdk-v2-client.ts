import {
  type CallToolResult,
  Client,
  type ElicitResult,
  StreamableHTTPClientTransport,
} from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import type { Sandbox } from "../../sandbox/sandbox.js";
import { expectPublishedShape, SERVER_ENTRY, serverEnv } from "./harness.js";

/**
 * Clients on the SDK's v2 line, as today's hosts are built: the same code speaks either era. `modern`
 * pins 2026-07-28 (server/discover, no initialize, no session); `legacy` opens with initialize at
 * 2025-11-25. Both declare form elicitation when given an `answer`, and the one handler answers a
 * 2025-era `elicitation/create` and a 2026-07-28 `input_required` round alike.
 */
export type Era = "legacy" | "modern";
export const MODERN = "2026-07-28";

/** What the person does with a form the server shows them; every form they are shown is kept. */
export interface Person {
  answer: "accept" | "decline" | "cancel";
  shown: Array<{ message: string; requestedSchema: unknown }>;
}

export function person(answer: Person["answer"]): Person {
  return { answer, shown: [] };
}

export interface V2Connection {
  client: Client;
  era: Era;
  stderr: string[];
  /** The Mcp-Session-Id the server gave (HTTP); a 2026-07-28 connection has none. */
  sessionId(): string | undefined;
  /** The server process (stdio), for a test that signals it. */
  pid(): number | undefined;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

function newClient(era: Era, someone: Person | undefined): Client {
  const client = new Client(
    { name: `raytio-v2-${era}`, version: "1.0.0" },
    {
      capabilities: someone ? { elicitation: { form: {} } } : {},
      ...(era === "modern" ? { versionNegotiation: { mode: { pin: MODERN } } } : {}),
    },
  );
  if (someone) {
    client.setRequestHandler("elicitation/create", async (request): Promise<ElicitResult> => {
      const params = request.params as { message: string; requestedSchema?: unknown };
      someone.shown.push({ message: params.message, requestedSchema: params.requestedSchema });
      if (someone.answer === "accept") return { action: "accept", content: { confirm: true } };
      return { action: someone.answer };
    });
  }
  return client;
}

function connection(
  client: Client,
  era: Era,
  stderr: string[],
  sessionId: () => string | undefined = () => undefined,
  pid: () => number | undefined = () => undefined,
): V2Connection {
  return {
    client,
    era,
    stderr,
    sessionId,
    pid,
    call: async (name, args = {}) => {
      const result = await client.callTool({ name, arguments: args });
      await expectPublishedShape(name, result as unknown as Parameters<typeof expectPublishedShape>[1]);
      return result;
    },
    close: () => client.close(),
  };
}

/** The built server over stdio, signed in as a sandbox account. */
export async function connectStdio(
  sandbox: Sandbox,
  account: string,
  era: Era,
  options: { person?: Person; env?: Record<string, string> } = {},
): Promise<V2Connection> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [SERVER_ENTRY],
    env: serverEnv(sandbox.configFor(account, options.env ?? {})),
    stderr: "pipe",
  });
  const stderr: string[] = [];
  let partial = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString("utf8")).split("\n");
    partial = lines.pop() ?? "";
    stderr.push(...lines);
  });
  const client = newClient(era, options.person);
  await client.connect(transport);
  return connection(client, era, stderr, undefined, () => transport.pid ?? undefined);
}

/** The HTTP transport at `url`, with a bearer token the OAuth flow already issued. */
export async function connectHttp(
  url: string,
  accessToken: string,
  era: Era,
  options: { person?: Person } = {},
): Promise<V2Connection> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${accessToken}` } },
  });
  const client = newClient(era, options.person);
  await client.connect(transport);
  return connection(client, era, [], () => transport.sessionId);
}
