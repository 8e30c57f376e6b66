import { accountRoles } from "../account/roles.js";
import type { AuditLog } from "../audit/record.js";
import type { Config } from "../config.js";
import type { Credentials } from "../credentials.js";
import { DsmServices } from "../dsm/services.js";
import { createLogger, type Logger } from "../logger.js";
import { RaytioApiClient } from "../raytio/api-client.js";
import { RaytioAuth } from "../raytio/auth.js";
import { loadToolRuntime, RaytioSurface, type ServerServices } from "../server.js";
import type { ChangeFeed } from "../subscriptions/feed.js";
import { withChangeFollowUps } from "../subscriptions/follow-ups.js";
import type { TaskKv } from "../tasks/kv.js";
import { TaskService } from "../tasks/service.js";
import type { ToolCatalogue } from "../tools/catalogue.js";
import { toolsForDomains } from "../tools/core/domains.js";
import { applyToolFilters, filtersFromSurface, whyNotExposed } from "../tools/core/filters.js";
import { type DomainResolution, resolveDomainsInTime } from "../tools/core/resolve-domains.js";
import type { ChangeFeeds } from "./listen.js";
import type { AccessGrant, GrantSecrets } from "./oauth/service.js";

/**
 * The people this replica serves, one entry per grant (one sign-in through the consent page, kept
 * across refreshed tokens): their Raytio session, API client and DSM keyring, the tool domains of their
 * Raytio roles, and the surface their 2026-07-28 requests are served from. A 2026-07-28 request has no
 * session, so the caller is known from the bearer token alone; any replica builds the entry from the
 * grant's sealed secrets in the shared store, and keeps it while the person is active.
 */
export interface Principal {
  readonly grant: AccessGrant;
  readonly services: ServerServices;
  readonly resolution: DomainResolution;
  /** The tools this person is shown, and why each other one is not. */
  expose(surface: RaytioSurface): number;
  /**
   * Serves this person's 2026-07-28 requests, with their tasks (the tasks extension) stored in the
   * shared store, under the same owner as the tasks their 2025-era sessions make.
   */
  readonly surface: RaytioSurface;
  /** What this person's subscriptions/listen streams hear, on every replica (src/http/listen.ts). */
  readonly feed: ChangeFeed;
  /** Their listen streams open on this replica: while there are any, the principal is not idle. */
  streams: number;
  lastSeen: number;
  /**
   * Ends what this principal runs here: the watches of the data requests they sent, and of their tasks
   * (whose leases are given up, so another replica resumes them).
   */
  close(): Promise<void>;
}

/** Who a grant speaks for, as sealed state binds it: the person, with the client they signed in with. */
export function principalOf(grant: AccessGrant): string {
  return JSON.stringify([grant.clientId, grant.sub]);
}

export interface PrincipalCacheOptions {
  config: Config;
  catalogue: ToolCatalogue;
  /** Seals confirmation state, the same on every replica (src/http/shared-secret.ts). */
  requestStateKey: Uint8Array;
  /** The process's audit log; every record names the person (sub) and the OAuth client. */
  audit: AuditLog;
  idleSeconds: number;
  /** Where tasks live: the state store, shared by every replica when it is Redis. */
  tasks: TaskKv;
  /** At most this many unfinished tasks per person (MCP_MAX_TASKS_PER_PERSON), whichever era made them. */
  maxTasksPerPerson?: number;
  /** Every principal's change feed (src/http/listen.ts). */
  changes: ChangeFeeds;
  now?: () => number;
}

export class PrincipalCache {
  readonly #options: PrincipalCacheOptions;
  readonly #entries = new Map<string, Principal>();
  /** One build at a time per grant, however many requests arrive for it at once. */
  readonly #building = new Map<string, Promise<Principal | undefined>>();
  readonly #sweeper: NodeJS.Timeout;
  readonly #now: () => number;

