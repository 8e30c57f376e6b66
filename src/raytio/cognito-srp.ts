import { AuthenticationDetails, CognitoUser, CognitoUserPool } from "amazon-cognito-identity-js";
import { type Dispatcher, request as undiciRequest } from "undici";
import type { CognitoSettings } from "../config.js";
import { RaytioError } from "../errors.js";
import { PACKAGE_NAME, VERSION } from "../version.js";
import { type OutboundFailure, outboundFailure, proxyAdvice, type Route, routeOrError } from "./outbound.js";
import type { IssuedTokens, SignInFlow } from "./sign-in-flow.js";
import { signInUnreachable } from "./unreachable.js";
// Replaces the library's big-integer modPow with Node's native BigInt before any sign-in runs.
import "./native-mod-pow.js";

/** Cognito errors that no retry can fix until the configuration changes. */
const PERMANENT_SIGN_IN_ERRORS = new Set([
  "NotAuthorizedException",
  "UserNotFoundException",
  "UserNotConfirmedException",
  "PasswordResetRequiredException",
  "ResourceNotFoundException",
  "InvalidParameterException",
]);

type CognitoCallback = (error: (Error & { code?: string }) | null, result?: unknown) => void;

/**
 * The library's internal Cognito client (not in its type declarations): the endpoint it chose and
 * `request`, through which every call it makes, and the refresh below, reaches the network.
 */
interface CognitoClient {
  endpoint: string;
  request(operation: string, params: Record<string, unknown>, callback: CognitoCallback): void;
}

interface RefreshResult {
  AuthenticationResult?: { IdToken?: string; AccessToken?: string; RefreshToken?: string };
}

/**
 * Sign-in straight against the Cognito user pool: `USER_SRP_AUTH` (the password never leaves this
 * process) and `REFRESH_TOKEN_AUTH`.
 */
export class CognitoSrpFlow implements SignInFlow {
  readonly name = "srp";
  private readonly pool: CognitoUserPool;
  private readonly client: CognitoClient;

  constructor(
    private readonly cognito: CognitoSettings,
    timeoutMs: number,
  ) {
    this.pool = new CognitoUserPool({
      UserPoolId: cognito.userPoolId,
      ClientId: cognito.clientId,
      ...(cognito.endpoint ? { endpoint: cognito.endpoint } : {}),
    });
    this.client = (this.pool as unknown as { client: CognitoClient }).client;
    // The library posts with the global fetch, which knows nothing of HTTP(S)_PROXY and NO_PROXY, so
    // behind a mandatory proxy sign-in would fail. Its one way out is replaced by the same undici
    // route every API call takes; the SRP computation and the challenge flow stay the library's.
    const endpoint = this.client.endpoint;
    const route = routeOrError(new URL(endpoint), timeoutMs);
    this.client.request = (operation, params, callback) => {
      callCognito(route, endpoint, addressSetting(cognito), timeoutMs, operation, params).then(
        (result) => callback(null, result),
        (error: Error) => callback(error),
      );
    };
  }

  describe(): string {
    const { userPoolId, clientId, region } = this.cognito;
    return `Cognito SRP at ${cognitoAddress(this.cognito)}: pool ${userPoolId}, client ${clientId}, region ${region}`;
  }

