import { AuthenticationDetails, CognitoUser, CognitoUserPool } from "amazon-cognito-identity-js";
import { z } from "zod";
import type { Config } from "../config.js";
import { RaytioError } from "../errors.js";
import type { Logger } from "../logger.js";
import { decodeJwtPayload } from "./jwt.js";

/**
 * Refresh this long before expiry so a token never expires between being read and being used: a
 * minute for Cognito's usual hour-long tokens, a quarter of the lifetime for short-lived ones.
 */
const MAX_EXPIRY_SKEW_SECONDS = 60;

/** Cognito errors that no retry can fix until the configuration changes. */
const PERMANENT_SIGN_IN_ERRORS = new Set([
  "NotAuthorizedException",
  "UserNotFoundException",
  "UserNotConfirmedException",
  "PasswordResetRequiredException",
  "ResourceNotFoundException",
  "InvalidParameterException",
]);

/** The part of the library's internal Cognito client used for refresh (not in its type declarations). */
interface CognitoClient {
  request(
    operation: "InitiateAuth",
    params: Record<string, unknown>,
    callback: (
      error: (Error & { code?: string }) | null,
      result?: { AuthenticationResult?: { IdToken?: string; AccessToken?: string; RefreshToken?: string } },
    ) => void,
  ): void;
}

const idTokenClaimsSchema = z.looseObject({
  sub: z.string().min(1),
  exp: z.number(),
  iat: z.number().optional(),
  email: z.string().optional(),
  "cognito:groups": z.array(z.string()).optional(),
  "custom:customer_id": z.string().optional(),
});

export type IdTokenClaims = z.infer<typeof idTokenClaimsSchema>;

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
 * Gives out a valid Cognito id token. Every caller shares one sign-in or refresh at a time (single
 * flight), so thirty concurrent tool calls across an expiry cause one refresh, not thirty.
 */
export interface TokenSource {
  getIdToken(): Promise<string>;
  /** Called after the API rejected `rejectedToken` with 401: refreshes unless someone already did. */
  renewAfterRejection(rejectedToken: string): Promise<string>;
  getCurrentUserId(): Promise<string>;
  getClaims(): Promise<IdTokenClaims>;
}

/** Tokens from a sign-in done elsewhere (the HTTP authorization page): the password is never kept. */
export interface CognitoSession {
  idToken: string;
  refreshToken: string;
}

export class CognitoAuth implements TokenSource {
  /**
   * Signs one person in with their own password (the HTTP transport's authorization page) and returns
   * only their tokens; the password lives in a throwaway instance that is dropped on return.
   */
  static async signInWithPassword(
    config: Config,
    logger: Logger,
    credentials: { username: string; password: string },
  ): Promise<CognitoSession & { claims: IdTokenClaims }> {
    const auth = new CognitoAuth(
      {
        ...config,
        agent: { ...config.agent, username: credentials.username, password: credentials.password },
      },
      logger,
    );
    const tokens = await auth.currentTokens();
    return { idToken: tokens.idToken, refreshToken: tokens.refreshToken, claims: tokens.claims };
  }

