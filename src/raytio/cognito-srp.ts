import { AuthenticationDetails, CognitoUser, CognitoUserPool } from "amazon-cognito-identity-js";
import type { CognitoSettings } from "../config.js";
import { RaytioError } from "../errors.js";
import type { IssuedTokens, SignInFlow } from "./sign-in-flow.js";
import { signInUnreachable } from "./unreachable.js";

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

/**
 * Sign-in straight against the Cognito user pool: `USER_SRP_AUTH` (the password never leaves this
 * process) and `REFRESH_TOKEN_AUTH`.
 */
export class CognitoSrpFlow implements SignInFlow {
  readonly name = "srp";
  private readonly pool: CognitoUserPool;

  constructor(private readonly cognito: CognitoSettings) {
    this.pool = new CognitoUserPool({
      UserPoolId: cognito.userPoolId,
      ClientId: cognito.clientId,
      ...(cognito.endpoint ? { endpoint: cognito.endpoint } : {}),
    });
  }

  describe(): string {
    const { userPoolId, clientId, region } = this.cognito;
    return `Cognito SRP at ${cognitoAddress(this.cognito)}: pool ${userPoolId}, client ${clientId}, region ${region}`;
  }

  refresh(refreshToken: string): Promise<IssuedTokens> {
    // CognitoUser.refreshSession retries every error with backoff, so a revoked refresh token costs
    // about six seconds before the fallback sign-in can start. The pool's own client sends the same
    // InitiateAuth request once.
    const client = (this.pool as unknown as { client: CognitoClient }).client;
    return new Promise<IssuedTokens>((resolve, reject) => {
      client.request(
        "InitiateAuth",
        {
          ClientId: this.cognito.clientId,
          AuthFlow: "REFRESH_TOKEN_AUTH",
          AuthParameters: { REFRESH_TOKEN: refreshToken },
        },
        (error, result) => {
          const authentication = result?.AuthenticationResult;
          if (error || !authentication?.IdToken) {
            reject(error ?? new Error("Cognito refresh returned no tokens"));
            return;
          }
          resolve({
            idToken: authentication.IdToken,
            refreshToken: authentication.RefreshToken,
            accessToken: authentication.AccessToken,
          });
        },
      );
    });
  }

  async signIn(username: string, password: string): Promise<IssuedTokens> {
    const user = new CognitoUser({ Username: username, Pool: this.pool });
    const details = new AuthenticationDetails({ Username: username, Password: password });
    try {
      return await new Promise<IssuedTokens>((resolve, reject) => {
        user.authenticateUser(details, {
          onSuccess: (session) =>
            resolve({
              idToken: session.getIdToken().getJwtToken(),
              refreshToken: session.getRefreshToken().getToken(),
              accessToken: session.getAccessToken().getJwtToken(),
            }),
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
      });
    } catch (error) {
      throw signInError(error, this.cognito);
    }
  }
}

/**
 * Where the library sends every Cognito request: the configured endpoint, else the AWS endpoint of
 * the region in the pool id (the library's own rule, which ignores RAYTIO_COGNITO_REGION).
 */
function cognitoAddress({ endpoint, userPoolId }: CognitoSettings): string {
  return endpoint ?? `https://cognito-idp.${userPoolId.split("_")[0]}.amazonaws.com/`;
}

function signInError(error: unknown, cognito: CognitoSettings): unknown {
  if (error instanceof RaytioError) return error;
  const code = (error as { code?: unknown }).code;
  const name = typeof code === "string" ? code : "UnknownError";
  if (name === "NetworkError") {
    return signInUnreachable(
      cognitoAddress(cognito),
      `Cognito, ${name}`,
      cognito.endpoint ? "RAYTIO_COGNITO_ENDPOINT" : "the region in RAYTIO_COGNITO_USER_POOL_ID",
      { cognitoError: name },
    );
  }
  if (!PERMANENT_SIGN_IN_ERRORS.has(name)) return error;
  return new RaytioError(
    "AUTH_FAILED",
    `Raytio sign-in was refused (${name}). Check RAYTIO_AGENT_USERNAME and RAYTIO_AGENT_PASSWORD, and the Cognito pool and client ids (RAYTIO_COGNITO_USER_POOL_ID, RAYTIO_COGNITO_CLIENT_ID). Restart the server after fixing them.`,
    { details: { cognitoError: name } },
  );
}

function mfaUnsupported(): RaytioError {
  return new RaytioError(
    "AUTH_FAILED",
    "The agent account has multi-factor authentication enabled. Use a dedicated agent account without MFA.",
  );
}
