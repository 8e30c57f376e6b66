import {
  type JSONRPCMessage,
  type MessageExtraInfo,
  PROTOCOL_VERSION_META_KEY,
  type RequestId,
  type Transport,
} from "@modelcontextprotocol/server";
import { ForwardingTransport } from "./forwarding-transport.js";
import type { ChangeFeed } from "./subscriptions/feed.js";
import {
  acceptListen,
  LISTEN_METHOD,
  type ListenPolicy,
  ListenSubscription,
  listenErrorResponse,
} from "./subscriptions/listen.js";

/**
 * `subscriptions/listen` over stdio for a 2026-07-28 connection, served here rather than by the SDK's
 * stdio entry (why: src/subscriptions/listen.ts). The listen request and a `notifications/cancelled`
 * naming it never reach the SDK; every message of a stream is written on the one stdout, stamped with
 * its subscription id. A 2025-era connection has no such method: its messages pass through untouched.
 */
export class ListenTransport extends ForwardingTransport {
  readonly #open = new Map<RequestId, ListenSubscription>();
  #legacy = false;

  constructor(
    inner: Transport,
    private readonly feed: ChangeFeed,
    /** Asked when each stream opens, so it follows the tools the principal was given. */
    private readonly policy: () => ListenPolicy,
  ) {
    super(inner);
  }

  /** The connection opened with initialize: the 2025 era, which has no subscriptions/listen. */
  servesLegacy(): void {
    this.#legacy = true;
  }

  get openCount(): number {
    return this.#open.size;
  }

  protected override received(message: JSONRPCMessage, extra?: MessageExtraInfo): void {
    if (!this.#legacy && "method" in message) {
      if (message.method === LISTEN_METHOD && "id" in message && isModern(message.params)) {
        this.#listen(message.id, message.params);
        return;
      }
      if (message.method === "notifications/cancelled" && !("id" in message)) {
        const requestId = (message.params as { requestId?: RequestId } | undefined)?.requestId;
        const subscription = requestId === undefined ? undefined : this.#open.get(requestId);
        if (subscription) {
          this.#open.delete(subscription.id);
          void subscription.close(false);
          return;
        }
      }
    }
    super.received(message, extra);
  }

  #listen(id: RequestId, params: unknown): void {
    const policy = this.policy();
    const accepted = acceptListen(params, policy);
    if ("error" in accepted) {
      void this.#send(listenErrorResponse(id, accepted.error));
      return;
    }
    // A client reusing the id of a stream still open replaces it: the ids are how it tells them apart.
    const previous = this.#open.get(id);
    if (previous) void previous.close(false);
    const subscription = new ListenSubscription({
      id,
      honored: accepted.honored,
      policy,
      feed: this.feed,
      write: (out) => this.#send(out),
    });
    if (!subscription.closed) this.#open.set(id, subscription);
  }

  #send(message: JSONRPCMessage): Promise<void> {
    return this.inner.send(message).catch((error: unknown) => {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
    });
  }

  /** Server-side end of every stream (shutdown): each listen request is answered with its completion. */
  async closeAll(): Promise<void> {
    const open = [...this.#open.values()];
    this.#open.clear();
    await Promise.all(open.map((subscription) => subscription.close(true)));
  }

  override async close(): Promise<void> {
    for (const subscription of this.#open.values()) void subscription.close(false);
    this.#open.clear();
    return super.close();
  }
}

/** A 2026-07-28 request names its revision in `_meta`; without it the SDK answers as it would. */
function isModern(params: unknown): boolean {
  const meta = (params as { _meta?: Record<string, unknown> } | undefined)?._meta;
  return typeof meta?.[PROTOCOL_VERSION_META_KEY] === "string";
}
