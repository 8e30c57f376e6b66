import { createHash } from "node:crypto";
import {
  type JSONRPCMessage,
  PROTOCOL_VERSION_META_KEY,
  type RequestId,
  UnsupportedProtocolVersionError,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import type { Logger } from "../logger.js";
import type { ChangeEvent, ChangeFeed } from "../subscriptions/feed.js";
import {
  acceptListen,
  LISTEN_METHOD,
  type ListenPolicy,
  ListenSubscription,
  listenErrorResponse,
} from "../subscriptions/listen.js";
import { telemetry } from "../telemetry.js";
import { MODERN_REVISIONS } from "../version-guard-transport.js";
import type { StateStore } from "./store.js";

/**
 * 2026-07-28 `subscriptions/listen` over Streamable HTTP (why not the SDK's router:
 * src/subscriptions/listen.ts). A stream is an SSE response to the listen POST that stays open until
 * the client closes it or the replica drains. Change events travel between replicas on one store
 * channel, each tagged with a hash of its principal; a replica hands an event only to its own streams
 * of that principal, so a person's stream may sit on one replica while their requests run on another.
 */
export const CHANGES_CHANNEL = "mcp:changes";
/** As the SDK's streams: comments often enough that proxies keep an idle stream open. */
const KEEP_ALIVE_MS = 15_000;
/** Open streams one replica holds at most (the SDK's own default cap). */
const MAX_STREAMS = 1024;

const changeEventSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("resource_updated"), uri: z.string() }),
  z.object({ kind: z.literal("task_status"), taskId: z.string() }),
]);
const envelopeSchema = z.object({ principal: z.string(), event: changeEventSchema });

/** The tag a principal's events carry on the shared channel: its key, hashed. */
function tagOf(principal: string): string {
  return createHash("sha256").update(principal).digest("hex");
}

/** Every principal's change feed on this replica, over the store's pub/sub (Redis, or memory alone). */
export class ChangeFeeds {
  readonly #listeners = new Map<string, Set<(event: ChangeEvent) => void>>();

  constructor(private readonly store: StateStore) {}

