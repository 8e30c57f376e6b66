import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { performance } from "node:perf_hooks";

export type JsonRpcMessage = Record<string, unknown> & { id?: unknown };

/**
 * How today's clients open a stdio server (issue 22), each as the bench replays it:
 * - `claude-code` (2.1.332): `server/discover` at 2026-07-28; on an error ("Method not found" from a
 *   2025-era server) `initialize` at 2025-11-25 on the same process; then tools/list and tools/call.
 * - `codex` (0.171): `initialize` at 2025-06-18, then tools/list and tools/call.
 * Both declare form and URL elicitation, as those clients do.
 */
export type ClientOrder = "claude-code" | "codex";
export const CLIENT_ORDERS: readonly ClientOrder[] = ["claude-code", "codex"];

export const CLIENTS: Record<ClientOrder, { name: string; version: string; legacyVersion: string }> = {
  "claude-code": { name: "claude-code", version: "2.1.332", legacyVersion: "2025-11-25" },
  codex: { name: "codex-mcp-client", version: "0.171.0", legacyVersion: "2025-06-18" },
};

const MODERN_VERSION = "2026-07-28";
const ELICITATION = { elicitation: { form: {}, url: {} } };

/** The era a connection ended up in: `modern` (2026-07-28, every request enveloped) or `legacy`. */
export type Era = "modern" | "legacy";

/**
 * A stdio MCP server spawned with plain pipes: the bench drives every server (ours and the peers)
 * with the same few bytes, so no client library's own start-up or parsing is in anyone's numbers.
 */
export class RawStdioProcess {
  readonly child: ChildProcessWithoutNullStreams;
  private buffer = "";
  private readonly waiters = new Map<unknown, (message: JsonRpcMessage) => void>();
  private nextId = 1;
  private era: Era = "legacy";
  private client = CLIENTS.codex;
  readonly exited: Promise<number | null>;
  stderr = "";

  constructor(command: string, args: string[], env: Record<string, string>, cwd?: string) {
    this.child = spawn(command, args, { env, stdio: "pipe", ...(cwd ? { cwd } : {}) });
    this.child.stdout.on("data", (chunk: Buffer) => this.onData(chunk));
    this.child.stderr.on("data", (chunk: Buffer) => {
      // Kept short: only read when a server fails to answer.
      if (this.stderr.length < 20_000) this.stderr += chunk.toString("utf8");
    });
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
    // A server killed while we still write to it must not take the bench down with EPIPE.
    this.child.stdin.on("error", () => undefined);
  }

  private onData(chunk: Buffer): void {
    this.buffer += chunk.toString("utf8");
    let newline = this.buffer.indexOf("\n");
    while (newline >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      newline = this.buffer.indexOf("\n");
      let message: JsonRpcMessage;
      try {
        message = JSON.parse(line) as JsonRpcMessage;
      } catch {
        continue;
      }
      const waiter = this.waiters.get(message.id);
      if (waiter && ("result" in message || "error" in message)) {
        this.waiters.delete(message.id);
        waiter(message);
      }
    }
  }

  send(message: unknown): void {
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
  }

  /** Resolves with the response to `id`; rejects after `timeoutMs` with the server's stderr. */
  response(id: number | string, timeoutMs = 30_000): Promise<JsonRpcMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new Error(`no response to ${id} within ${timeoutMs} ms; stderr: ${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      this.waiters.set(id, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
  }

  /** Sends a request (enveloped once the connection is modern) and waits for its answer. */
  async request(method: string, params: Record<string, unknown> = {}): Promise<JsonRpcMessage> {
    const id = this.nextId;
    this.nextId += 1;
    const answer = this.response(id);
    this.send({
      jsonrpc: "2.0",
      id,
      method,
      params: this.era === "modern" ? this.enveloped(params) : params,
    });
    return answer;
  }

  /** The id the next request will carry (the load trace marks answers by id). */
  peekId(): number {
    return this.nextId;
  }

  private enveloped(params: Record<string, unknown>): Record<string, unknown> {
    return {
      ...params,
      _meta: {
        "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
        "io.modelcontextprotocol/clientInfo": { name: this.client.name, version: this.client.version },
        "io.modelcontextprotocol/clientCapabilities": ELICITATION,
      },
    };
  }

  /**
   * Opens the connection as `order`'s client does, up to and including the answer to tools/list.
   * Resolves with the era it ended in, the tools/list answer and when it arrived (performance.now()).
   */
  async open(order: ClientOrder): Promise<{ era: Era; listed: JsonRpcMessage; listedAt: number }> {
    this.client = CLIENTS[order];
    if (order === "claude-code") {
      this.era = "modern";
      const discovered = await this.request("server/discover");
      if ("error" in discovered) this.era = "legacy";
    }
    if (this.era === "legacy") {
      const initialized = await this.request("initialize", {
        protocolVersion: this.client.legacyVersion,
        capabilities: ELICITATION,
        clientInfo: { name: this.client.name, version: this.client.version },
      });
      if (!("result" in initialized)) throw new Error(`initialize failed: ${JSON.stringify(initialized)}`);
      this.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    }
    const listed = await this.request("tools/list");
    const listedAt = performance.now();
    if (!("result" in listed)) throw new Error(`tools/list failed: ${JSON.stringify(listed).slice(0, 500)}`);
    return { era: this.era, listed, listedAt };
  }

  callTool(name: string, args: Record<string, unknown>): Promise<JsonRpcMessage> {
    return this.request("tools/call", { name, arguments: args });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGKILL");
    await this.exited;
  }
}
