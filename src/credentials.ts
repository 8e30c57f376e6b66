/**
 * Who the server acts for, kept apart from the process settings in `Config`: over stdio one agent
 * account from the configuration, over HTTP each signed-in person. Settings are shared by every
 * session of a process; credentials never are.
 */
export interface Credentials {
  /** The Raytio sign-in name (usually an email). */
  username: string;
  /**
   * The sign-in password, kept only when the server may sign in again on its own (the stdio agent).
   * Undefined for a person signed in over HTTP: the server never keeps their password, so once their
   * refresh token is refused only they can sign in again.
   */
  password: string | undefined;
  /** Opens the account's private key for DSM decryption; never leaves this process. */
  encryptionPassword: string | undefined;
  /** The customer the account is expected to belong to (RAYTIO_AGENT_CUSTOMER_ID), checked by --check. */
  customerId: string | undefined;
}

/** Tokens from a sign-in done elsewhere (the HTTP authorization page), handed to a session. */
export interface SignedInTokens {
  idToken: string;
  refreshToken: string;
}

/** Secret values the logger must scrub from any line, whatever the line's origin. */
export function credentialSecrets(credentials: Credentials): string[] {
  return [credentials.password, credentials.encryptionPassword].filter(
    (value): value is string => typeof value === "string" && value.length >= 4,
  );
}
