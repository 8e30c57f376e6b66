import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { toNodeHandler } from "@modelcontextprotocol/node";
import {
  type AuthInfo,
  createMcpHandler,
  isInitializeRequest,
  isLegacyRequest,
  type McpHttpHandler,
} from "@modelcontextprotocol/server";
import { openAuditLog } from "../audit/log.js";
import type { ConfigSourceValues } from "../config.js";
import type { Credentials } from "../credentials.js";
import { AgentKeyring } from "../crypto/maxcryptor.js";
import { DsmServices } from "../dsm/services.js";
import { RaytioError } from "../errors.js";
import { createLogger, errorFields, type Logger } from "../logger.js";
import { RaytioApiClient } from "../raytio/api-client.js";
import { RaytioAuth } from "../raytio/auth.js";
import { noteRequester } from "../request-context.js";
import type { RaytioSurface } from "../server.js";
import { handleShutdown } from "../shutdown.js";
import { setTelemetry } from "../telemetry.js";
import { loadCatalogue } from "../tools/catalogue.js";
import { PACKAGE_NAME, VERSION } from "../version.js";
import { withAccessLog } from "./access-log.js";
import { clientAddress } from "./client-address.js";
import { type HttpConfig, type LoadedHttpConfig, parseHttpConfig } from "./config.js";
import {
  capConnectionsPerAddress,
  closeConnectionsWithoutRequest,
  timeoutCheckIntervalMs,
} from "./connections.js";
import { countingFailures } from "./counted-store.js";
import { Drain } from "./drain.js";
import { answerHealth, ReadinessCheck } from "./health.js";
import { ChangeFeeds, isListenRequest, ListenStreams } from "./listen.js";
import { ClientMetadataDocuments, MAX_DOCUMENT_BYTES } from "./oauth/client-metadata.js";
import {
  type OAuthEndpoints as Endpoints,
  OAUTH_PATHS,
  OAuthEndpoints,
  type RequestContext,
  type SignedInPerson,
} from "./oauth/endpoints.js";
import { MetadataFetcher } from "./oauth/metadata-fetch.js";
import { type AccessGrant, OAuthService } from "./oauth/service.js";
import { type Principal, PrincipalCache, principalOf } from "./principals.js";
import {
  BodyTooLargeError,
  jsonNestingExceeds,
  RequestAbortedError,
  readBody,
  sendJsonRpcError,
} from "./respond.js";
import { authInfoOf, type LocalSession, SessionManager } from "./sessions.js";
import { sharedSecret } from "./shared-secret.js";
import { describeRedisError, openStore, type StateStore } from "./store.js";

/**
 * The Streamable HTTP transport with its own OAuth 2.1 authorization server, on plain node:http. Order
 * of checks for every request: Host (DNS rebinding), Origin, CORS preflight, then the OAuth routes or
 * the MCP endpoint (bearer token, session lookup, owner check) before the SDK transport sees anything.
 */
const MAX_MCP_BODY_BYTES = 4 * 1024 * 1024;
/** Far deeper than any MCP message needs; deep enough nesting otherwise overflows a recursive parser. */
const MAX_JSON_NESTING = 64;

export interface HttpServerDependencies {
  /** Replaces the Raytio sign-in (unit tests). */
  signIn?: (credentials: {
    email: string;
    password: string;
    encryptionPassword: string | undefined;
  }) => Promise<SignedInPerson>;
  logger?: Logger;
}

export interface RunningHttpServer {
  /** The MCP endpoint, e.g. http://127.0.0.1:8808/mcp. */
  url: string;
  origin: string;
  store: StateStore;
  sessions: SessionManager;
  /** Prometheus metrics, when MCP_METRICS_PORT is set. */
  metricsUrl: string | undefined;
  /** Closes at once (tests). */
  close(): Promise<void>;
  /** SIGTERM: drains in-flight calls (MCP_DRAIN_TIMEOUT), releases task leases, closes streams, closes. */
  shutdown(): Promise<void>;
}

