import { createHash } from "node:crypto";
import {
  type AuthInfo,
  type LoggingLevel,
  type McpServer,
  WebStandardStreamableHTTPServerTransport,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import type { Config } from "../config.js";
import { LegacyTaskCalls } from "../legacy-task-transport.js";
import type { Logger } from "../logger.js";
import { LOGGING_LEVELS } from "../logging-levels.js";
import type { RaytioApiClient } from "../raytio/api-client.js";
import { loadToolRuntime, RaytioSurface } from "../server.js";
import { whenRequestSent } from "../subscriptions/follow-ups.js";
import { sendTaskStatus } from "../tasks/legacy.js";
import { TaskService } from "../tasks/service.js";
import { telemetry } from "../telemetry.js";
import type { ToolCatalogue } from "../tools/catalogue.js";
import { cannotConfirmWarning } from "../tools/core/confirmation.js";
import type { AnyTool } from "../tools/core/tool.js";
import {
  EVENTS_CHANNEL,
  isLevelShown,
  publishEvent,
  type SessionEvent,
  sessionEventSchema,
  watchDsmRequest,
} from "./notifications.js";
import { newId } from "./oauth/secrets.js";
import type { AccessGrant } from "./oauth/service.js";
import { type Principal, principalOf } from "./principals.js";
import type { StateStore } from "./store.js";

/**
 * MCP sessions of 2025-era clients (2026-07-28 requests have none: see src/http/principals.ts): one
 * McpServer and transport per `mcp-session-id`, built for the person whose token opened it, over that
 * person's principal (their Raytio session, their roles' domains, their keyring). The store's record is
 * the authority, so any replica can serve any session; a replica that has not seen a session rebuilds
 * it from the record, replaying the client's real initialize parameters and log level so nothing the
 * client declared is lost. Idle sessions are closed.
 */

const sessionRecordSchema = z.object({
  id: z.string(),
  clientId: z.string(),
  sub: z.string(),
  familyId: z.string(),
  initialize: z.object({
    protocolVersion: z.string(),
    capabilities: z.record(z.string(), z.unknown()),
    clientInfo: z.record(z.string(), z.unknown()),
  }),
  logLevel: z.enum(LOGGING_LEVELS as [LoggingLevel, ...LoggingLevel[]]).optional(),
  createdAt: z.number(),
});
export type SessionRecord = z.infer<typeof sessionRecordSchema>;
export type InitializeParams = SessionRecord["initialize"];

const sessionKey = (id: string) => `mcp:session:${id}`;
/** A person's sessions, in the order they were opened (the score is the opening time plus a week). */
const personSessionsKey = (sub: string) =>
  `mcp:person-sessions:${createHash("sha256").update(sub).digest("hex")}`;
/** How long a session counts against its person's cap without a new one being opened. */
const MEMBERSHIP_MS = 7 * 24 * 3600 * 1000;

export interface SessionManagerOptions {
  store: StateStore;
  config: Config;
  catalogue: ToolCatalogue;
  /** Seals confirmation state (one replica's shim serves a whole round, but a key is needed all the same). */
  requestStateKey: Uint8Array;
  logger: Logger;
  idleSeconds: number;
  /** The MCP endpoint URL, used for the synthetic requests that rebuild a session. */
  endpoint: string;
  /** Open sessions one person may have; opening one more closes their oldest (0: no cap). */
  maxSessionsPerPerson?: number;
  /** Unfinished MCP tasks one person may have (0: no cap). */
  maxTasksPerPerson?: number;
  now?: () => number;
}

export class LocalSession {
  lastSeen: number;
  active = 0;
  readonly #watches = new Set<AbortController>();
  #closed = false;

  constructor(
    readonly record: SessionRecord,
    readonly surface: RaytioSurface,
    readonly server: McpServer,
    readonly transport: WebStandardStreamableHTTPServerTransport,
    now: number,
  ) {
    this.lastSeen = now;
  }

  /** Sends a logging message to this session's client, if its level is at or above the one it asked for. */
  async notify(level: LoggingLevel, logger: string, data: unknown): Promise<void> {
    if (this.#closed || !isLevelShown(level, this.record.logLevel)) return;
    await this.server.server
      .notification({ method: "notifications/message", params: { level, logger, data } })
      .catch(() => undefined);
  }

  /** Sends notifications/tasks/status for one of this session's tasks. */
  async notifyTask(task: Record<string, unknown>): Promise<void> {
    if (this.#closed) return;
    await sendTaskStatus(this.server, task).catch(() => undefined);
  }

  watch(start: (signal: AbortSignal) => Promise<void>): void {
    if (this.#closed) return;
    const controller = new AbortController();
    this.#watches.add(controller);
    void start(controller.signal).finally(() => this.#watches.delete(controller));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // First, while the task service still knows which tasks it watches: their leases are given up.
    await this.surface.tasks?.close();
    for (const controller of this.#watches) controller.abort();
    await this.server.close().catch(() => undefined);
  }
}

export class SessionManager {
  readonly #options: SessionManagerOptions;
  readonly #local = new Map<string, LocalSession>();
  /** One rebuild at a time per session, however many requests arrive for it at once. */
  readonly #adopting = new Map<string, Promise<LocalSession>>();
  readonly #sweeper: NodeJS.Timeout;
  readonly #now: () => number;
  #warnedConfirm = false;

  constructor(options: SessionManagerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    const every = Math.max(250, Math.min(60_000, (options.idleSeconds * 1000) / 4));
    this.#sweeper = setInterval(() => void this.sweep(), every);
    this.#sweeper.unref();
  }

  async start(): Promise<void> {
    await this.#options.store.subscribe(EVENTS_CHANNEL, (message) => void this.#onEvent(message));
  }

  get size(): number {
    return this.#local.size;
  }

  async #onEvent(message: string): Promise<void> {
    let event: SessionEvent;
    try {
      event = sessionEventSchema.parse(JSON.parse(message));
    } catch {
      return;
    }
    const session = this.#local.get(event.sessionId);
    if (!session) return;
    if (event.type === "closed") await this.#evict(event.sessionId);
    else if (event.type === "task") await session.notifyTask(event.task);
    else await session.notify(event.level, event.logger, event.data);
  }

  async record(id: string): Promise<SessionRecord | undefined> {
    const text = await this.#options.store.get(sessionKey(id));
    if (text === undefined) return undefined;
    const parsed = sessionRecordSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  }

  /** A new session for an initialize request; the record is written before the client hears its id. */
  async create(
    grant: AccessGrant,
    principal: Principal,
    initialize: InitializeParams,
  ): Promise<LocalSession> {
    const record: SessionRecord = {
      id: newId(),
      clientId: grant.clientId,
      sub: grant.sub,
      familyId: grant.familyId,
      initialize,
      createdAt: this.#now(),
    };
    await this.#makeRoomFor(grant.sub);
    const warning = cannotConfirmWarning(this.#options.config.confirm, initialize.capabilities);
    if (warning && !this.#warnedConfirm) {
      // Once per process: the setting is the operator's, the same for every client.
      this.#warnedConfirm = true;
      this.#options.logger.warn(warning, { client: grant.clientId });
    }
    await this.#options.store.set(sessionKey(record.id), JSON.stringify(record), this.#options.idleSeconds);
    if (this.#options.maxSessionsPerPerson) {
      await this.#options.store.addMember(
        personSessionsKey(grant.sub),
        record.id,
        record.createdAt + MEMBERSHIP_MS,
      );
    }
    const session = await this.#build(record, principal);
    this.#local.set(record.id, session);
    return session;
  }

  /**
   * Keeps a person under MCP_MAX_SESSIONS_PER_PERSON by closing their oldest sessions everywhere. Every
   * session holds a server and may poll Raytio, so they cannot be left to pile up; closing the oldest
   * rather than refusing the new one means a person whose clients never said goodbye is not locked out
   * for the idle time (a client of a closed session gets 404 and opens a new one).
   */
  async #makeRoomFor(sub: string): Promise<void> {
    const max = this.#options.maxSessionsPerPerson;
    if (!max) return;
    const { store } = this.#options;
    const key = personSessionsKey(sub);
    const live: string[] = [];
    for (const id of await store.members(key)) {
      if ((await store.get(sessionKey(id))) !== undefined) live.push(id);
      else await store.addMember(key, id, 0);
    }
    while (live.length >= max) {
      const oldest = live.shift() as string;
      await this.terminate(oldest);
      await store.addMember(key, oldest, 0);
      telemetry().rateLimited("sessions_per_person");
      this.#options.logger.info("Closed a person's oldest session: MCP_MAX_SESSIONS_PER_PERSON reached", {
        session: oldest,
        max,
      });
    }
  }

  /**
   * The live session for `record`: this replica's copy, or one rebuilt here. The caller has already
   * checked that the record exists and belongs to the token's client and person.
   */
  async resume(
    record: SessionRecord,
    principal: () => Promise<Principal | undefined>,
  ): Promise<LocalSession | undefined> {
    const local = this.#local.get(record.id);
    if (local) return local;
    let adopting = this.#adopting.get(record.id);
    if (!adopting) {
      adopting = (async () => {
        const person = await principal();
        if (!person) throw new Error("grant secrets unavailable");
        const session = await this.#build(record, person);
        await this.#replayInitialize(session);
        this.#local.set(record.id, session);
        this.#options.logger.info("Resumed an MCP session created elsewhere", { session: record.id });
        return session;
      })().finally(() => this.#adopting.delete(record.id));
      this.#adopting.set(record.id, adopting);
    }
    try {
      return await adopting;
    } catch {
      return undefined;
    }
  }

  /** Marks activity; keeps the shared record alive for as long as the session is used. */
  async touch(session: LocalSession): Promise<void> {
    session.lastSeen = this.#now();
    await this.#options.store.touch(sessionKey(session.record.id), this.#options.idleSeconds);
  }

  /** Ends a session everywhere: its record, and every replica's copy. */
  async terminate(id: string): Promise<void> {
    await this.#options.store.delete(sessionKey(id));
    await this.#evict(id);
    await publishEvent(this.#options.store, { type: "closed", sessionId: id }).catch(() => undefined);
  }

  /** Drops this replica's copy only (the record is gone, or the session is idle here). */
  async forget(id: string): Promise<void> {
    await this.#evict(id);
  }

  async #evict(id: string): Promise<void> {
    const session = this.#local.get(id);
    if (!session) return;
    this.#local.delete(id);
    await session.close();
  }

  /** Closes sessions idle for longer than the idle time to live; one with an open stream is not idle. */
  async sweep(): Promise<number> {
    const cutoff = this.#now() - this.#options.idleSeconds * 1000;
    let evicted = 0;
    for (const [id, session] of this.#local) {
      if (session.active > 0) {
        await this.touch(session).catch(() => undefined);
        continue;
      }
      if (session.lastSeen <= cutoff) {
        evicted += 1;
        await this.#evict(id);
        this.#options.logger.debug("Closed an idle MCP session", { session: id });
      }
    }
    return evicted;
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    await Promise.all([...this.#local.keys()].map((id) => this.#evict(id)));
  }

  async #build(record: SessionRecord, principal: Principal): Promise<LocalSession> {
    const { services } = principal;
    const { config, logger, api } = services;
    const store = this.#options.store;
    let session: LocalSession | undefined;
    const surface = new RaytioSurface({
      catalogue: this.#options.catalogue,
      services: () => services,
      wrapTool: (tool) => this.#withEvents(tool, api, () => session),
      requestStateKey: this.#options.requestStateKey,
      principal: principalOf(principal.grant),
      // A task belongs to the person and the client they signed in with, not to one session: the same
      // person reconnecting with the same client finds their tasks; anyone else is told they do not exist.
      tasks: (self) =>
        new TaskService({
          hosting: {
            kv: store,
            owner: JSON.stringify([record.clientId, record.sub]),
            sessionId: record.id,
            notify: (task, sessionId) =>
              publishEvent(store, { type: "task", sessionId: sessionId ?? record.id, task: { ...task } }),
            run: (start) => {
              // The session exists by the time a tool runs; a watch outlives neither it nor this replica.
              if (session) session.watch(start);
            },
            ...(this.#options.maxTasksPerPerson
              ? { limit: { person: record.sub, max: this.#options.maxTasksPerPerson } }
              : {}),
          },
          tool: (name) => self.definition(name),
          context: (signal) => self.contextFor(signal),
          runtime: loadToolRuntime,
          pollIntervalMs: () => config.pollIntervalSeconds * 1000,
          logger: () => logger,
        }),
    });
    const exposed = principal.expose(surface);
    const server = surface.newServer("legacy");
    server.server.setRequestHandler("logging/setLevel", async (request) => {
      const level = request.params.level;
      record.logLevel = level;
      await this.#options.store
        .get(sessionKey(record.id))
        .then((text) => (text === undefined ? undefined : this.#saveRecord(record)))
        .catch(() => undefined);
      return {};
    });
    logger.info(`Session tool domains: ${principal.resolution.domains.join(", ")}; ${exposed} tools`, {
      session: record.id,
      user: record.sub,
    });

    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => record.id,
      // Host and Origin are checked for every route before a request gets here (server.ts).
      enableDnsRebindingProtection: false,
    });
    await server.connect(new LegacyTaskCalls(transport));
    session = new LocalSession(record, surface, server, transport, this.#now());
    return session;
  }

  async #saveRecord(record: SessionRecord): Promise<void> {
    await this.#options.store.set(sessionKey(record.id), JSON.stringify(record), this.#options.idleSeconds);
  }

  /**
   * A tool that declares a follow-up (send_request: watch for the person's answer) gets it here: once
   * it settles, this session (and no other) receives a logging message saying so.
   */
  #withEvents(tool: AnyTool, api: RaytioApiClient, session: () => LocalSession | undefined): AnyTool {
    return whenRequestSent(tool, (code, context) => {
      const current = session();
      if (!current) return;
      const sessionId = current.record.id;
      current.watch((signal) =>
        watchDsmRequest({
          api,
          logger: context.logger,
          code,
          intervalMs: context.config.pollIntervalSeconds * 1000,
          signal,
          hiddenTools: context.hiddenTools,
          onSettled: ({ level, data }) =>
            publishEvent(this.#options.store, { type: "log", sessionId, level, logger: "raytio.dsm", data }),
        }),
      );
    });
  }

  /**
   * Rebuilds the protocol state of a session created on another replica: the client's own initialize
   * (protocol version, capabilities, client info) goes through the SDK's public request path, then
   * notifications/initialized. The answers are discarded; the client already has them.
   */
  async #replayInitialize(session: LocalSession): Promise<void> {
    const { record, transport } = session;
    const headers = { accept: "application/json, text/event-stream", "content-type": "application/json" };
    const initialize = await transport.handleRequest(
      new Request(this.#options.endpoint, {
        method: "POST",
        headers,
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: `resume-${record.id}`,
          method: "initialize",
          params: record.initialize,
        }),
      }),
    );
    // Read to the end: the stream closes once the server has answered, so the state is set by then.
    await initialize.text();
    if (!initialize.ok) throw new Error(`replayed initialize failed with ${initialize.status}`);
    const initialized = await transport.handleRequest(
      new Request(this.#options.endpoint, {
        method: "POST",
        headers: { ...headers, "mcp-session-id": record.id },
        body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
      }),
    );
    await initialized.text();
  }
}

export function authInfoOf(token: string, grant: AccessGrant): AuthInfo {
  return {
    token,
    clientId: grant.clientId,
    scopes: grant.scope.split(" "),
    expiresAt: Math.floor(grant.expiresAt / 1000),
    resource: new URL(grant.resource),
    extra: { sub: grant.sub },
  };
}
