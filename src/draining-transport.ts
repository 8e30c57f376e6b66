import type { JSONRPCMessage, MessageExtraInfo, TransportSendOptions } from "@modelcontextprotocol/server";
import { ForwardingTransport } from "./forwarding-transport.js";
import { newRequestId, runInRequest } from "./request-context.js";

/** JSON-RPC's "server error" range: the request was not run, and may be sent again elsewhere. */
const SHUTTING_DOWN = -32000;

const keyOf = (id: string | number) => JSON.stringify(id);

/**
 * The outermost stdio wrapper. It knows which requests are still being served, so a SIGTERM lets them
 * finish (within MCP_DRAIN_TIMEOUT) instead of cutting a tool call off halfway, and answers anything
 * that arrives meanwhile with an error rather than leaving it unanswered. Each request is served in its
 * own request context, so every log line it causes carries its request id.
 */
export class DrainingTransport extends ForwardingTransport {
  readonly #inFlight = new Set<string>();
  #draining = false;
  #settled: (() => void) | undefined;

  protected override received(message: JSONRPCMessage, extra?: MessageExtraInfo): void {
    if ("method" in message && "id" in message) {
      if (this.#draining) {
        void this.inner
          .send({
            jsonrpc: "2.0",
            id: message.id,
            error: { code: SHUTTING_DOWN, message: "The server is shutting down: send the request again." },
          } as JSONRPCMessage)
          .catch(() => undefined);
        return;
      }
      this.#inFlight.add(keyOf(message.id));
      runInRequest({ requestId: newRequestId() }, () => super.received(message, extra));
      return;
    }
    // A cancelled request gets no answer at all, so it stops counting as in flight here.
    if ("method" in message && message.method === "notifications/cancelled") {
      const cancelled = (message.params as { requestId?: unknown } | undefined)?.requestId;
      if (typeof cancelled === "string" || typeof cancelled === "number") this.#finished(cancelled);
    }
    super.received(message, extra);
  }

  override async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    try {
      await super.send(message, options);
    } finally {
      const answered = !("method" in message) && "id" in message ? message.id : undefined;
      if (typeof answered === "string" || typeof answered === "number") this.#finished(answered);
    }
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  #finished(id: string | number): void {
    this.#inFlight.delete(keyOf(id));
    if (this.#draining && this.#inFlight.size === 0) this.#settled?.();
  }

  /**
   * Stops taking requests and waits for those in flight to be answered, for at most `timeoutMs`.
   * True when every one was answered in time.
   */
  drain(timeoutMs: number): Promise<boolean> {
    this.#draining = true;
    if (this.#inFlight.size === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#settled = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }
}
