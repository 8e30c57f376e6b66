import { TASKS_EXTENSION_ID_V2 } from "@modelcontextprotocol/ext-tasks/core/v2";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { RawServer } from "./abuse.js";

/**
 * A 2026-07-28 client on the wire: every request carries its own version, identity and capabilities in
 * `_meta`, and the answer is read raw, because the SDK client neither sends `tasks/update` nor keeps a
 * tools/call result whose `resultType` is "task". Shared by the stdio and HTTP tests of the tasks
 * extension, which give it their way of sending one request.
 */
export const MODERN = "2026-07-28";
export const WITH_TASKS = { extensions: { [TASKS_EXTENSION_ID_V2]: {} } };

export interface RpcOutcome {
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: Record<string, unknown> };
}

export type Send = (method: string, params: Record<string, unknown>) => Promise<RpcOutcome>;

export function envelope(capabilities: Record<string, unknown>): Record<string, unknown> {
  return {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientInfo": { name: "tasks-extension-test", version: "1.0.0" },
    "io.modelcontextprotocol/clientCapabilities": capabilities,
  };
}

export interface ModernWire {
  rpc(
    method: string,
    params?: Record<string, unknown>,
    capabilities?: Record<string, unknown>,
  ): Promise<RpcOutcome>;
  /** A plain tools/call from a client without the extension, as the tests' setup makes them. */
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
}

export function modernWire(send: Send): ModernWire {
  const rpc: ModernWire["rpc"] = (method, params = {}, capabilities = WITH_TASKS) =>
    send(method, { ...params, _meta: envelope(capabilities) });
  return {
    rpc,
    call: async (name, args) => {
      const outcome = await rpc("tools/call", { name, arguments: args }, {});
      if (!outcome.result) throw new Error(`${name} failed: ${JSON.stringify(outcome.error)}`);
      return outcome.result as unknown as CallToolResult;
    },
  };
}

/** One request over a raw stdio server, its answer matched by id. */
export function stdioSend(server: RawServer): Send {
  let next = 1000;
  return async (method, params) => {
    const id = next++;
    server.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    const message = await server.waitFor((reply) => reply.id === id, `${method} (${id})`);
    return message as RpcOutcome;
  };
}

/** One request over Streamable HTTP with a bearer token: a JSON answer or an SSE stream ending with it. */
export function httpSend(url: string, accessToken: () => string): Send {
  let next = 1000;
  return async (method, params) => {
    const id = next++;
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
        Authorization: `Bearer ${accessToken()}`,
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": method,
        ...(typeof params.taskId === "string" ? { "Mcp-Name": params.taskId } : {}),
        ...(method === "tools/call" && typeof params.name === "string" ? { "Mcp-Name": params.name } : {}),
      },
      body: JSON.stringify({ jsonrpc: "2.0", id, method, params }),
    });
    const text = await response.text();
    const messages = (response.headers.get("content-type") ?? "").includes("text/event-stream")
      ? text
          .split("\n")
          .filter((line) => line.startsWith("data: "))
          .map((line) => JSON.parse(line.slice(6)) as Record<string, unknown>)
      : [JSON.parse(text) as Record<string, unknown>];
    const answer = messages.find((message) => message.id === id);
    if (!answer) throw new Error(`No answer to ${method} (HTTP ${response.status}): ${text.slice(0, 500)}`);
    return answer as RpcOutcome;
  };
}

export interface OpenStream {
  /** Every message the stream has carried so far, the acknowledgement first. */
  messages: Array<Record<string, unknown>>;
  close(): void;
}

/**
 * A subscriptions/listen stream over HTTP, read as it arrives (the SDK client's listen keeps only the
 * filters it knows, and `taskIds` is the tasks extension's).
 */
export async function httpListen(
  url: string,
  accessToken: string,
  notifications: Record<string, unknown>,
  capabilities: Record<string, unknown> = WITH_TASKS,
): Promise<OpenStream> {
  const controller = new AbortController();
  const response = await fetch(url, {
    method: "POST",
    signal: controller.signal,
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      Authorization: `Bearer ${accessToken}`,
      "MCP-Protocol-Version": MODERN,
      "Mcp-Method": "subscriptions/listen",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: "listen-1",
      method: "subscriptions/listen",
      params: { notifications, _meta: envelope(capabilities) },
    }),
  });
  const messages: Array<Record<string, unknown>> = [];
  const reader = response.body?.getReader();
  if (!reader) throw new Error(`subscriptions/listen gave no stream (HTTP ${response.status})`);
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame
            .split("\n")
            .filter((line) => line.startsWith("data: "))
            .map((line) => line.slice(6))
            .join("\n");
          if (data) messages.push(JSON.parse(data) as Record<string, unknown>);
        }
      }
    } catch {
      // Closed by the test.
    }
  })();
  return { messages, close: () => controller.abort() };
}
