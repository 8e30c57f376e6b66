import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";

export type JsonRpcMessage = Record<string, unknown> & { id?: unknown };

/**
 * A stdio MCP server spawned with plain pipes: the cold-start bench drives every server (ours and the
 * peers) with the same few bytes, so the SDK client's own start-up cost is in no one's numbers.
 */
export class RawStdioProcess {
  readonly child: ChildProcessWithoutNullStreams;
  private buffer = "";
  private readonly waiters = new Map<unknown, (message: JsonRpcMessage) => void>();
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

  /**
   * What every MCP client does first: initialize, `initialized`, then tools/list. Resolves with both
   * answers and when each arrived (performance.now()).
   */
  async handshake(): Promise<{
    initialized: JsonRpcMessage;
    initializedAt: number;
    listed: JsonRpcMessage;
    listedAt: number;
  }> {
    this.send(initializeRequest(1));
    const initialized = await this.response(1);
    const initializedAt = performance.now();
    this.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    this.send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    const listed = await this.response(2);
    return { initialized, initializedAt, listed, listedAt: performance.now() };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGKILL");
    await this.exited;
  }
}

export const initializeRequest = (id: number) => ({
  jsonrpc: "2.0",
  id,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "raytio-bench", version: "1.0.0" },
  },
});