  private readonly pool: CognitoUserPool;
  private tokens: Tokens | undefined;
  private inflight: Promise<Tokens> | undefined;
  private permanentFailure: RaytioError | undefined;
  private readonly counters: AuthStats = { signIns: 0, refreshes: 0, failures: 0 };

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    session?: CognitoSession,
  ) {
    this.pool = new CognitoUserPool({
      UserPoolId: config.cognito.userPoolId,
      ClientId: config.cognito.clientId,
      ...(config.cognito.endpoint ? { endpoint: config.cognito.endpoint } : {}),
    });
    if (session) this.tokens = this.toTokens(session.idToken, session.refreshToken, undefined);
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
      return await this.refresh(stale);
    } catch (error) {
      // A refresh token can be revoked or expire; one full sign-in is the documented way back.
      this.logger.warn("Token refresh failed; signing in again", { reason: describe(error) });
      return this.signIn();
    }
  }

  private refresh(stale: Tokens): Promise<Tokens> {
    this.counters.refreshes += 1;
    // CognitoUser.refreshSession retries every error with backoff, so a revoked refresh token costs
    // about six seconds before the fallback sign-in can start. The pool's own client sends the same
    // InitiateAuth request once.
    const client = (this.pool as unknown as { client: CognitoClient }).client;
    return this.withTimeout(
      "refresh",
      new Promise<Tokens>((resolve, reject) => {
        client.request(
          "InitiateAuth",
          {
            ClientId: this.config.cognito.clientId,
            AuthFlow: "REFRESH_TOKEN_AUTH",
            AuthParameters: { REFRESH_TOKEN: stale.refreshToken },
          },
          (error, result) => {
            const authentication = result?.AuthenticationResult;
            if (error || !authentication?.IdToken) {
              reject(error ?? new Error("Cognito refresh returned no tokens"));
              return;
            }
            try {
              resolve(
                this.toTokens(
                  authentication.IdToken,
                  authentication.RefreshToken ?? stale.refreshToken,
                  authentication.AccessToken,
                ),
              );
            } catch (failure) {
              reject(failure);
            }
          },
        );
      }),
    );
  }

  private async signIn(): Promise<Tokens> {
    if (!this.config.agent.password) {
      // A person signed in over HTTP: the server never kept their password, so only they can sign in again.
      this.permanentFailure = new RaytioError(
        "AUTH_FAILED",
        "Your Raytio sign-in has ended. Reconnect your MCP client to sign in again.",
      );
      throw this.permanentFailure;
    }
    this.counters.signIns += 1;
    const user = this.cognitoUser();
    const details = new AuthenticationDetails({
      Username: this.config.agent.username,
      Password: this.config.agent.password,
    });
    try {
      const tokens = await this.withTimeout(
        "sign-in",
        new Promise<Tokens>((resolve, reject) => {
          user.authenticateUser(details, {
            onSuccess: (session) =>
              resolve(
                this.toTokens(
                  session.getIdToken().getJwtToken(),
                  session.getRefreshToken().getToken(),
                  session.getAccessToken().getJwtToken(),
                ),
              ),
            onFailure: (error) => reject(error),
            newPasswordRequired: () =>
              reject(
                new RaytioError(
                  "AUTH_FAILED",
                  "The agent account must set a new password before it can be used. Sign in to Raytio once as this account, set a password, then update RAYTIO_AGENT_PASSWORD.",
                ),
              ),
            mfaRequired: () => reject(mfaUnsupported()),
            totpRequired: () => reject(mfaUnsupported()),
            selectMFAType: () => reject(mfaUnsupported()),
            mfaSetup: () => reject(mfaUnsupported()),
            customChallenge: () =>
              reject(
                new RaytioError(
                  "AUTH_FAILED",
                  "The user pool asked for a custom challenge, which agents cannot answer.",
                ),
              ),
          });
        }),
      );
      this.logger.info("Signed in to Raytio", { user: tokens.claims.sub });
      return tokens;
    } catch (error) {
      this.counters.failures += 1;
      throw this.signInError(error);
    }
  }

  private signInError(error: unknown): RaytioError {
    if (error instanceof RaytioError) {
      if (error.code === "AUTH_FAILED") this.permanentFailure = error;
      return error;
    }
    const code = (error as { code?: unknown }).code;
    const name = typeof code === "string" ? code : "UnknownError";
    if (PERMANENT_SIGN_IN_ERRORS.has(name)) {
      const failure = new RaytioError(
        "AUTH_FAILED",
        `Raytio sign-in was refused (${name}). Check RAYTIO_AGENT_USERNAME and RAYTIO_AGENT_PASSWORD, and the Cognito pool and client ids; run the server with --check to test the configuration. Restart the server after fixing it.`,
        { details: { cognitoError: name } },
      );
      // Cognito locks accounts after repeated failures; a wrong password stays wrong until restart.
      this.permanentFailure = failure;
      return failure;
    }
    return new RaytioError(
      "API_UNAVAILABLE",
      `Could not reach Raytio sign-in (${name}). This is usually temporary; try again shortly.`,
      { details: { cognitoError: name } },
    );
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

  private cognitoUser(): CognitoUser {
    return new CognitoUser({ Username: this.config.agent.username, Pool: this.pool });
  }

  private toTokens(
    idToken: string,
    refreshToken: string | undefined,
    accessToken: string | undefined,
  ): Tokens {
    if (!refreshToken) throw new RaytioError("AUTH_FAILED", "Cognito returned no refresh token.");
    const parsed = idTokenClaimsSchema.safeParse(decodeJwtPayload(idToken));
    if (!parsed.success)
      throw new RaytioError("AUTH_FAILED", "Cognito returned an id token without sub/exp claims.");
    this.logger.addSecret(idToken);
    this.logger.addSecret(refreshToken);
    this.logger.addSecret(accessToken);
    const claims = parsed.data;
    const lifetime = claims.exp - (claims.iat ?? claims.exp - 3600);
    const skew = Math.min(MAX_EXPIRY_SKEW_SECONDS, lifetime / 4);
    return { idToken, refreshToken, claims, refreshAt: (claims.exp - skew) * 1000 };
  }
}

function mfaUnsupported(): RaytioError {
  return new RaytioError(
    "AUTH_FAILED",
    "The agent account has multi-factor authentication enabled. Use a dedicated agent account without MFA.",
  );
}

function describe(error: unknown): string {
  if (error instanceof RaytioError) return error.code;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : "UnknownError";
}
