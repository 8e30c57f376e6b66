import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { ConfigSourceValues } from "../config.js";
import type { Credentials } from "../credentials.js";
import { AgentKeyring } from "../crypto/maxcryptor.js";
import { DsmServices } from "../dsm/services.js";
import { RaytioError } from "../errors.js";
import { createLogger, type Logger } from "../logger.js";
import { RaytioApiClient } from "../raytio/api-client.js";
import { RaytioAuth } from "../raytio/auth.js";
import { handleShutdown } from "../shutdown.js";
import { TOOLS } from "../tools/registry.js";
import { PACKAGE_NAME, VERSION } from "../version.js";
import { clientAddress } from "./client-address.js";
import { type HttpConfig, type LoadedHttpConfig, parseHttpConfig } from "./config.js";
import { capConnectionsPerAddress, timeoutCheckIntervalMs } from "./connections.js";
import {
  type OAuthEndpoints as Endpoints,
  OAuthEndpoints,
  type RequestContext,
  type SignedInPerson,
} from "./oauth/endpoints.js";
import { OAuthService } from "./oauth/service.js";
import { BodyTooLargeError, RequestAbortedError, readBody, sendJsonRpcError } from "./respond.js";
import { authInfoOf, type InitializeParams, type LocalSession, SessionManager } from "./sessions.js";
import { describeRedisError, openStore, type StateStore } from "./store.js";

/**
 * The Streamable HTTP transport with its own OAuth 2.1 authorization server, on plain node:http. Order
 * of checks for every request: Host (DNS rebinding), Origin, CORS preflight, then the OAuth routes or
 * the MCP endpoint (bearer token, session lookup, owner check) before the SDK transport sees anything.
 */
const MAX_MCP_BODY_BYTES = 4 * 1024 * 1024;

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
  close(): Promise<void>;
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

function gatesFor(http: HttpConfig, port: number): Gates {
  const local = `http://${hostOf(http.host)}:${port}`;
  const origin = http.publicUrl ?? local;
  const allowedHosts = new Set([new URL(origin).host, new URL(local).host, ...http.allowedHosts]);
  const allowedOrigins = new Set([origin, ...http.allowedOrigins]);
  if (LOOPBACK_HOSTS.has(http.host)) {
    for (const name of ["127.0.0.1", "localhost", "[::1]"]) {
      allowedHosts.add(`${name}:${port}`);
      allowedOrigins.add(`http://${name}:${port}`);
    }
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
    const logger = createLogger({ level: config.logLevel, secrets });
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

/** Converts the SDK transport's web Response into the node response, streaming SSE as it comes. */
async function pipeResponse(
  res: ServerResponse,
  response: Response,
  extraHeaders: Record<string, string>,
): Promise<void> {
  const headers: Record<string, string> = { ...extraHeaders };
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  res.writeHead(response.status, headers);
  if (!response.body) {
    res.end();
    return;
  }
  res.flushHeaders();
  const reader = response.body.getReader();
  res.on("close", () => {
    void reader.cancel().catch(() => undefined);
  });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      res.write(value);
    }
  } catch {
    // The client went away mid-stream; the reader's cancel already told the transport.
  }
  res.end();
}

function webRequest(req: IncomingMessage, url: URL): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  return new Request(url, { method: req.method ?? "GET", headers });
}

class McpEndpoint {
  constructor(
    private readonly oauth: OAuthService,
    private readonly endpoints: Endpoints,
    private readonly sessions: SessionManager,
    private readonly endpointUrl: URL,
    private readonly logger: Logger,
  ) {}

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
    const token = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header)?.[1];
    if (!token) return this.#unauthorized(context, false);
    const grant = await this.oauth.verifyAccessToken(token);
    if (!grant) return this.#unauthorized(context, true);

    let body: unknown;
    if (method === "POST") {
      try {
        body = JSON.parse((await readBody(req, MAX_MCP_BODY_BYTES)).toString("utf8"));
      } catch (error) {
        if (error instanceof BodyTooLargeError)
          return sendJsonRpcError(res, 413, -32000, "Request body too large", cors);
        return sendJsonRpcError(res, 400, -32700, "Parse error: Invalid JSON", cors);
      }
    }

    const sessionId = req.headers["mcp-session-id"];
    let session: LocalSession | undefined;
    if (typeof sessionId !== "string" || sessionId === "") {
      // Only an initialize may open a session, so no other request can make the server build state.
      if (method !== "POST" || !isInitializeRequest(body)) {
        return sendJsonRpcError(res, 400, -32000, "Bad Request: Mcp-Session-Id header is required", cors);
      }
      const secrets = await this.oauth.grantSecrets(token);
      if (!secrets) return this.#unauthorized(context, true);
      const params = body.params as unknown as InitializeParams;
      session = await this.sessions.create(grant, secrets, {
        protocolVersion: params.protocolVersion,
        capabilities: params.capabilities ?? {},
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
        return sendJsonRpcError(res, 404, -32001, "Session not found", cors);
      }
      // A session belongs to the client and the person that opened it; a valid token is not enough.
      if (record.clientId !== grant.clientId || record.sub !== grant.sub) {
        this.logger.warn("Refused a session to a token of another client or person", {
          session: sessionId,
          client: grant.clientId,
        });
        return sendJsonRpcError(res, 403, -32003, "Forbidden: this session belongs to another client", cors);
      }
      session = await this.sessions.resume(record, () => this.oauth.grantSecrets(token));
      if (!session)
        return sendJsonRpcError(res, 503, -32000, "The session could not be resumed; open a new one", cors);
    }

    session.active += 1;
    try {
      await this.sessions.touch(session);
      const response = await session.transport.handleRequest(webRequest(req, this.endpointUrl), {
        parsedBody: body,
        authInfo: authInfoOf(token, grant),
      });
      if (method === "DELETE" && response.status === 200) {
        // Gone everywhere before the client hears so: its next request to any replica gets 404.
        await this.sessions.terminate(session.record.id);
        this.logger.info("Closed an MCP session at the client's request", { session: session.record.id });
      }
      await pipeResponse(res, response, cors);
    } finally {
      session.active -= 1;
      session.lastSeen = Date.now();
    }
  }
}