  async start(): Promise<void> {
    await this.store.subscribe(CHANGES_CHANNEL, (message) => this.#deliver(message));
  }

  /** The feed of one principal (src/http/principals.ts `principalOf`). */
  feedFor(principal: string): ChangeFeed {
    const tag = tagOf(principal);
    return {
      publish: (event) => this.store.publish(CHANGES_CHANNEL, JSON.stringify({ principal: tag, event })),
      subscribe: (listener) => {
        let listeners = this.#listeners.get(tag);
        if (!listeners) {
          listeners = new Set();
          this.#listeners.set(tag, listeners);
        }
        listeners.add(listener);
        return () => {
          listeners.delete(listener);
          if (listeners.size === 0 && this.#listeners.get(tag) === listeners) this.#listeners.delete(tag);
        };
      },
    };
  }

  #deliver(message: string): void {
    let parsed: z.infer<typeof envelopeSchema>;
    try {
      parsed = envelopeSchema.parse(JSON.parse(message));
    } catch {
      return;
    }
    for (const listener of [...(this.#listeners.get(parsed.principal) ?? [])]) {
      try {
        listener(parsed.event);
      } catch {
        // One stream failing to write must not keep the event from the others.
      }
    }
  }
}

/** Whether a parsed POST body is a listen request (served here, not by the SDK's handler). */
export function isListenRequest(body: unknown): body is { id: RequestId; method: string; params?: unknown } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return false;
  const message = body as Record<string, unknown>;
  return (
    message.method === LISTEN_METHOD && (typeof message.id === "string" || typeof message.id === "number")
  );
}

function jsonResponse(status: number, message: JSONRPCMessage): Response {
  return new Response(JSON.stringify(message), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

interface OpenStream {
  subscription: ListenSubscription;
  principal: string;
  end(graceful: boolean): Promise<void>;
}

/** This replica's open listen streams. */
export class ListenStreams {
  readonly #open = new Set<OpenStream>();

  constructor(
    private readonly options: {
      logger: Logger;
      /** Streams one principal may hold on this replica; opening one more ends their oldest (0: no cap). */
      maxPerPrincipal: number;
      keepAliveMs?: number;
    },
  ) {}

  get size(): number {
    return this.#open.size;
  }

  /** Open streams of one principal on this replica (an open stream keeps its principal from eviction). */
  countFor(principal: string): number {
    let count = 0;
    for (const stream of this.#open) if (stream.principal === principal) count += 1;
    return count;
  }

  /**
   * Answers one listen POST: a JSON-RPC error (as the SDK's handler answers a bad request), or the
   * stream. The checks the SDK's handler makes of every 2026-07-28 request that concern this one are
   * made here too: the revision named in `_meta` is served, and the headers that repeat the body agree.
   */
  serve(
    request: Request,
    body: { id: RequestId; params?: unknown },
    principal: string,
    feed: ChangeFeed,
    policy: ListenPolicy,
    onEnd: () => void,
  ): Response {
    const id = body.id;
    const meta = (body.params as { _meta?: Record<string, unknown> } | undefined)?._meta;
    const revision = meta?.[PROTOCOL_VERSION_META_KEY];
    if (typeof revision === "string" && !MODERN_REVISIONS.includes(revision)) {
      const refused = new UnsupportedProtocolVersionError({
        supported: [...MODERN_REVISIONS],
        requested: revision,
      });
      return jsonResponse(
        400,
        listenErrorResponse(id, { code: refused.code, message: refused.message, data: refused.data }),
      );
    }
    const versionHeader = request.headers.get("mcp-protocol-version");
    const methodHeader = request.headers.get("mcp-method");
    if (
      (versionHeader !== null && typeof revision === "string" && versionHeader !== revision) ||
      (methodHeader !== null && methodHeader !== LISTEN_METHOD)
    ) {
      return jsonResponse(
        400,
        listenErrorResponse(id, {
          code: -32020,
          message: "Header mismatch: the MCP-Protocol-Version and Mcp-Method headers must repeat the body",
        }),
      );
    }
    const accepted = acceptListen(body.params, policy);
    if ("error" in accepted) return jsonResponse(400, listenErrorResponse(id, accepted.error));
    if (this.#open.size >= MAX_STREAMS) {
      this.options.logger.warn("Refused a subscriptions/listen stream: this replica holds its maximum", {
        max: MAX_STREAMS,
      });
      return jsonResponse(
        503,
        listenErrorResponse(id, { code: -32603, message: "Subscription limit reached; try again later" }),
      );
    }
    this.#makeRoomFor(principal);

    const encoder = new TextEncoder();
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    let finished = false;
    let keepAlive: NodeJS.Timeout | undefined;
    const frame = (text: string) => {
      if (finished) return;
      try {
        controller.enqueue(encoder.encode(text));
      } catch {
        // The stream is already closed: its client is gone.
      }
    };
    let stream!: OpenStream;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearInterval(keepAlive);
      request.signal.removeEventListener("abort", cancelled);
      this.#open.delete(stream);
      onEnd();
      try {
        controller.close();
      } catch {
        // Already closed or cancelled by the client.
      }
    };
    const cancelled = () => void stream.end(false);
    const readable = new ReadableStream<Uint8Array>({
      start: (streamController) => {
        controller = streamController;
      },
      cancel: () => {
        void stream.end(false);
      },
    });
    const subscription = new ListenSubscription({
      id,
      honored: accepted.honored,
      policy,
      feed,
      write: async (message) => frame(`event: message\ndata: ${JSON.stringify(message)}\n\n`),
    });
    stream = {
      subscription,
      principal,
      end: async (graceful) => {
        await subscription.close(graceful);
        finish();
      },
    };
    this.#open.add(stream);
    if (subscription.closed) {
      // Honored nothing: acknowledged and completed at once.
      void stream.end(true);
    } else {
      keepAlive = setInterval(() => frame(": keepalive\n\n"), this.options.keepAliveMs ?? KEEP_ALIVE_MS);
      keepAlive.unref();
      if (request.signal.aborted) cancelled();
      else request.signal.addEventListener("abort", cancelled, { once: true });
    }
    return new Response(readable, {
      status: 200,
      headers: {
        "Content-Type": "text/event-stream",
        "Cache-Control": "no-cache, no-transform",
        Connection: "keep-alive",
        "X-Accel-Buffering": "no",
      },
    });
  }

  /** Keeps a principal under its cap by ending their oldest stream here, gracefully (they may reopen it). */
  #makeRoomFor(principal: string): void {
    const max = this.options.maxPerPrincipal;
    if (!max) return;
    const theirs = [...this.#open].filter((stream) => stream.principal === principal);
    while (theirs.length >= max) {
      const oldest = theirs.shift() as OpenStream;
      this.#open.delete(oldest);
      void oldest.end(true);
      telemetry().rateLimited("listen_streams_per_person");
      this.options.logger.info("Ended a person's oldest subscriptions/listen stream: their cap is reached", {
        max,
      });
    }
  }

  /** Drain and shutdown: every stream is answered with its completion, then closed. */
  async closeAll(): Promise<void> {
    const open = [...this.#open];
    this.#open.clear();
    await Promise.all(open.map((stream) => stream.end(true)));
  }
}
