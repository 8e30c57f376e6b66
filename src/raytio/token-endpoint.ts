import { z } from "zod";
import { RaytioError } from "../errors.js";
import { PACKAGE_NAME, VERSION } from "../version.js";
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

  constructor(
    private readonly tokenUrl: string,
    private readonly timeoutMs: number,
  ) {}

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
    let response: Response;
    try {
      response = await fetch(this.tokenUrl, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "User-Agent": `${PACKAGE_NAME}/${VERSION}`,
        },
        body: JSON.stringify(body),
        redirect: "error",
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      // The cause names only the failure kind (timeout, refused connection), never the request body.
      const reason =
        error instanceof Error && error.name === "TimeoutError" ? "TimeoutError" : "NetworkError";
      throw signInUnreachable(
        this.tokenUrl,
        `token endpoint, ${reason}`,
        "RAYTIO_API_BASE_URL (the token endpoint is its /oauth/v1/token)",
        { tokenEndpointError: reason },
      );
    }
    if (!response.ok) {
      // The body is not documented and could echo what was sent; it is drained, never read into an error.
      await response.body?.cancel().catch(() => undefined);
      throw this.refusal(response.status, what);
    }
    let payload: unknown;
    try {
      payload = await response.json();
    } catch {
      payload = undefined;
    }
    const parsed = tokenResponseSchema.safeParse(payload);
    if (!parsed.success) {
      throw new RaytioError(
        "AUTH_FAILED",
        "The Raytio token endpoint answered without an identity_token. Check RAYTIO_API_BASE_URL, or set RAYTIO_AUTH_FLOW=srp with the Cognito settings.",
        { details: { status: response.status } },
      );
    }
    return {
      idToken: parsed.data.identity_token,
      refreshToken: parsed.data.refresh_token,
      accessToken: parsed.data.access_token,
    };
  }

  private refusal(status: number, what: "sign-in" | "refresh"): RaytioError {
    if (REFUSED.has(status)) {
      return new RaytioError(
        "AUTH_FAILED",
        what === "sign-in"
          ? `Raytio sign-in was refused (HTTP ${status} from the token endpoint). Check RAYTIO_AGENT_USERNAME and RAYTIO_AGENT_PASSWORD. Restart the server after fixing them.`
          : `The Raytio token endpoint refused the refresh token (HTTP ${status}).`,
        { details: { status } },
      );
    }
    if (status === 404 || status === 405) {
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
