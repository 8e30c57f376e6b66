import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The official conformance suite speaks only HTTP (`--url`). To run it against the stdio server, this
 * bridge turns each HTTP request into a line on a real `dist/index.js` process's stdin and answers with
 * the line that process writes back for it. It adds nothing of its own to the protocol:
 * - a 2025-era `initialize` starts a new server process (one stdio connection per session, as a client
 *   spawning the server would), named by the Mcp-Session-Id the bridge hands out;
 * - 2026-07-28 requests (no session) share one process, opened by its first request, as one stdio
 *   client's connection is;
 * - notifications a process sends while a request is open are streamed before the answer (SSE), the
 *   way Streamable HTTP carries them; server-to-client requests are answered by nobody.
 * What the suite checks about HTTP itself (Host and Origin rules, session headers, multiple streams)
 * is the bridge's behaviour, not the server's: those scenarios are listed in the baseline with that reason.
 */
export interface StdioBridge {
  url: string;
  stop(): Promise<void>;
}

interface Connection {
  child: ChildProcessWithoutNullStreams;
  /** Open requests by JSON-RPC id: what to do with each message for them. */
  waiting: Map<string | number, (message: Record<string, unknown>) => void>;
  /** The request whose exchange is open, for notifications that belong to no id. */
  current: ((message: Record<string, unknown>) => void) | undefined;
}

export async function startStdioBridge(entry: string, env: Record<string, string>): Promise<StdioBridge> {
  const sessions = new Map<string, Connection>();
  let modern: Connection | undefined;
  const all: Connection[] = [];

  const open = (): Connection => {
    const child = spawn(process.execPath, [entry], { env, stdio: "pipe" });
    const connection: Connection = { child, waiting: new Map(), current: undefined };
    let buffer = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      for (let newline = buffer.indexOf("\n"); newline >= 0; newline = buffer.indexOf("\n")) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        let message: Record<string, unknown>;
        try {
          message = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        const id = message.id as string | number | undefined;
        const isResponse = id !== undefined && !("method" in message);
        const handler = isResponse ? connection.waiting.get(id) : connection.current;
        handler?.(message);
      }
    });
    child.stderr.on("data", () => undefined);
    child.stdin.on("error", () => undefined);
    all.push(connection);
    return connection;
  };

  const exchange = (
    connection: Connection,
    body: Record<string, unknown>,
    res: ServerResponse,
    headers: Record<string, string>,
  ) => {
    const id = body.id as string | number | undefined;
    if (id === undefined) {
      connection.child.stdin.write(`${JSON.stringify(body)}\n`);
      res.writeHead(202, headers).end();
      return;
    }
    let streaming = false;
    const onMessage = (message: Record<string, unknown>) => {
      const final = message.id === id && !("method" in message);
      if (!final) {
        if (!streaming) {
          res.writeHead(200, { ...headers, "Content-Type": "text/event-stream" });
          streaming = true;
        }
        res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
        return;
      }
      connection.waiting.delete(id);
      if (connection.current === onMessage) connection.current = undefined;
      if (streaming) res.end(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
      else
        res.writeHead(200, { ...headers, "Content-Type": "application/json" }).end(JSON.stringify(message));
    };
    connection.waiting.set(id, onMessage);
    connection.current = onMessage;
    connection.child.stdin.write(`${JSON.stringify(body)}\n`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === "GET") {
      // No standalone stream over stdio: the process can only answer requests.
      res.writeHead(405, { Allow: "POST, DELETE" }).end();
      return;
    }
    const sessionId = req.headers["mcp-session-id"];
    if (req.method === "DELETE") {
      const connection = typeof sessionId === "string" ? sessions.get(sessionId) : undefined;
      if (!connection) return void res.writeHead(404).end();
      connection.child.stdin.end();
      sessions.delete(sessionId as string);
      return void res.writeHead(200).end();
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
    } catch {
      res.writeHead(400, { "Content-Type": "application/json" });
      return void res.end(
        JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } }),
      );
    }
    const meta = (body.params as { _meta?: Record<string, unknown> } | undefined)?._meta;
    const isModern = meta?.["io.modelcontextprotocol/protocolVersion"] !== undefined;
    if (isModern) {
      modern ??= open();
      return exchange(modern, body, res, {});
    }
    if (body.method === "initialize") {
      const id = randomUUID();
      const connection = open();
      sessions.set(id, connection);
      return exchange(connection, body, res, { "Mcp-Session-Id": id });
    }
    const connection = typeof sessionId === "string" ? sessions.get(sessionId) : undefined;
    if (!connection) {
      res.writeHead(typeof sessionId === "string" ? 404 : 400, { "Content-Type": "application/json" });
      return void res.end(
        JSON.stringify({
          jsonrpc: "2.0",
          id: body.id ?? null,
          error: { code: -32000, message: "No session" },
        }),
      );
    }
    return exchange(connection, body, res, {});
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    async stop() {
      for (const connection of all) connection.child.kill();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
