import type { IncomingMessage, ServerResponse } from "node:http";
import type { Config } from "../config.js";
import { isRaytioError } from "../errors.js";
import { createLogger, errorFields, type Logger } from "../logger.js";
import { RaytioApiClient } from "../raytio/api-client.js";
import type { TokenSource } from "../raytio/auth.js";
import { PACKAGE_NAME, VERSION } from "../version.js";

/**
 * Liveness and readiness for load balancers and orchestrators, answered before the Host check so a
 * probe that addresses a replica by its IP works.
 *
 * - `/healthz` (liveness): the process answers. Nothing outside it is consulted, so an outage of Redis
 *   or Raytio never gets healthy replicas restarted.
 * - `/readyz` (readiness): this replica can serve a request now: the state store answers (Redis, when
 *   configured) and the Raytio API can be reached. 503 names each failing dependency; details go to the
 *   log, not to the unauthenticated caller. A draining replica is not ready.
 *
 * Checks run at most once a second, however many probes arrive: the endpoint is public, and each
 * check costs a Redis round trip and a request to Raytio.
 */
const CHECK_EVERY_MS = 1_000;
const STORE_TIMEOUT_MS = 3_000;
const API_TIMEOUT_MS = 5_000;

export interface ReadinessDependencies {
  store: { readonly kind: "memory" | "redis"; ping(): Promise<void> };
  config: Config;
  logger: Logger;
  /** True once SIGTERM has arrived. */
  draining: () => boolean;
  /** Replaces the Raytio check (unit tests). */
  apiReachable?: () => Promise<void>;
  now?: () => number;
}

export interface Readiness {
  ready: boolean;
  /** Each dependency: "ok", or what failed. */
  checks: Record<string, string>;
}

/** The API answered the probe with a status of its own: it is reachable, whatever it thought of us. */
class Answered extends Error {}

/**
 * Any HTTP answer below 500 from the API's base URL, through the same route (proxy settings included)
 * as every other request, means the API can be reached. The probe carries no credentials of anyone: a
 * 401 is an answer too.
 */
export function raytioApiProbe(config: Config): () => Promise<void> {
  const anonymous: TokenSource = {
    getIdToken: async () => "readiness-probe",
    renewAfterRejection: async () => {
      throw new Answered();
    },
    getCurrentUserId: async () => {
      throw new Answered();
    },
    getClaims: async () => {
      throw new Answered();
    },
  };
  const api = new RaytioApiClient({
    baseUrl: config.apiBaseUrl,
    timeoutMs: Math.min(config.httpTimeoutSeconds * 1000, API_TIMEOUT_MS),
    tokens: anonymous,
    logger: createLogger({ level: "silent" }),
    retry: { maxRetries: 0 },
    userAgent: `${PACKAGE_NAME}/${VERSION} readiness`,
  });
  return async () => {
    try {
      await api.get("", { signal: AbortSignal.timeout(API_TIMEOUT_MS) });
    } catch (error) {
      if (error instanceof Answered) return;
      if (isRaytioError(error)) {
        const status = error.details?.status;
        if (typeof status === "number" && status < 500) return;
        if (error.code === "CANCELLED") throw new Error(`no answer within ${API_TIMEOUT_MS / 1000} s`);
      }
      throw error;
    }
  };
}

function withinTime<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

export class ReadinessCheck {
  readonly #deps: ReadinessDependencies;
  readonly #apiReachable: () => Promise<void>;
  readonly #now: () => number;
  #last: { at: number; result: Readiness } | undefined;
  #running: Promise<Readiness> | undefined;
  #wasReady = true;

  constructor(deps: ReadinessDependencies) {
    this.#deps = deps;
    this.#apiReachable = deps.apiReachable ?? raytioApiProbe(deps.config);
    this.#now = deps.now ?? Date.now;
  }

  async check(): Promise<Readiness> {
    if (this.#deps.draining()) return { ready: false, checks: { replica: "draining" } };
    if (this.#last && this.#now() - this.#last.at < CHECK_EVERY_MS) return this.#last.result;
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #run(): Promise<Readiness> {
    const { store, logger } = this.#deps;
    const storeName = store.kind === "redis" ? "redis" : "store";
    const outcome = async (name: string, work: () => Promise<void>, ms: number) => {
      try {
        await withinTime(work(), ms, name);
        return [name, "ok"] as const;
      } catch (error) {
        const fields = errorFields(error);
        return [name, fields.error_message ?? fields.error] as const;
      }
    };
    const checks = Object.fromEntries(
      await Promise.all([
        outcome(storeName, () => store.ping(), STORE_TIMEOUT_MS),
        outcome("raytio_api", this.#apiReachable, API_TIMEOUT_MS + 1_000),
      ]),
    );
    const failing = Object.entries(checks).filter(([, state]) => state !== "ok");
    const result: Readiness = { ready: failing.length === 0, checks };
    // One line per change, not one per probe.
    if (result.ready !== this.#wasReady) {
      if (result.ready) logger.info("Ready again: every dependency answers");
      else logger.warn("Not ready", { failing: Object.fromEntries(failing) });
      this.#wasReady = result.ready;
    }
    this.#last = { at: this.#now(), result };
    return result;
  }
}

/**
 * Answers GET (or HEAD) /healthz and /readyz; false for any other request. Bodies name dependencies
 * and their state, never the error text (that is in the log).
 */
export async function answerHealth(
  req: IncomingMessage,
  res: ServerResponse,
  readiness: ReadinessCheck,
  storeKind: string,
): Promise<boolean> {
  const path = (req.url ?? "/").split("?")[0];
  if (path !== "/healthz" && path !== "/readyz") return false;
  const headers = { "Content-Type": "application/json", "Cache-Control": "no-store" };
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { Allow: "GET, HEAD" }).end();
    return true;
  }
  if (path === "/healthz") {
    res.writeHead(200, headers).end(JSON.stringify({ status: "ok", store: storeKind }));
    return true;
  }
  const { ready, checks } = await readiness.check();
  const states = Object.fromEntries(
    Object.entries(checks).map(([name, state]) => [
      name,
      state === "ok" || state === "draining" ? state : "failing",
    ]),
  );
  const failing = Object.keys(states).filter((name) => states[name] !== "ok");
  res
    .writeHead(ready ? 200 : 503, { ...headers, ...(ready ? {} : { "Retry-After": "5" }) })
    .end(
      JSON.stringify(
        ready ? { status: "ready", checks: states } : { status: "unready", failing, checks: states },
      ),
    );
  return true;
}
