import type { IncomingMessage, ServerResponse } from "node:http";
import type { OAuthMetadata, OAuthProtectedResourceMetadata } from "@modelcontextprotocol/server";
import { isRaytioError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { noteRequester } from "../../request-context.js";
import { telemetry } from "../../telemetry.js";
import { renderAuthorizePage, renderErrorPage } from "../authorize-page.js";
import { rateLimitKey } from "../client-address.js";
import {
  BodyTooLargeError,
  formOf,
  NO_STORE,
  pageHeaders,
  readBody,
  sendJson,
  sendOAuthError,
} from "../respond.js";
import type { StateStore } from "../store.js";
import {
  type AuthorizationRequest,
  type GrantSecrets,
  OAuthError,
  type OAuthService,
  RedirectableError,
  SCOPE,
  UntrustedRequestError,
} from "./service.js";

/**
 * The authorization server's HTTP face: RFC 9728 protected resource metadata, RFC 8414 server
 * metadata, RFC 7591 registration (deprecated, kept for clients without client ID metadata
 * documents), the authorization page, the token endpoint and RFC 7009 revocation.
 */
export const OAUTH_PATHS = {
  authorize: "/oauth/authorize",
  token: "/oauth/token",
  register: "/oauth/register",
  revoke: "/oauth/revoke",
  serverMetadata: "/.well-known/oauth-authorization-server",
  resourceMetadata: "/.well-known/oauth-protected-resource",
} as const;

const MAX_FORM_BYTES = 16 * 1024;
/**
 * The longest `state` a client may send. Clients use it for a random value (the SDK's is 43
 * characters); it is stored with the pending request and echoed in the redirect, so it is bounded.
 */
export const MAX_STATE_LENGTH = 512;

/**
 * MCP 2026-07-28 deprecates dynamic registration in favour of client ID metadata documents; RFC 9745's
 * headers say so to any client that reads them, without changing what registration does.
 */
const REGISTRATION_DEPRECATION = {
  Deprecation: "@1785196800",
  Link: '<https://modelcontextprotocol.io/specification/2026-07-28/basic/authorization/client-registration#client-id-metadata-documents>; rel="deprecation"; type="text/html"',
} as const;

export interface SignedInPerson {
  sub: string;
  secrets: GrantSecrets;
}

export interface OAuthEndpointOptions {
  service: OAuthService;
  store: StateStore;
  logger: Logger;
  /** The issuer: this server's public origin. */
  issuer: string;
  route: string;
  registerLimit: { max: number; windowSeconds: number };
  signInLimit: { max: number; windowSeconds: number };
  /** Views of the sign-in page per address per window (each stores a pending request). */
  authorizeLimit: { max: number; windowSeconds: number };
  /**
   * Sign-in pages opened by everyone together per window of `authorizeLimit`: with the default window
   * (the 10 minutes a pending request lives) pending requests stay below twice this, whatever the
   * number of addresses.
   */
  pendingMax: number;
  /** Origins this server's own pages may be opened on: the issuer, and its loopback aliases. */
  pageOrigins: readonly string[];
  /** Signs the person in with Raytio (Cognito); throws a RaytioError when refused. */
  signIn(credentials: {
    email: string;
    password: string;
    encryptionPassword: string | undefined;
  }): Promise<SignedInPerson>;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  clientIp: string;
  /** CORS headers for this request's origin (empty when it sent none). */
  cors: Record<string, string>;
}

export class OAuthEndpoints {
  constructor(private readonly options: OAuthEndpointOptions) {}

  get resourceMetadataUrl(): string {
    return `${this.options.issuer}${OAUTH_PATHS.resourceMetadata}${this.options.route}`;
  }

  /** True when the path is one of ours (answered), false to let the caller carry on. */
  async handle(context: RequestContext): Promise<boolean> {
    const { url, req } = context;
    const path = url.pathname;
    const method = req.method ?? "GET";
    if (
      path === OAUTH_PATHS.resourceMetadata ||
      path === `${OAUTH_PATHS.resourceMetadata}${this.options.route}`
    ) {
      return this.#onlyGet(context, () => this.#resourceMetadata(context));
    }
    if (
      path === OAUTH_PATHS.serverMetadata ||
      path === `${OAUTH_PATHS.serverMetadata}${this.options.route}`
    ) {
      return this.#onlyGet(context, () => this.#serverMetadata(context));
    }
    if (path === OAUTH_PATHS.register) return this.#onlyPost(context, () => this.#register(context));
    if (path === OAUTH_PATHS.token) return this.#onlyPost(context, () => this.#token(context));
    if (path === OAUTH_PATHS.revoke) return this.#onlyPost(context, () => this.#revoke(context));
    if (path === OAUTH_PATHS.authorize) {
      if (method === "GET") await this.#authorizeGet(context);
      else if (method === "POST") await this.#authorizePost(context);
      else context.res.writeHead(405, { Allow: "GET, POST" }).end();
      return true;
    }
    return false;
  }

  async #onlyGet(context: RequestContext, run: () => void | Promise<void>): Promise<boolean> {
    if (context.req.method !== "GET" && context.req.method !== "HEAD") {
      context.res.writeHead(405, { Allow: "GET", ...context.cors }).end();
      return true;
    }
    await run();
    return true;
  }

  async #onlyPost(context: RequestContext, run: () => Promise<void>): Promise<boolean> {
    if (context.req.method !== "POST") {
      context.res.writeHead(405, { Allow: "POST", ...context.cors }).end();
      return true;
    }
    try {
      await run();
    } catch (error) {
      if (error instanceof OAuthError) {
        sendOAuthError(context.res, error.status, error.error, error.description, context.cors);
      } else if (error instanceof BodyTooLargeError) {
        // A client's mistake (or a probe), answered like every other endpoint: not a server error.
        // The rest of the body was never read: the connection cannot carry another request.
        sendOAuthError(
          context.res,
          413,
          "invalid_request",
          `The body is larger than ${MAX_FORM_BYTES / 1024} KiB.`,
          { ...context.cors, Connection: "close" },
        );
      } else if (error instanceof SyntaxError) {
        sendOAuthError(context.res, 400, "invalid_request", "The body is not valid JSON.", context.cors);
      } else {
        throw error;
      }
    }
    return true;
  }

  #resourceMetadata(context: RequestContext): void {
    const metadata: OAuthProtectedResourceMetadata = {
      resource: this.options.service.resource,
      authorization_servers: [this.options.issuer],
      scopes_supported: [SCOPE],
      bearer_methods_supported: ["header"],
      resource_name: "Raytio MCP server",
    };
    sendJson(context.res, 200, metadata, { ...context.cors, "Cache-Control": "max-age=300" });
  }

  #serverMetadata(context: RequestContext): void {
    const issuer = this.options.issuer;
    const metadata: OAuthMetadata & Record<string, unknown> = {
      issuer,
      authorization_endpoint: `${issuer}${OAUTH_PATHS.authorize}`,
      token_endpoint: `${issuer}${OAUTH_PATHS.token}`,
      registration_endpoint: `${issuer}${OAUTH_PATHS.register}`,
      revocation_endpoint: `${issuer}${OAUTH_PATHS.revoke}`,
      scopes_supported: [SCOPE],
      response_types_supported: ["code"],
      response_modes_supported: ["query"],
      grant_types_supported: ["authorization_code", "refresh_token"],
      token_endpoint_auth_methods_supported: ["none"],
      revocation_endpoint_auth_methods_supported: ["none"],
      code_challenge_methods_supported: ["S256"],
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: this.options.service.acceptsMetadataDocuments,
    };
    sendJson(context.res, 200, metadata, { ...context.cors, "Cache-Control": "max-age=300" });
  }

  /**
   * Counts one more `name` for the caller (IPv6 by its /64), or for everyone with `everyone`; the
   * seconds until the window ends when over the limit, else undefined.
   */
  async #rateLimited(
    context: RequestContext,
    name: string,
    limit: { max: number; windowSeconds: number },
    everyone = false,
  ): Promise<number | undefined> {
    const window = Math.floor(Date.now() / 1000 / limit.windowSeconds);
    const who = everyone ? "*" : rateLimitKey(context.clientIp);
    const count = await this.options.store.increment(`rate:${name}:${who}:${window}`, limit.windowSeconds);
    if (count <= limit.max) return undefined;
    telemetry().rateLimited(everyone ? `${name}_total` : name);
    return (window + 1) * limit.windowSeconds - Math.floor(Date.now() / 1000);
  }

  async #register(context: RequestContext): Promise<void> {
    const retryAfter = await this.#rateLimited(context, "register", this.options.registerLimit);
    if (retryAfter !== undefined) {
      this.options.logger.warn("Client registration rate limit reached", { ip: context.clientIp });
      sendOAuthError(
        context.res,
        429,
        "too_many_requests",
        "Too many client registrations from this address; try again later.",
        {
          ...context.cors,
          "Retry-After": String(retryAfter),
        },
      );
      return;
    }
    const body = await readBody(context.req, MAX_FORM_BYTES);
    const client = await this.options.service.register(JSON.parse(body.toString("utf8") || "null"));
    noteRequester({ clientId: client.client_id });
    this.options.logger.info("Registered an OAuth client", {
      client: client.client_id,
      name: client.client_name,
    });
    const { expires_at: _expires, ...response } = client;
    sendJson(context.res, 201, response, { ...context.cors, ...REGISTRATION_DEPRECATION });
  }

  async #token(context: RequestContext): Promise<void> {
    const form = formOf(context.req, await readBody(context.req, MAX_FORM_BYTES));
    this.#noteClient(form.get("client_id"));
    const tokens = await this.options.service.token(form);
    sendJson(context.res, 200, tokens, context.cors);
  }

  async #revoke(context: RequestContext): Promise<void> {
    const form = formOf(context.req, await readBody(context.req, MAX_FORM_BYTES));
    await this.options.service.revoke(form);
    sendJson(context.res, 200, {}, context.cors);
  }

  #redirect(
    context: RequestContext,
    request: { redirectUri: string; state: string | undefined },
    params: Record<string, string>,
  ): void {
    const target = new URL(request.redirectUri);
    for (const [key, value] of Object.entries(params)) target.searchParams.set(key, value);
    if (request.state !== undefined) target.searchParams.set("state", request.state);
    // RFC 9207: the issuer travels with the response, so a client can tell which server answered.
    target.searchParams.set("iss", this.options.issuer);
    context.res
      .writeHead(302, { Location: target.href, ...NO_STORE, "Referrer-Policy": "no-referrer" })
      .end();
  }

  /** The client a request names, for its access-log line, when it has the shape of one of our ids. */
  #noteClient(clientId: string | null): void {
    if (clientId && /^[A-Za-z0-9_-]{1,64}$/.test(clientId)) noteRequester({ clientId });
  }

  #errorPage(
    context: RequestContext,
    status: number,
    message: string,
    headers: Record<string, string> = {},
  ): void {
    context.res.writeHead(status, { ...pageHeaders(undefined), ...headers }).end(renderErrorPage(message));
  }

  async #authorizeGet(context: RequestContext): Promise<void> {
    const params = context.url.searchParams;
    this.#noteClient(params.get("client_id"));
    // Every view stores a pending request for ten minutes: bounded per address, in all, and in size.
    const retryAfter =
      (await this.#rateLimited(context, "authorize", this.options.authorizeLimit)) ??
      (await this.#rateLimited(
        context,
        "authorize",
        { max: this.options.pendingMax, windowSeconds: this.options.authorizeLimit.windowSeconds },
        true,
      ));
    if (retryAfter !== undefined) {
      this.options.logger.warn("Authorization page rate limit reached", { ip: context.clientIp });
      return this.#errorPage(
        context,
        429,
        `Too many sign-in pages were opened. Try again in ${Math.max(1, Math.ceil(retryAfter / 60))} minutes.`,
        { "Retry-After": String(Math.max(1, retryAfter)) },
      );
    }
    if ((params.get("state") ?? "").length > MAX_STATE_LENGTH) {
      return this.#errorPage(
        context,
        400,
        `The application sent a state parameter longer than ${MAX_STATE_LENGTH} characters, which this server does not accept. Report it to the application's makers.`,
      );
    }
    try {
      const { client, request } = await this.options.service.validateAuthorization(params);
      const pendingId = await this.options.service.savePending(request);
      context.res.writeHead(200, pageHeaders(new URL(request.redirectUri).origin)).end(
        renderAuthorizePage({
          client,
          redirectUri: request.redirectUri,
          pendingId,
          actionPath: OAUTH_PATHS.authorize,
        }),
      );
    } catch (error) {
      if (error instanceof UntrustedRequestError) return this.#errorPage(context, 400, error.message);
      if (error instanceof RedirectableError) {
        return this.#redirect(context, error, { error: error.error, error_description: error.description });
      }
      throw error;
    }
  }

  async #authorizePost(context: RequestContext): Promise<void> {
    const { service } = this.options;
    const origin = context.req.headers.origin;
    // The form is only ever posted from this server's own page. Without an Origin, a browser's
    // Sec-Fetch-Site still tells a post from another site apart.
    const crossSite = origin === undefined && context.req.headers["sec-fetch-site"] === "cross-site";
    // The page may have been opened on a loopback alias of the issuer (localhost for 127.0.0.1): the
    // form then posts from there, and it is still this server's own page.
    if ((origin !== undefined && !this.options.pageOrigins.includes(origin)) || crossSite) {
      return this.#errorPage(context, 403, "This sign-in form was sent from another site.");
    }
    let form: URLSearchParams;
    try {
      form = formOf(context.req, await readBody(context.req, MAX_FORM_BYTES));
    } catch (error) {
      if (error instanceof BodyTooLargeError)
        return this.#errorPage(context, 413, "The sign-in form is too large.", { Connection: "close" });
      return this.#errorPage(context, 400, "The sign-in form could not be read.");
    }
    const pendingId = form.get("request") ?? "";
    const request = pendingId ? await service.pending(pendingId) : undefined;
    const client = request ? await service.pendingClient(request) : undefined;
    if (request) noteRequester({ clientId: request.clientId });
    if (!request || !client) {
      return this.#errorPage(
        context,
        400,
        "This sign-in page has expired or was already used. Start again from your MCP client.",
      );
    }
    if (form.get("decision") !== "approve") {
      const denied = await service.deny(pendingId);
      if (!denied) return this.#errorPage(context, 400, "This sign-in page was already used.");
      return this.#redirect(context, denied, {
        error: "access_denied",
        error_description: "The person declined.",
      });
    }

    const email = (form.get("email") ?? "").trim();
    const again = (status: number, error: string): void => {
      context.res.writeHead(status, pageHeaders(new URL(request.redirectUri).origin)).end(
        renderAuthorizePage({
          client,
          redirectUri: request.redirectUri,
          pendingId,
          email,
          error,
          actionPath: OAUTH_PATHS.authorize,
        }),
      );
    };
    const password = form.get("password") ?? "";
    if (!email || !password) return again(400, "Enter your Raytio email and password.");
    const retryAfter = await this.#rateLimited(context, "sign-in", this.options.signInLimit);
    if (retryAfter !== undefined) {
      telemetry().signIn("RATE_LIMITED");
      this.options.logger.warn("Sign-in rate limit reached", { ip: context.clientIp });
      return again(
        429,
        `Too many sign-in attempts from your address. Try again in ${Math.ceil(retryAfter / 60)} minutes.`,
      );
    }
    const encryptionPassword = form.get("encryption_password") || undefined;
    let person: SignedInPerson;
    try {
      person = await this.options.signIn({ email, password, encryptionPassword });
    } catch (error) {
      const code = isRaytioError(error) ? error.code : "INTERNAL_ERROR";
      telemetry().signIn(code);
      this.options.logger.info("Sign-in on the authorization page failed", { reason: code });
      if (code === "AUTH_FAILED") return again(401, "Raytio did not accept that email and password.");
      if (code === "WRONG_KEY" || code === "DECRYPTION_FAILED" || code === "UNSUPPORTED_ENVELOPE") {
        return again(401, "That encryption password does not open your Raytio keys.");
      }
      if (code === "DSM_VALIDATION")
        return again(
          400,
          "This Raytio account has no encryption keys yet: leave the encryption password empty.",
        );
      return again(503, "Raytio sign-in is not reachable right now. Try again shortly.");
    }
    telemetry().signIn("ok");
    noteRequester({ subject: person.sub });
    const approved = await this.#approve(pendingId, person);
    if (!approved)
      return this.#errorPage(
        context,
        400,
        "This sign-in page was already used. Start again from your MCP client.",
      );
    this.options.logger.info("Authorized an MCP client", {
      client: approved.request.clientId,
      user: person.sub,
    });
    this.#redirect(context, approved.request, { code: approved.code });
  }

  async #approve(
    pendingId: string,
    person: SignedInPerson,
  ): Promise<{ code: string; request: AuthorizationRequest } | undefined> {
    try {
      return await this.options.service.approve(pendingId, { sub: person.sub }, person.secrets);
    } catch (error) {
      if (error instanceof UntrustedRequestError) return undefined;
      throw error;
    }
  }
}
