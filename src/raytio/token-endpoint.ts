import { type Dispatcher, request as undiciRequest } from "undici";
import { z } from "zod";
import { RaytioError } from "../errors.js";
import { PACKAGE_NAME, VERSION } from "../version.js";
import { type OutboundFailure, outboundFailure, proxyAdvice, type Route, routeOrError } from "./outbound.js";
import type { IssuedTokens, SignInFlow } from "./sign-in-flow.js";
import { signInUnreachable } from "./unreachable.js";

/**
 * Raytio's documented token endpoint (api-docs.rayt.io, `generateToken`): `POST /oauth/v1/token` with
 * a JSON body, `grant_type` `password` (with `username` and `password`) or `refresh_token` (with
 * `refresh_token`). It answers with `identity_token` (the bearer for every API call), `access_token`
 * and `refresh_token`, and 401 for credentials it refuses. Only those names are documented, so nothing
 * else in the body is read; a refresh may leave `refresh_token` out, and the old one is then kept.
 */
const tokenResponseSchema = z.looseObject({
  identity_token: z.string().min(1),
  access_token: z.string().min(1).optional(),
  refresh_token: z.string().min(1).optional(),
});

/** Statuses that say the request can never succeed as sent: retrying until restart would not help. */
const REFUSED = new Set([400, 401, 403]);

export class TokenEndpointFlow implements SignInFlow {
  readonly name = "token-endpoint";
  /** The way out to the endpoint, through the same proxy settings as every API call. */
  private readonly route: Route | RaytioError;

  constructor(
    private readonly tokenUrl: string,
    private readonly timeoutMs: number,
  ) {
    this.route = routeOrError(new URL(tokenUrl), timeoutMs);
  }

  describe(): string {
    return `token endpoint ${this.tokenUrl}`;
  }

  signIn(username: string, password: string): Promise<IssuedTokens> {
    return this.request({ grant_type: "password", username, password }, "sign-in");
  }

  refresh(refreshToken: string): Promise<IssuedTokens> {
    return this.request({ grant_type: "refresh_token", refresh_token: refreshToken }, "refresh");
  }

  private async request(body: Record<string, string>, what: "sign-in" | "refresh"): Promise<IssuedTokens> {
    const route = this.route;
    if (route instanceof RaytioError) throw route;
    // The whole exchange is bounded, not only each silence: sign-in holds up every call behind it.
    const deadline = AbortSignal.timeout(this.timeoutMs);
    let response: Dispatcher.ResponseData;
    try {
      response = await undiciRequest(this.tokenUrl, {
        dispatcher: route.dispatcher,
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "User-Agent": `${PACKAGE_NAME}/${VERSION}`,
        },
        body: JSON.stringify(body),
        signal: deadline,
      });
    } catch (error) {
      throw this.unreachable(route, outboundFailure(error), deadline.aborted);
    }
    if (response.statusCode < 200 || response.statusCode >= 300) {
      // The body is not documented and could echo what was sent; it is drained, never read into an error.
      await response.body.dump().catch(() => undefined);
      throw this.refusal(route, response.statusCode, what);
    }
    let payload: unknown;
    try {
      payload = await response.body.json();
    } catch (error) {
      if (deadline.aborted) throw this.unreachable(route, outboundFailure(error), true);
      payload = undefined;
    }
    const parsed = tokenResponseSchema.safeParse(payload);
    if (!parsed.success) {
      throw new RaytioError(
        "AUTH_FAILED",
        "The Raytio token endpoint answered without an identity_token. Check RAYTIO_API_BASE_URL, or set RAYTIO_AUTH_FLOW=srp with the Cognito settings.",
        { details: { status: response.statusCode } },
      );
    }
    return {
      idToken: parsed.data.identity_token,
      refreshToken: parsed.data.refresh_token,
      accessToken: parsed.data.access_token,
    };
  }

  /** The cause names only the failure kind (timeout, refused connection), never the request body. */
  private unreachable(route: Route, failure: OutboundFailure, timedOut: boolean): RaytioError {
    const via = route.via ? { proxy: route.via } : {};
    if (failure.proxyStatus !== undefined) {
      return new RaytioError(
        "API_UNAVAILABLE",
        `The proxy ${route.via} would not carry the sign-in to the Raytio token endpoint (HTTP ${failure.proxyStatus}). ${proxyAdvice(failure.proxyStatus, "the Raytio API host")}`,
        { details: { tokenEndpointError: "ProxyRefused", proxyStatus: failure.proxyStatus, ...via } },
      );
    }
    const reason = timedOut || failure.code === "ECONNABORTED" ? "TimeoutError" : "NetworkError";
    return signInUnreachable(
      this.tokenUrl,
      `token endpoint, ${reason}${route.via ? ` through the proxy ${route.via}` : ""}`,
      "RAYTIO_API_BASE_URL (the token endpoint is its /oauth/v1/token)",
      { tokenEndpointError: reason, ...via },
    );
  }

  private refusal(route: Route, status: number, what: "sign-in" | "refresh"): RaytioError {
    // A forward proxy answers for itself with 407; the token endpoint never does.
    if (status === 407 && route.via) {
      return this.unreachable(route, { code: "EPROXY", notSent: true, proxyStatus: 407 }, false);
    }
    if (REFUSED.has(status)) {
      return new RaytioError(
        "AUTH_FAILED",
        what === "sign-in"
          ? `Raytio sign-in was refused (HTTP ${status} from the token endpoint). Check RAYTIO_AGENT_USERNAME and RAYTIO_AGENT_PASSWORD. Restart the server after fixing them.`
          : `The Raytio token endpoint refused the refresh token (HTTP ${status}).`,
        { details: { status } },
      );
    }
    // A redirect is never followed: the password would be sent wherever it points.
    if (status === 404 || status === 405 || (status >= 300 && status < 400)) {
      return new RaytioError(
        "AUTH_FAILED",
        `The Raytio token endpoint was not found at ${this.tokenUrl} (HTTP ${status}). Check RAYTIO_API_BASE_URL, or set RAYTIO_AUTH_FLOW=srp with the Cognito settings.`,
        { details: { status } },
      );
    }
    return new RaytioError(
      "API_UNAVAILABLE",
      `The Raytio token endpoint answered HTTP ${status}. This is usually temporary; try again shortly.`,
      { details: { status } },
    );
  }
}