function hostOf(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

interface Gates {
  origin: string;
  allowedHosts: Set<string>;
  allowedOrigins: Set<string>;
}

/** The names this server answers to on loopback, each an origin its own pages may be opened on. */
function loopbackAliases(http: HttpConfig, port: number): string[] {
  return LOOPBACK_HOSTS.has(http.host)
    ? ["127.0.0.1", "localhost", "[::1]"].map((name) => `${name}:${port}`)
    : [];
}

function gatesFor(http: HttpConfig, port: number): Gates {
  const local = `http://${hostOf(http.host)}:${port}`;
  const origin = http.publicUrl ?? local;
  const allowedHosts = new Set([new URL(origin).host, new URL(local).host, ...http.allowedHosts]);
  const allowedOrigins = new Set([origin, ...http.allowedOrigins]);
  for (const alias of loopbackAliases(http, port)) {
    allowedHosts.add(alias);
    allowedOrigins.add(`http://${alias}`);
  }
  return { origin, allowedHosts, allowedOrigins };
}

function corsHeaders(origin: string | undefined, gates: Gates): Record<string, string> {
  if (!origin || !gates.allowedOrigins.has(origin)) return {};
  return {
    "Access-Control-Allow-Origin": origin,
    Vary: "Origin",
    "Access-Control-Expose-Headers": "Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate, Retry-After",
  };
}

/** The person's Raytio sign-in, plus a check that their encryption password really opens their keys. */
function raytioSignIn(loaded: LoadedHttpConfig) {
  const config = loaded.service.config;
  return async (credentials: {
    email: string;
    password: string;
    encryptionPassword: string | undefined;
  }): Promise<SignedInPerson> => {
    const secrets = [credentials.password, credentials.encryptionPassword ?? ""];
    const logger = createLogger({ level: config.logLevel, format: config.logFormat, secrets });
    const session = await RaytioAuth.signInWithPassword(config, logger, {
      username: credentials.email,
      password: credentials.password,
    });
    if (credentials.encryptionPassword) {
      // Checked now, on the page, rather than at the first decryption an hour later.
      const person: Credentials = {
        username: credentials.email,
        password: undefined,
        encryptionPassword: credentials.encryptionPassword,
        customerId: undefined,
      };
      const api = RaytioApiClient.fromConfig(
        config,
        new RaytioAuth(config, person, logger, { session }),
        logger,
      );
      const key = await new DsmServices({ config, credentials: person, logger }).userKey(api);
      await new AgentKeyring({ encryptionPassword: credentials.encryptionPassword }).openUserKey(
        key.private_key,
      );
    }
    return {
      sub: session.claims.sub,
      secrets: {
        email: credentials.email,
        cognito: { idToken: session.idToken, refreshToken: session.refreshToken },
        encryptionPassword: credentials.encryptionPassword,
      },
    };
  };
}

/** A response with the CORS headers a browser-based client needs to read it. */
function withHeaders(response: Response, headers: Record<string, string>): Response {
  if (Object.keys(headers).length === 0) return response;
  const merged = new Headers(response.headers);
  for (const [name, value] of Object.entries(headers)) merged.set(name, value);
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers: merged,
  });
}

