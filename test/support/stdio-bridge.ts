import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The official conformance suite speaks only HTTP (`--url`). To run it against the stdio server, this
 * bridge turns each HTTP request into a line on a real `dist/index.js` process's stdin and answers with
 * what that process writes back for it, doing what one stdio client would do and nothing more:
 * - a 2025-era `initialize` starts a new server process (one stdio connection per session, as a client
 *   spawning the server would), named by the Mcp-Session-Id the bridge hands out;
 * - every other request without a session (2026-07-28 requests carry their version in `_meta`, and an
 *   `initialize` that claims 2026-07-28 there too) goes to one shared process, as one 2026-07-28 stdio
 *   client's connection would. A stdio connection has one era, chosen by its opening messages (a message
 *   without the `_meta` claim opens the 2025 era), so the bridge opens it as Claude Code does,
 *   `server/discover` then `tools/list` at 2026-07-28, before any of the suite's requests. What the
 *   suite then sends, malformed `_meta` included, the modern server answers;
 * - a stdio client numbers its own requests, so the bridge gives each request an id of its own on the
 *   way in and the caller's back on the way out (the suite opens several HTTP clients that all count
 *   from 0); a `subscriptions/listen` notification names its request's id, so it is mapped back too;
 * - notifications reach the request they belong to: by subscription id, by progress token, else the
 *   latest open request on that process, streamed before its answer (SSE) as Streamable HTTP carries
 *   them; a 2025-era server's own requests (elicitation, sampling) go the same way and the caller's
 *   answers, POSTed back, are written to stdin;
 * - an HTTP request closed before its answer is cancelled with `notifications/cancelled`, the stdio way.
 * There is no standalone GET stream (405, which Streamable HTTP allows). What the suite checks about HTTP
 * itself (Host and Origin rules, status codes, headers, streams) is therefore the bridge's behaviour, not
 * the server's: those scenarios and checks are in the stdio baselines with that reason.
 *
 * A process takes a while to start, and some of the suite's requests give up after 5 s (the
 * `initialize` of server-initialize's session-id check): on a loaded machine a process started by that
 * request could lose the race. So the shared process starts with the bridge, and `spareSessions`
 * processes are started ahead of the `initialize` requests that take them, each replaced as it is
 * taken; a request then waits only for a running server's answer.
 *
 * The suite never ends a session (no DELETE), so a process per session would pile up: the bridge keeps
 * the `maxSessions` most recently used ones and ends the least recently used beyond that. Scenarios run
 * one after another and each uses a fixed number of sessions, so which session is ended does not depend
 * on timing; a scenario that needed more would see 404 for its oldest session, not a flaky result.
 */
export interface StdioBridge {
  url: string;
  /** Everything every process wrote to stderr, for diagnosing a failed run. */
  stderr: string[];
  /** Server processes started so far. */
  started(): number;
  stop(): Promise<void>;
}

type Message = Record<string, unknown>;
type Id = string | number;

interface Exchange {
  /** The caller's id for this request. */
  callerId: Id;
  progressToken: unknown;
  deliver(message: Message): void;
}

interface Connection {
  child: ChildProcessWithoutNullStreams;
  /** Open requests by the bridge's id for them, in the order they were opened. */
  open: Map<number, Exchange>;
  lastUsed: number;
  /** Settles once the process serves stdio (or has ended). */
  ready: Promise<void>;
}

const SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";
const PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion";
const MODERN_ENVELOPE = {
  [PROTOCOL_VERSION]: "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "raytio-stdio-bridge", version: "1.0.0" },
};

const requestMeta = (message: Message) => (message.params as { _meta?: Message } | undefined)?._meta;

function jsonRpcError(res: ServerResponse, status: number, id: unknown, message: string): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ jsonrpc: "2.0", id: id ?? null, error: { code: -32000, message } }));
}