export async function startHttpServer(
  loaded: LoadedHttpConfig,
  dependencies: HttpServerDependencies = {},
): Promise<RunningHttpServer> {
  const { http } = loaded;
  const config = loaded.service.config;
  const logger = dependencies.logger ?? createLogger({ level: config.logLevel });
  for (const warning of loaded.service.warnings) logger.warn(warning);
  const store = await openStore(http.redisUrl, logger).catch((error: unknown) => {
    const { errorClass, message } = describeRedisError(error);
    throw new RaytioError(
      "CONFIG_INVALID",
      logger.scrub(`Cannot reach Redis at REDIS_URL (${errorClass}: ${message}).`),
    );
  });

  const server: Server = createServer({
    // A client gets this long to send its headers, and its whole request: a stalled body must not hold
    // a connection (and the handler waiting on it) open indefinitely. Streams answering a request are
    // not limited: the clock stops once the request has arrived.
    headersTimeout: http.headersTimeoutSeconds * 1000,
    requestTimeout: http.requestTimeoutSeconds * 1000,
    connectionsCheckingInterval: timeoutCheckIntervalMs(http.headersTimeoutSeconds),
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

  const oauth = new OAuthService(store, {
    resource: endpointUrl.href,
    codeTtlSeconds: http.codeTtlSeconds,
    clientTtlSeconds: http.clientTtlSeconds,
    accessTokenTtlSeconds: http.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: http.refreshTokenTtlSeconds,
  });
  const endpoints = new OAuthEndpoints({
    service: oauth,
    store,
    logger,
    issuer: gates.origin,
    route: http.route,
    registerLimit: http.registerLimit,
    signInLimit: http.signInLimit,
    signIn: dependencies.signIn ?? raytioSignIn(loaded),
  });
  const sessions = new SessionManager({
    store,
    config,
    tools: TOOLS,
    logger,
    idleSeconds: http.sessionIdleSeconds,
    endpoint: endpointUrl.href,
  });
  await sessions.start();
  const mcp = new McpEndpoint(oauth, endpoints, sessions, endpointUrl, logger);

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
            "Authorization, Content-Type, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID",
          "Access-Control-Max-Age": "600",
        })
        .end();
      return;
    }
    const clientIp = clientAddress(req, http.trustProxy);
    const context: RequestContext = { req, res, url, clientIp, cors };
    if (url.pathname === http.route) return mcp.handle(context);
    if (await endpoints.handle(context)) return;
    if (url.pathname === "/healthz" && req.method === "GET") {
      res
        .writeHead(200, { "Content-Type": "application/json" })
        .end(JSON.stringify({ status: "ok", store: store.kind }));
      return;
    }
    sendJsonRpcError(res, 404, -32000, "Not found", cors);
  };

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof RequestAbortedError) {
        // The client went away or ran out of time mid-body (408 already sent): nothing failed here.
        logger.info("A request ended before its body arrived", { path: req.url?.split("?")[0] });
        return;
      }
      logger.error("HTTP request failed", {
        path: req.url?.split("?")[0],
        error: error instanceof Error ? error.name : typeof error,
      });
      if (!res.headersSent) sendJsonRpcError(res, 500, -32603, "Internal server error");
      else res.end();
    });
  });

  logger.info(`${PACKAGE_NAME} ${VERSION} listening on ${endpointUrl.href}`, {
    bound: `${hostOf(http.host)}:${port}`,
    store: store.kind,
    config: loaded.service.file ?? "environment only",
  });

  return {
    url: endpointUrl.href,
    origin: gates.origin,
    store,
    sessions,
    async close() {
      await sessions.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}

/** `--transport http`: runs until SIGTERM or SIGINT, with the settings read once at start. */
export async function runHttpServer(read: ConfigSourceValues): Promise<void> {
  const loaded = parseHttpConfig(read);
  const logger = createLogger({ level: loaded.service.config.logLevel });
  const running = await startHttpServer(loaded, { logger });
  handleShutdown(logger, () => running.close());
}
