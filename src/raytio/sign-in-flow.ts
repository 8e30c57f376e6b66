/**
 * What a way of signing in to Raytio promises. Kept apart from auth.ts, which picks a flow and caches
 * its tokens, so the flows (cognito-srp.ts, token-endpoint.ts) depend on this contract alone and
 * auth.ts depends on them, with no import running back.
 */

/** What a sign-in or refresh hands back, before its id token is checked. */
export interface IssuedTokens {
  idToken: string;
  /** Undefined when a refresh keeps the refresh token it was given (Cognito does not rotate it). */
  refreshToken: string | undefined;
  accessToken: string | undefined;
}

/**
 * One way of getting tokens: Cognito SRP or the documented token endpoint. `signIn` throws a
 * RaytioError AUTH_FAILED when the credentials are refused (then nothing is retried until restart) and
 * anything else when the failure may pass; a failed `refresh` is followed by one full sign-in.
 */
export interface SignInFlow {
  readonly name: "srp" | "token-endpoint";
  /** One line for --check and the sign-in log line; no secret. */
  describe(): string;
  signIn(username: string, password: string): Promise<IssuedTokens>;
  refresh(refreshToken: string): Promise<IssuedTokens>;
}
