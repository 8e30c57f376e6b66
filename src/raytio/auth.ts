import { z } from "zod";
import type { Config } from "../config.js";
import type { Credentials, SignedInTokens } from "../credentials.js";
import { RaytioError } from "../errors.js";
import type { Logger } from "../logger.js";
import { CognitoSrpFlow } from "./cognito-srp.js";
import { decodeJwtPayload } from "./jwt.js";
import type { IssuedTokens, SignInFlow } from "./sign-in-flow.js";
import { TokenEndpointFlow } from "./token-endpoint.js";

/**
 * Refresh this long before expiry so a token never expires between being read and being used: a
 * minute for the usual hour-long tokens, a quarter of the lifetime for short-lived ones.
 */
const MAX_EXPIRY_SKEW_SECONDS = 60;

const idTokenClaimsSchema = z.looseObject({
  sub: z.string().min(1),
  exp: z.number(),
  iat: z.number().optional(),
  email: z.string().optional(),
  "cognito:groups": z.array(z.string()).optional(),
  "custom:customer_id": z.string().optional(),
});

export type IdTokenClaims = z.infer<typeof idTokenClaimsSchema>;

/** The flow the configuration chose (RAYTIO_AUTH_FLOW; `auto` is resolved when the config is loaded). */
export function signInFlowFor(config: Config): SignInFlow {
  return config.signIn.flow === "srp"
    ? new CognitoSrpFlow(config.signIn.cognito, config.httpTimeoutSeconds * 1000)
    : new TokenEndpointFlow(config.signIn.tokenUrl, config.httpTimeoutSeconds * 1000);
}

interface Tokens {
  idToken: string;
  refreshToken: string;
  claims: IdTokenClaims;
  /** Epoch milliseconds after which the token is renewed before use. */
  refreshAt: number;
}

export interface AuthStats {
  signIns: number;
  refreshes: number;
  failures: number;
}

/**
 * Gives out a valid id token. Every caller shares one sign-in or refresh at a time (single flight), so
 * thirty concurrent tool calls across an expiry cause one refresh, not thirty.
 */
export interface TokenSource {
  getIdToken(): Promise<string>;
  /** Called after the API rejected `rejectedToken` with 401: refreshes unless someone already did. */
  renewAfterRejection(rejectedToken: string): Promise<string>;
  getCurrentUserId(): Promise<string>;
  getClaims(): Promise<IdTokenClaims>;
}

export interface RaytioAuthOptions {
  now?: () => number;
  /** Tokens of a sign-in done elsewhere (the HTTP authorization page). */
  session?: SignedInTokens;
  /** Replaces the configured flow (unit tests). */
  flow?: SignInFlow;
}

/** Caching, single-flight renewal and the fallback to a full sign-in, whatever the sign-in flow. */
export class RaytioAuth implements TokenSource {
  /**
   * Signs one person in with their own password (the HTTP transport's authorization page) and returns
   * only their tokens; the password lives in a throwaway instance that is dropped on return.
   */
  static async signInWithPassword(
    config: Config,
    logger: Logger,
    person: { username: string; password: string },
  ): Promise<SignedInTokens & { claims: IdTokenClaims }> {
    const auth = new RaytioAuth(
      config,
      { ...person, encryptionPassword: undefined, customerId: undefined },
      logger,
    );
    const tokens = await auth.currentTokens();
    return { idToken: tokens.idToken, refreshToken: tokens.refreshToken, claims: tokens.claims };
  }

  readonly flow: SignInFlow;
  private readonly now: () => number;
  private tokens: Tokens | undefined;
  private inflight: Promise<Tokens> | undefined;
  private permanentFailure: RaytioError | undefined;
  private readonly counters: AuthStats = { signIns: 0, refreshes: 0, failures: 0 };

  constructor(
    private readonly config: Config,
    private readonly credentials: Credentials,
    private readonly logger: Logger,
    options: RaytioAuthOptions = {},
  ) {
    this.flow = options.flow ?? signInFlowFor(config);
    this.now = options.now ?? Date.now;
    if (options.session)
      this.tokens = this.toTokens({ ...options.session, accessToken: undefined }, undefined);
  }

  stats(): AuthStats {
    return { ...this.counters };
  }

  async getIdToken(): Promise<string> {
    return (await this.currentTokens()).idToken;
  }

  async getClaims(): Promise<IdTokenClaims> {
    return (await this.currentTokens()).claims;
  }

  async getCurrentUserId(): Promise<string> {
    return (await this.currentTokens()).claims.sub;
  }

  /** Who is signed in now, without signing in: undefined before the first sign-in succeeds. */
  signedInUserId(): string | undefined {
    return this.tokens?.claims.sub;
  }