  constructor(options: PrincipalCacheOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    const every = Math.max(250, Math.min(60_000, (options.idleSeconds * 1000) / 4));
    this.#sweeper = setInterval(() => this.sweep(), every);
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * The principal of a verified grant: this replica's, or one built from the grant's secrets (undefined
   * when they cannot be read, e.g. the token was revoked a moment ago).
   */
  async get(
    grant: AccessGrant,
    secrets: () => Promise<GrantSecrets | undefined>,
  ): Promise<Principal | undefined> {
    const key = grant.familyId;
    const known = this.#entries.get(key);
    if (known) {
      known.lastSeen = this.#now();
      return known;
    }
    let building = this.#building.get(key);
    if (!building) {
      building = (async () => {
        const unsealed = await secrets();
        if (!unsealed) return undefined;
        const principal = await this.#build(grant, unsealed);
        this.#entries.set(key, principal);
        return principal;
      })().finally(() => this.#building.delete(key));
      this.#building.set(key, building);
    }
    return building;
  }

  /**
   * Forgets people idle for longer than the idle time; their next request builds them again. Their task
   * watches stop with them: a task nobody asks about needs no watching, and the next tasks/get, on
   * any replica, resumes it.
   */
  sweep(): number {
    const cutoff = this.#now() - this.#options.idleSeconds * 1000;
    let evicted = 0;
    for (const [key, principal] of this.#entries) {
      if (principal.streams > 0) principal.lastSeen = this.#now();
      if (principal.lastSeen > cutoff) continue;
      this.#entries.delete(key);
      void principal.close();
      evicted += 1;
    }
    return evicted;
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    const all = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(all.map((principal) => principal.close()));
  }

  async #build(grant: AccessGrant, secrets: GrantSecrets): Promise<Principal> {
    const { config, catalogue } = this.#options;
    const credentials: Credentials = {
      username: secrets.email,
      // Never kept: when the refresh token is refused, only the person can sign in again.
      password: undefined,
      encryptionPassword: secrets.encryptionPassword,
      customerId: undefined,
    };
    // Each person has their own logger, so the secrets it must scrub leave memory with them.
    const logger: Logger = createLogger({
      level: config.logLevel,
      format: config.logFormat,
      secrets: secrets.encryptionPassword ? [secrets.encryptionPassword] : [],
    });
    const auth = new RaytioAuth(config, credentials, logger, { session: secrets.cognito });
    const api = RaytioApiClient.fromConfig(config, auth, logger);
    const dsm = new DsmServices({
      config,
      credentials,
      logger,
      missingPasswordHint:
        "You signed in without your encryption password: reconnect your MCP client and enter it on the sign-in page.",
    });
    const audit = { log: this.#options.audit, actor: () => ({ user: grant.sub, client: grant.clientId }) };
    const services: ServerServices = { config, logger, api, tokens: auth, dsm, audit };
    const resolution = await resolveDomainsInTime(config, () => accountRoles(api), logger);
    const filters = filtersFromSurface(config.surface);
    const exposed = new Set(
      applyToolFilters(toolsForDomains(catalogue, resolution.domains), filters).map((tool) => tool.name),
    );
    const expose = (surface: RaytioSurface) => {
      surface.expose(exposed, (tool) =>
        whyNotExposed(tool, resolution.domains, filters, resolution.source !== "static"),
      );
      return exposed.size;
    };
    const feed = this.#options.changes.feedFor(principalOf(grant));
    const watches = new AbortController();
    const { maxTasksPerPerson } = this.#options;
    const surface = new RaytioSurface({
      catalogue,
      services: () => services,
      requestStateKey: this.#options.requestStateKey,
      principal: principalOf(grant),
      // send_request's answer reaches the person's listen streams, wherever they are open.
      wrapTool: (tool) =>
        withChangeFollowUps(tool, {
          feed,
          api: async () => api,
          watch: (start) => {
            if (watches.signal.aborted) return;
            void start(watches.signal).catch(() => undefined);
          },
        }),
      tasks: (self) =>
        new TaskService({
          hosting: {
            kv: this.#options.tasks,
            // The same owner a 2025-era session of this person and client gives its tasks.
            owner: principalOf(grant),
            run: (start) => {
              if (watches.signal.aborted) return;
              void start(watches.signal).catch(() => undefined);
            },
            // A task that finishes is heard on the person's listen streams that asked for it.
            changed: (taskId) => feed.publish({ kind: "task_status", taskId }),
            ...(maxTasksPerPerson ? { limit: { person: grant.sub, max: maxTasksPerPerson } } : {}),
          },
          tool: (name) => self.definition(name),
          context: (signal) => self.contextFor(signal),
          runtime: loadToolRuntime,
          pollIntervalMs: () => config.pollIntervalSeconds * 1000,
          logger: () => logger,
        }),
    });
    expose(surface);
    const close = async () => {
      // First, while the task service still knows which tasks it watches: their leases are given up.
      await surface.tasks?.close();
      watches.abort();
    };
    logger.info(
      `Tool domains: ${resolution.domains.join(", ")} (${resolution.source}); ${exposed.size} tools`,
      { user: grant.sub, client: grant.clientId },
    );
    return {
      grant,
      services,
      resolution,
      expose,
      surface,
      feed,
      streams: 0,
      lastSeen: this.#now(),
      close,
    };
  }
}