function jsonRpcErrorResponse(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string>,
) {
  return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

/**
 * The MCP endpoint: the bearer token says who calls, then the request goes to the era it speaks.
 * - 2026-07-28 (the request carries its protocol version in `_meta`): stateless, served by the SDK's
 *   handler from the caller's principal, on any replica, with no session.
 * - 2025 era: a session opened by `initialize` and named by `Mcp-Session-Id` (src/http/sessions.ts).
 */
class McpEndpoint {
  readonly #modern: McpHttpHandler;
  /** The surface each 2026-07-28 request is served from, found by the factory from its auth info. */
  readonly #surfaces = new WeakMap<AuthInfo, RaytioSurface>();

  constructor(
    private readonly oauth: OAuthService,
    private readonly endpoints: Endpoints,
    private readonly sessions: SessionManager,
    private readonly principals: PrincipalCache,
    private readonly logger: Logger,
    private readonly listens: ListenStreams,
    /** Drain follows a listen POST as a stream, not as a call it must wait for. */
    private readonly isStream: (res: ServerResponse) => void,
  ) {
    this.#modern = createMcpHandler(
      ({ authInfo }) => {
        const surface = authInfo ? this.#surfaces.get(authInfo) : undefined;
        if (!surface) throw new Error("A 2026-07-28 request reached the handler without a signed-in person.");
        return surface.newServer("modern");
      },
      {
        legacy: "reject",
        maxRequestBodySize: MAX_MCP_BODY_BYTES,
        onerror: (error) => this.logger.debug("MCP request refused", { error: error.name }),
      },
    );
  }

  #unauthorized(context: RequestContext, invalid: boolean): void {
    const challenge = [
      `Bearer resource_metadata="${this.endpoints.resourceMetadataUrl}"`,
      'scope="mcp"',
      ...(invalid
        ? ['error="invalid_token"', 'error_description="The access token is invalid or expired"']
        : []),
    ].join(", ");
    sendJsonRpcError(
      context.res,
      401,
      -32001,
      "Unauthorized: sign in through OAuth and send the access token as a Bearer token.",
      {
        ...context.cors,
        "WWW-Authenticate": challenge,
      },
    );
  }

  async handle(context: RequestContext): Promise<void> {
    const { req, res, cors } = context;
    const method = req.method ?? "GET";
    if (method !== "GET" && method !== "POST" && method !== "DELETE") {
      res.writeHead(405, { Allow: "GET, POST, DELETE", ...cors }).end();
      return;
    }
    const header = req.headers.authorization ?? "";
    // RFC 6750 via RFC 9110 §11.1: the scheme name is case-insensitive.
    const token = /^Bearer +([A-Za-z0-9._~+/=-]+)$/i.exec(header)?.[1];
    if (!token) return this.#unauthorized(context, false);
    const grant = await this.oauth.verifyAccessToken(token);
    if (!grant) return this.#unauthorized(context, true);
    noteRequester({ clientId: grant.clientId, subject: grant.sub });

    let body: unknown;
    if (method === "POST") {
      try {
        body = JSON.parse((await readBody(req, MAX_MCP_BODY_BYTES)).toString("utf8"));
      } catch (error) {
        if (error instanceof BodyTooLargeError)
          return sendJsonRpcError(res, 413, -32000, "Request body too large", {
            ...cors,
            Connection: "close",
          });
        return sendJsonRpcError(res, 400, -32700, "Parse error: Invalid JSON", cors);
      }
      // Checked before anything walks the message: validation and storage recurse through it.
      if (jsonNestingExceeds(body, MAX_JSON_NESTING))
        return sendJsonRpcError(
          res,
          400,
          -32600,
          `Invalid Request: nested deeper than ${MAX_JSON_NESTING} levels`,
          cors,
        );
    }
    const authInfo = authInfoOf(token, grant);
    const serve = toNodeHandler({
      fetch: async (request) =>
        withHeaders(await this.#route(request, body, token, grant, authInfo, res), cors),
    });
    await serve(Object.assign(req, { auth: authInfo }), res, body);
  }

  async #route(
    request: Request,
    body: unknown,
    token: string,
    grant: AccessGrant,
    authInfo: AuthInfo,
    res: ServerResponse,
  ): Promise<Response> {
    const principal = () => this.principals.get(grant, () => this.oauth.grantSecrets(token));
    if (!(await isLegacyRequest(request, body, { maxRequestBodySize: MAX_MCP_BODY_BYTES }))) {
      const person = await principal();
      if (!person) return jsonRpcErrorResponse(401, -32001, "Unauthorized: sign in again.", {});
      if (isListenRequest(body)) return this.#listen(request, body, person, res);
      this.#surfaces.set(authInfo, person.surface);
      return this.#modern.fetch(request, { authInfo, parsedBody: body });
    }
    return this.#legacy(request, body, grant, authInfo, principal);
  }

  /** A 2026-07-28 subscriptions/listen: the person's change stream, served here (src/http/listen.ts). */
  #listen(
    request: Request,
    body: Parameters<ListenStreams["serve"]>[1],
    person: Principal,
    res: ServerResponse,
  ): Response {
    const response = this.listens.serve(
      request,
      body,
      principalOf(person.grant),
      person.feed,
      person.surface.listenPolicy(),
      () => {
        person.streams -= 1;
        person.lastSeen = Date.now();
      },
    );
    if (response.headers.get("content-type") === "text/event-stream") {
      person.streams += 1;
      this.isStream(res);
    }
    return response;
  }

  async #legacy(
    request: Request,
    body: unknown,
    grant: AccessGrant,
    authInfo: AuthInfo,
    principal: () => Promise<Principal | undefined>,
  ): Promise<Response> {
    const method = request.method;
    const sessionId = request.headers.get("mcp-session-id");
    let session: LocalSession | undefined;
    if (!sessionId) {
      // Only an initialize may open a session, so no other request can make the server build state.
      if (method !== "POST" || !isInitializeRequest(body)) {
        return jsonRpcErrorResponse(400, -32000, "Bad Request: Mcp-Session-Id header is required", {});
      }
      const person = await principal();
      if (!person) return jsonRpcErrorResponse(401, -32001, "Unauthorized: sign in again.", {});
      const params = body.params;
      session = await this.sessions.create(grant, person, {
        protocolVersion: params.protocolVersion,
        capabilities: (params.capabilities ?? {}) as Record<string, unknown>,
        clientInfo: (params.clientInfo ?? {}) as Record<string, unknown>,
      });
      this.logger.info("Opened an MCP session", {
        session: session.record.id,
        client: grant.clientId,
        user: grant.sub,
      });
    } else {
      const record = await this.sessions.record(sessionId);
      if (!record) {
        await this.sessions.forget(sessionId);
        return jsonRpcErrorResponse(404, -32001, "Session not found", {});
      }
      // A session belongs to the client and the person that opened it; a valid token is not enough.
      if (record.clientId !== grant.clientId || record.sub !== grant.sub) {
        this.logger.warn("Refused a session to a token of another client or person", {
          session: sessionId,
          client: grant.clientId,
        });
        return jsonRpcErrorResponse(403, -32003, "Forbidden: this session belongs to another client", {});
      }
      session = await this.sessions.resume(record, principal);
      if (!session)
        return jsonRpcErrorResponse(503, -32000, "The session could not be resumed; open a new one", {});
    }

    const live = session;
    live.active += 1;
    try {
      await this.sessions.touch(live);
      const response = await live.transport.handleRequest(request, { parsedBody: body, authInfo });
      if (method === "DELETE" && response.status === 200) {
        // Gone everywhere before the client hears so: its next request to any replica gets 404.
        await this.sessions.terminate(live.record.id);
        this.logger.info("Closed an MCP session at the client's request", { session: live.record.id });
      }
      return onBodyDone(response, () => {
        live.active -= 1;
        live.lastSeen = Date.now();
      });
    } catch (error) {
      live.active -= 1;
      throw error;
    }
  }
}

