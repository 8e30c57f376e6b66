import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { Server as NetServer } from "node:net";
import { sendJsonRpcError } from "./respond.js";

/**
 * Graceful shutdown of the HTTP listener. On SIGTERM the replica stops accepting connections, answers
 * any new request that still reaches it (over a connection already open) with 503 and Retry-After, and
 * lets the requests in flight finish, for at most MCP_DRAIN_TIMEOUT. A stream (a 2025-era GET, or a
 * 2026-07-28 subscriptions/listen) is not waited for: it never ends by itself; it is closed cleanly
 * after the calls, with the sessions and listen streams, and its client reconnects to another replica.
 */
const RETRY_AFTER_SECONDS = "5";

function isStream(req: IncomingMessage): boolean {
  return req.method === "GET" && String(req.headers.accept ?? "").includes("text/event-stream");
}

export class Drain {
  #draining = false;
  /** Requests that will end by themselves: the ones drain waits for. */
  readonly #calls = new Set<ServerResponse>();
  /** Every response still open, streams included. */
  readonly #open = new Set<ServerResponse>();
  readonly #waiters = new Set<() => void>();

  get draining(): boolean {
    return this.#draining;
  }

  get inFlight(): number {
    return this.#calls.size;
  }

  /** Answers the request with 503 when draining (true), or starts following it (false). */
  refuseOrFollow(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.#draining) {
      sendJsonRpcError(res, 503, -32000, "This server is shutting down: send the request again.", {
        "Retry-After": RETRY_AFTER_SECONDS,
        Connection: "close",
      });
      return true;
    }
    this.#open.add(res);
    if (!isStream(req)) this.#calls.add(res);
    res.once("close", () => {
      this.#open.delete(res);
      this.#calls.delete(res);
      for (const waiter of this.#waiters) waiter();
    });
    return false;
  }

  /**
   * A POST that turned out to open a stream (a 2026-07-28 subscriptions/listen): like a GET stream it
   * never ends by itself, so drain does not wait for it; it is closed with the listen streams.
   */
  followAsStream(res: ServerResponse): void {
    if (this.#calls.delete(res)) for (const waiter of this.#waiters) waiter();
  }

  /**
   * Stops listening and waits for the calls in flight, for at most `timeoutMs`; true when all of them
   * finished. Connections already open stay open, so a request on its way over one is answered 503
   * rather than lost with a reset (http.Server#close would drop idle keep-alive connections at once).
   */
  async start(server: Server, timeoutMs: number): Promise<boolean> {
    this.#draining = true;
    NetServer.prototype.close.call(server);
    for (const res of this.#calls) if (!res.headersSent) res.setHeader("Connection", "close");
    return this.#until(() => this.#calls.size === 0, timeoutMs);
  }

  /** Waits until every response, streams included, has ended, for at most `timeoutMs`. */
  allClosed(timeoutMs: number): Promise<boolean> {
    return this.#until(() => this.#open.size === 0, timeoutMs);
  }

  #until(done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const check = () => {
        if (!done()) return;
        finish(true);
      };
      const finish = (result: boolean) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(result);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.#waiters.add(check);
    });
  }
}
