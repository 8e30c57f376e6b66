import {
  CLIENT_CAPABILITIES_META_KEY,
  type Implementation,
  type JSONRPCMessage,
  PROTOCOL_VERSION_META_KEY,
  type RequestId,
  SERVER_INFO_META_KEY,
  SUBSCRIPTION_ID_META_KEY,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import { declaresTasks, TASKS_EXTENSION } from "../tasks/extension.js";
import type { ChangeEvent, ChangeFeed } from "./feed.js";

/**
 * `subscriptions/listen` (MCP 2026-07-28), served by this server rather than the SDK's listen router,
 * on both transports. Two reasons, both about what the SDK's router cannot express: its filter schema
 * drops `taskIds` (the tasks extension's `notifications/tasks`), and it serves one event bus per handler,
 * so a stream hears every event of the process: with a URI filter alone, anyone who learned another
 * person's request code could subscribe to it. Here a stream hears only its own principal's feed (one
 * person and client over HTTP, the process over stdio), and each event names what changed, not its data.
 */

export const LISTEN_METHOD = "subscriptions/listen";
/** The tasks extension's code for a capability the client did not declare. */
const MISSING_CLIENT_CAPABILITY = -32021;

const filterSchema = z.object({
  toolsListChanged: z.boolean().optional(),
  promptsListChanged: z.boolean().optional(),
  resourcesListChanged: z.boolean().optional(),
  resourceSubscriptions: z.array(z.string().max(2048)).max(1000).optional(),
  taskIds: z.array(z.string().max(256)).max(1000).optional(),
});
export type ListenFilter = z.infer<typeof filterSchema>;

const paramsSchema = z.object({
  _meta: z
    .object({
      [PROTOCOL_VERSION_META_KEY]: z.string(),
      [CLIENT_CAPABILITIES_META_KEY]: z.record(z.string(), z.unknown()),
    })
    .passthrough(),
  notifications: filterSchema,
});

/** What this principal's streams may honor, decided when each stream opens. */
export interface ListenPolicy {
  /** The list-changed notifications the server declares (its capabilities' `listChanged`). */
  listChanged: { tools: boolean; prompts: boolean; resources: boolean };
  /** Whether updates of this resource URI can ever be sent (e.g. a data request, when those tools are exposed). */
  honorsResource(uri: string): boolean;
  /**
   * The task as `notifications/tasks` carries it (the tasks extension), or undefined to send nothing.
   * Without it, `taskIds` are left out of the acknowledgement.
   */
  taskNotice?: (taskId: string) => Promise<Record<string, unknown> | undefined>;
  serverInfo?: Implementation;
}

export type ListenError = { code: number; message: string; data?: unknown };

/** The honored subset of a listen request's filter, or the JSON-RPC error that answers it. */
export function acceptListen(
  params: unknown,
  policy: ListenPolicy,
): { honored: ListenFilter } | { error: ListenError } {
  const parsed = paramsSchema.safeParse(params);
  if (!parsed.success) {
    return {
      error: {
        code: -32602,
        message:
          "Invalid params: subscriptions/listen needs _meta (protocol version and client capabilities) and a notifications filter.",
      },
    };
  }
  const requested = parsed.data.notifications;
  if (requested.taskIds !== undefined && !declaresTasks(parsed.data._meta[CLIENT_CAPABILITIES_META_KEY])) {
    return {
      error: {
        code: MISSING_CLIENT_CAPABILITY,
        message: "Missing required client capability",
        data: { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
      },
    };
  }
  const honored: ListenFilter = {};
  if (requested.toolsListChanged === true && policy.listChanged.tools) honored.toolsListChanged = true;
  if (requested.promptsListChanged === true && policy.listChanged.prompts) honored.promptsListChanged = true;
  if (requested.resourcesListChanged === true && policy.listChanged.resources)
    honored.resourcesListChanged = true;
  const uris = [...new Set(requested.resourceSubscriptions ?? [])].filter((uri) =>
    policy.honorsResource(uri),
  );
  if (uris.length > 0) honored.resourceSubscriptions = uris;
  const taskIds = [...new Set(requested.taskIds ?? [])];
  if (policy.taskNotice && taskIds.length > 0) honored.taskIds = taskIds;
  return { honored };
}

/** A JSON-RPC error answering the listen request `id`. */
export function listenErrorResponse(id: RequestId, error: ListenError): JSONRPCMessage {
  return { jsonrpc: "2.0", id, error } as JSONRPCMessage;
}

/**
 * One open stream: the acknowledgement first, then each change its filter asked for, every message
 * stamped with the subscription id (the listen request's id). Messages are written in order, one at a
 * time, even when reading a task for its notice takes a while.
 */
export class ListenSubscription {
  readonly #id: RequestId;
  readonly #honored: ListenFilter;
  readonly #policy: ListenPolicy;
  readonly #write: (message: JSONRPCMessage) => Promise<void>;
  #unsubscribe: (() => void) | undefined;
  #writing: Promise<void> = Promise.resolve();
  #closed = false;
  #cancelled = false;

  constructor(options: {
    id: RequestId;
    honored: ListenFilter;
    policy: ListenPolicy;
    feed: ChangeFeed;
    write: (message: JSONRPCMessage) => Promise<void>;
  }) {
    this.#id = options.id;
    this.#honored = options.honored;
    this.#policy = options.policy;
    this.#write = options.write;
    this.#enqueue(async () =>
      this.#notify("notifications/subscriptions/acknowledged", { notifications: this.#honored }),
    );
    // Nothing can ever be sent on a stream that honors nothing, so it ends at once, gracefully.
    if (Object.keys(this.#honored).length === 0) void this.close(true);
    else this.#unsubscribe = options.feed.subscribe((event) => this.#onEvent(event));
  }

  get id(): RequestId {
    return this.#id;
  }

  get honored(): ListenFilter {
    return this.#honored;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Ends the subscription. Graceful (the server ends it: shutdown, drain) answers the listen request
   * with a completion result; otherwise (the client cancelled, or its stream is gone) nothing more is
   * written. Resolves once everything queued has been written.
   */
  async close(graceful: boolean): Promise<void> {
    if (this.#closed) return this.#writing;
    this.#closed = true;
    this.#cancelled = !graceful;
    this.#unsubscribe?.();
    if (graceful) {
      const result = {
        resultType: "complete",
        _meta: {
          [SUBSCRIPTION_ID_META_KEY]: this.#id,
          ...(this.#policy.serverInfo ? { [SERVER_INFO_META_KEY]: this.#policy.serverInfo } : {}),
        },
      };
      this.#writing = this.#writing.then(() =>
        this.#write({ jsonrpc: "2.0", id: this.#id, result } as JSONRPCMessage).catch(() => undefined),
      );
    }
    return this.#writing;
  }

  #onEvent(event: ChangeEvent): void {
    if (this.#closed) return;
    if (event.kind === "resource_updated") {
      if (!this.#honored.resourceSubscriptions?.includes(event.uri)) return;
      this.#enqueue(() => this.#notify("notifications/resources/updated", { uri: event.uri }));
      return;
    }
    const taskNotice = this.#policy.taskNotice;
    if (!taskNotice || !this.#honored.taskIds?.includes(event.taskId)) return;
    this.#enqueue(async () => {
      const task = await taskNotice(event.taskId).catch(() => undefined);
      if (task === undefined) return;
      const meta = (task._meta as Record<string, unknown> | undefined) ?? {};
      await this.#notify("notifications/tasks", { ...task, _meta: meta });
    });
  }

  /** Queues a write; a stream the client cancelled is written nothing more, not even what was queued. */
  #enqueue(step: () => Promise<void>): void {
    this.#writing = this.#writing.then(() => (this.#cancelled ? undefined : step())).catch(() => undefined);
  }

  async #notify(method: string, params: Record<string, unknown>): Promise<void> {
    const meta = (params._meta as Record<string, unknown> | undefined) ?? {};
    await this.#write({
      jsonrpc: "2.0",
      method,
      params: { ...params, _meta: { ...meta, [SUBSCRIPTION_ID_META_KEY]: this.#id } },
    } as JSONRPCMessage);
  }
}