/**
 * The response, calling `done` once its body has been sent or abandoned: a session with a stream
 * still open is in use, whatever the clock says.
 */
function onBodyDone(response: Response, done: () => void): Response {
  if (!response.body) {
    done();
    return response;
  }
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    done();
  };
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done: ended, value } = await reader.read();
        if (ended) {
          finish();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        finish();
        controller.error(error);
      }
    },
    cancel(reason) {
      finish();
      return reader.cancel(reason);
    },
  });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

export async function startHttpServer(
  loaded: LoadedHttpConfig,
  dependencies: HttpServerDependencies = {},
): Promise<RunningHttpServer> {
  const { http } = loaded;
  const config = loaded.service.config;
  const logger = dependencies.logger ?? createLogger({ level: config.logLevel, format: config.logFormat });
  for (const warning of loaded.service.warnings) logger.warn(warning);
  // One log per process, shared by every session: each replica's file is its own chain.
  const audit = await openAuditLog(config.auditLog);
  if (audit.log.destination === "off") logger.warn(audit.description);
  else logger.info(audit.description);
  const opened = await openStore(http.redisUrl, logger).catch((error: unknown) => {
    const { errorClass, message } = describeRedisError(error);
    throw new RaytioError(
      "CONFIG_INVALID",
      logger.scrub(`Cannot reach Redis at REDIS_URL (${errorClass}: ${message}).`),
    );
  });
  const store = opened.kind === "redis" ? countingFailures(opened) : opened;

  const server: Server = createServer({
    // A client gets this long to send its headers, and its whole request: a stalled body must not hold
    // a connection (and the handler waiting on it) open indefinitely. Streams answering a request are
    // not limited: the clock stops once the request has arrived.
    headersTimeout: http.headersTimeoutSeconds * 1000,
    requestTimeout: http.requestTimeoutSeconds * 1000,
    connectionsCheckingInterval: timeoutCheckIntervalMs(http.headersTimeoutSeconds),
    keepAliveTimeout: http.keepAliveTimeoutSeconds * 1000,
  });
  closeConnectionsWithoutRequest(server, {
    headersMs: http.headersTimeoutSeconds * 1000,
    keepAliveMs: http.keepAliveTimeoutSeconds * 1000,
  });
  // Behind a proxy every connection comes from the proxy: limiting clients is then the proxy's job.
  if (http.maxConnectionsPerAddress > 0 && http.trustProxy === 0) {
    capConnectionsPerAddress(server, http.maxConnectionsPerAddress, logger);
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(http.port, http.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const gates = gatesFor(http, port);
  const endpointUrl = new URL(http.route, gates.origin);

  const cimd = http.clientMetadataDocuments;
  if (cimd.allowLoopbackForTests) {
    logger.warn(
      "MCP_TEST_ONLY_CIMD_ALLOW_LOOPBACK is set: client metadata documents may be fetched from this machine's loopback addresses. This is for tests only; never set it in production.",
    );
  }
  const fetcher = cimd.enabled
    ? new MetadataFetcher({
        timeoutMs: cimd.timeoutMs,
        maxBytes: MAX_DOCUMENT_BYTES,
        allowLoopback: cimd.allowLoopbackForTests,
        userAgent: `${PACKAGE_NAME}/${VERSION} (OAuth client metadata)`,
      })
    : undefined;
  const oauth = new OAuthService(
    store,
    {
      resource: endpointUrl.href,
      codeTtlSeconds: http.codeTtlSeconds,
      clientTtlSeconds: http.clientTtlSeconds,
      accessTokenTtlSeconds: http.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: http.refreshTokenTtlSeconds,
    },
    Date.now,
    fetcher && new ClientMetadataDocuments(store, fetcher, logger),
  );
  const endpoints = new OAuthEndpoints({
    service: oauth,
    store,
    logger,
    issuer: gates.origin,
    route: http.route,
    registerLimit: http.registerLimit,
    signInLimit: http.signInLimit,
    authorizeLimit: http.authorizeLimit,
    pendingMax: http.pendingAuthorizationsMax,
    pageOrigins: [gates.origin, ...loopbackAliases(http, port).map((alias) => `http://${alias}`)],
    signIn: dependencies.signIn ?? raytioSignIn(loaded),
  });
  const catalogue = await loadCatalogue();
  const requestStateKey = await sharedSecret(store, "request-state");
  const changes = new ChangeFeeds(store);
  await changes.start();
  const principals = new PrincipalCache({
    config,
    catalogue,
    requestStateKey,
    audit: audit.log,
    idleSeconds: http.sessionIdleSeconds,
    tasks: store,
    maxTasksPerPerson: http.maxTasksPerPerson,
    changes,
  });
  const listens = new ListenStreams({ logger, maxPerPrincipal: http.maxSessionsPerPerson });
  const sessions = new SessionManager({
    store,
    config,
    catalogue,
    requestStateKey,
    logger,
    idleSeconds: http.sessionIdleSeconds,
    endpoint: endpointUrl.href,
    maxSessionsPerPerson: http.maxSessionsPerPerson,
    maxTasksPerPerson: http.maxTasksPerPerson,
  });
  await sessions.start();
  let metrics: { url: string; close(): Promise<void> } | undefined;
  let restoreTelemetry = () => {};
  if (http.metrics) {
    // Loaded only when asked for: prom-client stays off the start-up path otherwise.
    const { PrometheusTelemetry, serveMetrics } = await import("../metrics.js");
    const prometheus = new PrometheusTelemetry({ sessions: () => sessions.size });
    metrics = await serveMetrics(prometheus.registry, http.metrics, logger);
    restoreTelemetry = setTelemetry(prometheus);
  }
  const drain = new Drain();
  const readiness = new ReadinessCheck({ store, config, logger, draining: () => drain.draining });
  const mcp = new McpEndpoint(oauth, endpoints, sessions, principals, logger, listens, (res) =>
    drain.followAsStream(res),
  );

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", gates.origin);
    const origin = req.headers.origin;
    const cors = corsHeaders(origin, gates);
    // DNS rebinding: a page on an attacker's name resolving to this address sends that name as Host.
    if (!gates.allowedHosts.has(req.headers.host ?? "")) {
      return sendJsonRpcError(res, 403, -32000, "Forbidden: Host header not allowed");
    }
    if (origin !== undefined && !gates.allowedOrigins.has(origin)) {
      return sendJsonRpcError(res, 403, -32000, "Forbidden: Origin not allowed");
    }
    if (req.method === "OPTIONS") {
      res
        .writeHead(204, {
          ...cors,
          "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
          "Access-Control-Allow-Headers":
            "Authorization, Content-Type, Mcp-Session-Id, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID",
          "Access-Control-Max-Age": "600",
        })
        .end();
      return;
    }
    const clientIp = clientAddress(req, http.trustProxy);
    const context: RequestContext = { req, res, url, clientIp, cors };
    if (url.pathname === http.route) return mcp.handle(context);
    if (await endpoints.handle(context)) return;
    sendJsonRpcError(res, 404, -32000, "Not found", cors);
  };

  // Health first (before the Host check, so a probe by IP works), then the drain gate, then the rest.
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (await answerHealth(req, res, readiness, store.kind)) return;
    if (drain.refuseOrFollow(req, res)) return;
    await handle(req, res);
  };
  const routes = new Set<string>([
    http.route,
    ...Object.values(OAUTH_PATHS),
    `${OAUTH_PATHS.resourceMetadata}${http.route}`,
    `${OAUTH_PATHS.serverMetadata}${http.route}`,
    "/healthz",
    "/readyz",
  ]);
  server.on(
    "request",
    withAccessLog({ logger, routes, trustProxy: http.trustProxy }, (req, res) => {
      serve(req, res).catch((error: unknown) => {
        if (error instanceof RequestAbortedError) {
          // The client went away or ran out of time mid-body (408 already sent): nothing failed here.
          logger.info("A request ended before its body arrived", { path: req.url?.split("?")[0] });
          return;
        }
        logger.error("HTTP request failed", { path: req.url?.split("?")[0], ...errorFields(error) });
        if (!res.headersSent) sendJsonRpcError(res, 500, -32603, "Internal server error");
        else res.end();
      });
    }),
  );

  logger.info(`${PACKAGE_NAME} ${VERSION} listening on ${endpointUrl.href}`, {
    bound: `${hostOf(http.host)}:${port}`,
    store: store.kind,
    config: loaded.service.file ?? "environment only",
  });

  const closeAll = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await metrics?.close();
    restoreTelemetry();
    await fetcher?.close();
    await store.close();
  };
  return {
    url: endpointUrl.href,
    origin: gates.origin,
    store,
    sessions,
    metricsUrl: metrics?.url,
    async close() {
      await listens.closeAll();
      await sessions.close();
      await principals.close();
      await closeAll();
    },
    async shutdown() {
      const timeoutMs = config.drainTimeoutSeconds * 1000;
      logger.info(
        `Draining: no new connections; waiting up to ${config.drainTimeoutSeconds} s for calls in flight`,
        {
          in_flight: drain.inFlight,
        },
      );
      const finished = await drain.start(server, timeoutMs);
      if (!finished)
        logger.warn("Calls still in flight after MCP_DRAIN_TIMEOUT; closing them", {
          in_flight: drain.inFlight,
        });
      // Each 2026-07-28 listen stream is answered with its completion (a deliberate end), and its client
      // opens it again on another replica.
      await listens.closeAll();
      // Task leases are released here, so another replica takes each task over at once; closing the
      // sessions also ends their streams, which clients reopen on another replica.
      await sessions.close();
      await principals.close();
      await drain.allClosed(1_000);
      await closeAll();
      logger.info("Drained and closed");
    },
  };
}

/** `--transport http`: runs until SIGTERM or SIGINT, with the settings read once at start. */
export async function runHttpServer(read: ConfigSourceValues): Promise<void> {
  const loaded = parseHttpConfig(read);
  const { config } = loaded.service;
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  const running = await startHttpServer(loaded, { logger });
  handleShutdown(logger, () => running.shutdown());
}