  async renewAfterRejection(rejectedToken: string): Promise<string> {
    if (this.tokens && this.tokens.idToken !== rejectedToken) return this.tokens.idToken;
    const stale = this.tokens;
    return (await this.singleFlight(() => (stale ? this.refreshOrSignIn(stale) : this.signIn()))).idToken;
  }

  private async currentTokens(): Promise<Tokens> {
    const tokens = this.tokens;
    if (tokens && tokens.refreshAt > this.now()) return tokens;
    return this.singleFlight(() => (tokens ? this.refreshOrSignIn(tokens) : this.signIn()));
  }

  private singleFlight(operation: () => Promise<Tokens>): Promise<Tokens> {
    if (this.permanentFailure) return Promise.reject(this.permanentFailure);
    if (!this.inflight) {
      this.inflight = operation()
        .then((tokens) => {
          this.tokens = tokens;
          return tokens;
        })
        .finally(() => {
          this.inflight = undefined;
        });
    }
    return this.inflight;
  }

  private async refreshOrSignIn(stale: Tokens): Promise<Tokens> {
    try {
      this.counters.refreshes += 1;
      const issued = await this.withTimeout("refresh", this.flow.refresh(stale.refreshToken));
      return this.toTokens(issued, stale.refreshToken);
    } catch (error) {
      // A refresh token can be revoked or expire; one full sign-in is the documented way back.
      this.logger.warn("Token refresh failed; signing in again", { reason: describe(error) });
      return this.signIn();
    }
  }

  private async signIn(): Promise<Tokens> {
    const { username, password } = this.credentials;
    if (!password) {
      // A person signed in over HTTP: the server never kept their password, so only they can sign in again.
      this.permanentFailure = new RaytioError(
        "AUTH_FAILED",
        "Your Raytio sign-in has ended. Reconnect your MCP client to sign in again.",
      );
      throw this.permanentFailure;
    }
    this.counters.signIns += 1;
    try {
      const issued = await this.withTimeout("sign-in", this.flow.signIn(username, password));
      const tokens = this.toTokens(issued, undefined);
      this.logger.info("Signed in to Raytio", { user: tokens.claims.sub, flow: this.flow.name });
      return tokens;
    } catch (error) {
      this.counters.failures += 1;
      throw this.signInError(error);
    }
  }

  private signInError(error: unknown): RaytioError {
    if (error instanceof RaytioError) {
      // A wrong password stays wrong until restart, and retrying it can lock the account.
      if (error.code === "AUTH_FAILED") this.permanentFailure = error;
      return error;
    }
    const name = describe(error);
    // The flows report an address nothing answers at themselves; what is left was reached, or timed out.
    const what =
      name === "TimeoutError"
        ? `got no answer within ${this.config.httpTimeoutSeconds} s (RAYTIO_HTTP_TIMEOUT_SECONDS) from ${this.flow.describe()}. Check that this machine can reach that address`
        : `failed (${name}) at ${this.flow.describe()}. This is usually temporary`;
    return new RaytioError("API_UNAVAILABLE", `Raytio sign-in ${what}; try again shortly.`, {
      details: { cognitoError: name },
    });
  }

  private withTimeout<T>(what: string, promise: Promise<T>): Promise<T> {
    const timeoutMs = this.config.httpTimeoutSeconds * 1000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error(`${what} timed out`), { code: "TimeoutError" })),
        timeoutMs,
      );
      timer.unref();
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  private toTokens(issued: IssuedTokens, previousRefreshToken: string | undefined): Tokens {
    const refreshToken = issued.refreshToken ?? previousRefreshToken;
    if (!refreshToken) throw new RaytioError("AUTH_FAILED", "Raytio sign-in returned no refresh token.");
    const parsed = idTokenClaimsSchema.safeParse(decodeJwtPayload(issued.idToken));
    if (!parsed.success)
      throw new RaytioError("AUTH_FAILED", "Raytio sign-in returned an id token without sub/exp claims.");
    this.logger.addSecret(issued.idToken);
    this.logger.addSecret(refreshToken);
    this.logger.addSecret(issued.accessToken);
    const claims = parsed.data;
    const lifetime = claims.exp - (claims.iat ?? claims.exp - 3600);
    const skew = Math.min(MAX_EXPIRY_SKEW_SECONDS, lifetime / 4);
    return { idToken: issued.idToken, refreshToken, claims, refreshAt: (claims.exp - skew) * 1000 };
  }
}

function describe(error: unknown): string {
  if (error instanceof RaytioError) return error.code;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : "UnknownError";
}