  refresh(refreshToken: string): Promise<IssuedTokens> {
    // CognitoUser.refreshSession retries every error with backoff, so a revoked refresh token costs
    // about six seconds before the fallback sign-in can start. The pool's own client sends the same
    // InitiateAuth request once.
    return new Promise<IssuedTokens>((resolve, reject) => {
      this.client.request(
        "InitiateAuth",
        {
          ClientId: this.cognito.clientId,
          AuthFlow: "REFRESH_TOKEN_AUTH",
          AuthParameters: { REFRESH_TOKEN: refreshToken },
        },
        (error, result) => {
          const authentication = (result as RefreshResult | undefined)?.AuthenticationResult;
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
function addressSetting(cognito: CognitoSettings): string {
  return cognito.endpoint ? "RAYTIO_COGNITO_ENDPOINT" : "the region in RAYTIO_COGNITO_USER_POOL_ID";
}

function cognitoAddress({ endpoint, userPoolId }: CognitoSettings): string {
  return endpoint ?? `https://cognito-idp.${userPoolId.split("_")[0]}.amazonaws.com/`;
}

function signInError(error: unknown, cognito: CognitoSettings): unknown {
  if (error instanceof RaytioError) return error;
  const code = (error as { code?: unknown }).code;
  const name = typeof code === "string" ? code : "UnknownError";
  if (name === "NetworkError") {
    return signInUnreachable(cognitoAddress(cognito), `Cognito, ${name}`, addressSetting(cognito), {
      cognitoError: name,
    });
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

/**
 * One Cognito API call (AWS JSON 1.1 over POST), answered the way the library's own client answers:
 * the parsed body, or an Error whose `code` and `name` are the error type Cognito named (after the
 * last `#` of `__type`, else from the `x-amzn-ErrorType` header), which the flow above maps.
 */
async function callCognito(
  route: Route | RaytioError,
  endpoint: string,
  /** The settings that chose `endpoint`, for an error that cannot reach it. */
  chosenBy: string,
  timeoutMs: number,
  operation: string,
  params: Record<string, unknown>,
): Promise<unknown> {
  if (route instanceof RaytioError) throw route;
  // Bounded as a whole, like the token endpoint: SRP takes two of these in a row.
  const deadline = AbortSignal.timeout(timeoutMs);
  let response: Dispatcher.ResponseData;
  let text: string;
  try {
    response = await undiciRequest(endpoint, {
      dispatcher: route.dispatcher,
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": `AWSCognitoIdentityProviderService.${operation}`,
        "X-Amz-User-Agent": `${PACKAGE_NAME}/${VERSION}`,
        "Cache-Control": "no-store",
      },
      body: JSON.stringify(params),
      signal: deadline,
    });
    text = await response.body.text();
  } catch (error) {
    throw cognitoUnreachable(route, outboundFailure(error), deadline.aborted, endpoint, chosenBy);
  }
  let data: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === "object") data = parsed as Record<string, unknown>;
  } catch {
    // An answer that is not JSON (a proxy's error page) is judged by its status alone.
  }
  const status = response.statusCode;
  if (status >= 200 && status < 300) return data;
  // A forward proxy answers for itself with 407; Cognito never does.
  if (status === 407 && route.via) {
    throw cognitoUnreachable(
      route,
      { code: "EPROXY", notSent: true, proxyStatus: 407 },
      false,
      endpoint,
      chosenBy,
    );
  }
  const header = response.headers["x-amzn-errortype"];
  const named =
    (typeof data.__type === "string" && data.__type) ||
    (typeof data.code === "string" && data.code) ||
    (typeof header === "string" && header.split(":")[0]) ||
    "";
  const type = named.split("#").pop() ?? "";
  if (type === "") {
    throw new RaytioError(
      "API_UNAVAILABLE",
      `Cognito answered HTTP ${status} without an error type${route.via ? ` through the proxy ${route.via}` : ""}. This is usually temporary; try again shortly.`,
      { details: { cognitoStatus: status, ...(route.via ? { proxy: route.via } : {}) } },
    );
  }
  const message =
    typeof data.message === "string" ? data.message : typeof data.Message === "string" ? data.Message : type;
  throw Object.assign(new Error(message), { name: type, code: type });
}

function cognitoUnreachable(
  route: Route,
  failure: OutboundFailure,
  timedOut: boolean,
  endpoint: string,
  chosenBy: string,
): RaytioError {
  const via = route.via ? { proxy: route.via } : {};
  if (failure.proxyStatus !== undefined) {
    return new RaytioError(
      "API_UNAVAILABLE",
      `The proxy ${route.via} would not carry the sign-in to Cognito (HTTP ${failure.proxyStatus}). ${proxyAdvice(failure.proxyStatus, "the Cognito host")}`,
      { details: { cognitoError: "ProxyRefused", proxyStatus: failure.proxyStatus, ...via } },
    );
  }
  const reason = timedOut ? "TimeoutError" : failure.code;
  return signInUnreachable(
    endpoint,
    `Cognito, ${reason}${route.via ? ` through the proxy ${route.via}` : ""}`,
    chosenBy,
    { cognitoError: reason, ...via },
  );
}