export async function startStdioBridge(
  entry: string,
  env: Record<string, string>,
  { maxSessions = 4, spareSessions = 0 }: { maxSessions?: number; spareSessions?: number } = {},
): Promise<StdioBridge> {
  const sessions = new Map<string, Connection>();
  /** Processes started ahead of the `initialize` that will take them. */
  const spares: Connection[] = [];
  // Assigned before the bridge listens, so every request finds it.
  let shared!: Connection;
  const all: Connection[] = [];
  const stderr: string[] = [];
  let nextId = 1;
  let clock = 0;

  const route = (connection: Connection, message: Message) => {
    const id = message.id as Id | undefined;
    if (id !== undefined && !("method" in message)) {
      const exchange = connection.open.get(id as number);
      if (!exchange) return;
      connection.open.delete(id as number);
      exchange.deliver({ ...message, id: exchange.callerId });
      return;
    }
    const params = message.params as { _meta?: Message; progressToken?: unknown } | undefined;
    const subscription = params?._meta?.[SUBSCRIPTION_ID];
    if (subscription !== undefined) {
      const exchange = connection.open.get(subscription as number);
      exchange?.deliver({
        ...message,
        params: { ...params, _meta: { ...params?._meta, [SUBSCRIPTION_ID]: exchange.callerId } },
      });
      return;
    }
    const exchanges = [...connection.open.values()];
    const owner =
      (message.method === "notifications/progress" &&
        exchanges.find((exchange) => exchange.progressToken === params?.progressToken)) ||
      exchanges.at(-1);
    owner?.deliver(message);
  };

  const end = (connection: Connection) => {
    for (const exchange of connection.open.values())
      exchange.deliver({
        jsonrpc: "2.0",
        id: exchange.callerId,
        error: { code: -32000, message: "stdio bridge: the server process ended" },
      });
    connection.open.clear();
    connection.child.stdin.end();
  };

  const start = (): Connection => {
    const child = spawn(process.execPath, [entry], { env, stdio: "pipe" });
    let markReady!: () => void;
    const ready = new Promise<void>((resolve) => {
      markReady = resolve;
    });
    const connection: Connection = { child, open: new Map(), lastUsed: clock++, ready };
    let buffer = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      for (let newline = buffer.indexOf("\n"); newline >= 0; newline = buffer.indexOf("\n")) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        // The server's stdout is JSON-RPC only; a line that is not would be the server's bug, and the
        // suite sees it as the request going unanswered.
        let message: Message;
        try {
          message = JSON.parse(line) as Message;
        } catch {
          stderr.push(`stdio bridge: not JSON on stdout: ${line}`);
          continue;
        }
        route(connection, message);
      }
    });
    let partial = "";
    child.stderr.on("data", (chunk: Buffer) => {
      partial += chunk.toString("utf8");
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      stderr.push(...lines);
      if (lines.some((line) => line.includes("serving on stdio"))) markReady();
    });
    child.stdin.on("error", () => undefined);
    child.once("exit", () => {
      markReady();
      end(connection);
    });
    all.push(connection);
    return connection;
  };

  /** The shared connection, pinned to 2026-07-28 by the opening a modern client sends. */
  const openModern = (): Connection => {
    const connection = start();
    for (const method of ["server/discover", "tools/list"]) {
      const id = nextId++;
      connection.open.set(id, { callerId: id, progressToken: undefined, deliver: () => undefined });
      send(connection, { jsonrpc: "2.0", id, method, params: { _meta: MODERN_ENVELOPE } });
    }
    return connection;
  };

  const newSession = (): [string, Connection] => {
    const live = [...sessions.entries()].sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    for (const [id, connection] of live.slice(0, Math.max(0, live.length - maxSessions + 1))) {
      sessions.delete(id);
      end(connection);
    }
    const id = randomUUID();
    const connection = spares.shift() ?? start();
    while (spares.length < spareSessions) spares.push(start());
    sessions.set(id, connection);
    return [id, connection];
  };

  const send = (connection: Connection, message: Message) => {
    connection.lastUsed = clock++;
    connection.child.stdin.write(`${JSON.stringify(message)}\n`);
  };

  const exchange = (
    connection: Connection,
    body: Message,
    res: ServerResponse,
    headers: Record<string, string>,
  ) => {
    const bridgeId = nextId++;
    let streaming = false;
    let answered = false;
    connection.open.set(bridgeId, {
      callerId: body.id as Id,
      progressToken: requestMeta(body)?.progressToken,
      deliver: (message) => {
        if (answered) return;
        const final = message.id === body.id && !("method" in message);
        if (!final) {
          if (!streaming) {
            res.writeHead(200, { ...headers, "Content-Type": "text/event-stream" });
            streaming = true;
          }
          res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
          return;
        }
        answered = true;
        if (streaming) res.end(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
        else
          res.writeHead(200, { ...headers, "Content-Type": "application/json" }).end(JSON.stringify(message));
      },
    });
    res.on("close", () => {
      if (answered || !connection.open.delete(bridgeId)) return;
      send(connection, {
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: bridgeId, reason: "the HTTP request was closed" },
      });
    });
    send(connection, { ...body, id: bridgeId });
  };

  /** A caller's notification or its answer to a server request: written as it is, apart from ids. */
  const pass = (connection: Connection, body: Message, res: ServerResponse) => {
    if (body.method === "notifications/cancelled") {
      const params = body.params as { requestId?: Id } | undefined;
      const open = [...connection.open.entries()].find(
        ([, exchange]) => exchange.callerId === params?.requestId,
      );
      if (open) {
        connection.open.delete(open[0]);
        body = { ...body, params: { ...params, requestId: open[0] } };
      }
    }
    send(connection, body);
    res.writeHead(202).end();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === "GET") {
      res.writeHead(405, { Allow: "POST, DELETE" }).end();
      return;
    }
    const sessionHeader = req.headers["mcp-session-id"];
    const sessionId = typeof sessionHeader === "string" ? sessionHeader : undefined;
    if (req.method === "DELETE") {
      const connection = sessionId ? sessions.get(sessionId) : undefined;
      if (!connection || !sessionId) return void res.writeHead(404).end();
      sessions.delete(sessionId);
      end(connection);
      return void res.writeHead(200).end();
    }
    if (req.method !== "POST") return void res.writeHead(405, { Allow: "GET, POST, DELETE" }).end();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: Message;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Message;
    } catch {
      res.writeHead(400, { "Content-Type": "application/json" });
      return void res.end(
        JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } }),
      );
    }
    if (typeof body !== "object" || body === null || Array.isArray(body))
      return jsonRpcError(res, 400, null, "stdio bridge: one JSON-RPC message per request");
    let connection: Connection | undefined;
    let headers: Record<string, string> = {};
    if (sessionId) {
      connection = sessions.get(sessionId);
      if (!connection) return jsonRpcError(res, 404, body.id, "stdio bridge: no such session");
    } else if (body.method === "initialize" && requestMeta(body)?.[PROTOCOL_VERSION] === undefined) {
      const [id, started] = newSession();
      connection = started;
      headers = { "Mcp-Session-Id": id };
    } else {
      connection = shared;
    }
    if (body.id === undefined || !("method" in body)) return pass(connection, body, res);
    return exchange(connection, body, res, headers);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      stderr.push(`stdio bridge: ${String(error)}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  // Started before the suite's first request, so no request waits for a process to start.
  shared = openModern();
  while (spares.length < spareSessions) spares.push(start());
  await Promise.all([shared, ...spares].map((connection) => connection.ready));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    stderr,
    started: () => all.length,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(
        all.map(
          (connection) =>
            new Promise<void>((resolve) => {
              const { child } = connection;
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once("exit", () => resolve());
              child.kill();
            }),
        ),
      );
    },
  };
}
