/**
 * In-memory stand-in for one Cognito User Pool with one public app client, speaking the JSON protocol
 * that amazon-cognito-identity-js uses (POST + `X-Amz-Target: AWSCognitoIdentityProviderService.<Action>`).
 *
 * Behaviour follows real Cognito where the MCP server can observe it: error `__type`s and messages,
 * user-existence errors prevented, opaque refresh tokens, no new refresh token on refresh, and
 * RS256 tokens whose claims mirror Cognito's. Passwords are never stored, only SRP verifiers.
 */
import {
  createHash,
  createHmac,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  randomUUID,
} from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type JWK, type JWTPayload, errors as joseErrors, jwtVerify, SignJWT } from "jose";
import {
  computeClaimSignature,
  computeSessionKey,
  computeVerifier,
  g,
  generateSalt,
  generateServerEphemeral,
  modPow,
  N,
  parseHexInteger,
  SrpParameterError,
  verifiersEqual,
  verifyClaimSignature,
} from "./srp.js";

export type FakeCognitoSignInFlow = "USER_SRP_AUTH" | "USER_PASSWORD_AUTH";

export interface FakeCognitoOptions {
  /** `<region>_<id>`; the part after `_` is the SRP pool name. */
  userPoolId: string;
  clientId: string;
  region: string;
  /** Defaults to `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`, which aws-jwt-verify expects. */
  issuer?: string;
  idTokenTtlSeconds?: number;
  accessTokenTtlSeconds?: number;
  refreshTokenTtlSeconds?: number;
  /**
   * Sign-in flows the app client allows (its ExplicitAuthFlows); refresh is always allowed, as in
   * Cognito. Defaults to both, so narrowing it reproduces a production client that only has SRP.
   */
  signInFlows?: readonly FakeCognitoSignInFlow[];
  /** Clock in milliseconds, so tests can expire tokens and sessions without waiting. */
  now?: () => number;
}

export interface FakeCognitoUserInput {
  username: string;
  password: string;
  sub: string;
  email: string;
  groups: string[];
  /** Extra attributes such as `custom:customer_id` or `name`; all of them go into the id token. */
  attributes?: Record<string, string>;
}

export interface FakeCognitoTokenLifetimes {
  idTokenTtlSeconds?: number;
  accessTokenTtlSeconds?: number;
  refreshTokenTtlSeconds?: number;
}

export interface FakeCognitoStats {
  /** Every Cognito API call received, by action name, whatever its outcome. */
  requests: Record<string, number>;
  /** USER_SRP_AUTH InitiateAuth calls answered with a PASSWORD_VERIFIER challenge. */
  srpChallenges: number;
  /** Completed SRP sign-ins (PASSWORD_VERIFIER accepted). */
  srpSignIns: number;
  passwordSignIns: number;
  /** Successful REFRESH_TOKEN(_AUTH) calls. */
  refreshes: number;
  getUsers: number;
  globalSignOuts: number;
  revokedTokens: number;
  jwksRequests: number;
  /** Error responses of any kind, injected faults included. */
  failures: number;
  failuresByType: Record<string, number>;
}

/** A canned error for the next matching call(s), to exercise the MCP server's failure paths. */
export interface FakeCognitoFault {
  /** Cognito action name, e.g. `InitiateAuth`. */
  action: string;
  /** Only InitiateAuth calls with this AuthFlow (`REFRESH_TOKEN` and `REFRESH_TOKEN_AUTH` are one). */
  authFlow?: string;
  /** The `__type`, e.g. `TooManyRequestsException` or `InternalErrorException`. */
  type: string;
  message?: string;
  /** Defaults to 400; Cognito uses 500 for InternalErrorException. */
  status?: number;
  /** How many calls fail before the fault clears; defaults to 1. */
  times?: number;
}

export interface FakeCognitoIssuedTokens {
  AccessToken: string;
  ExpiresIn: number;
  IdToken: string;
  TokenType: "Bearer";
  RefreshToken: string;
}

export type FakeCognitoTokenErrorReason = "expired" | "invalid";

/** Thrown by `verify`; `reason` lets an API stand-in answer PGRST303 (expired) vs PGRST301 (invalid). */
export class FakeCognitoTokenError extends Error {
  override readonly name = "FakeCognitoTokenError";
  constructor(
    readonly reason: FakeCognitoTokenErrorReason,
    message: string,
  ) {
    super(message);
  }
}

interface StoredUser {
  username: string;
  sub: string;
  email: string;
  groups: string[];
  attributes: Record<string, string>;
  salt: string;
  verifier: bigint;
}

interface PendingChallenge {
  session: string;
  /** Undefined for an unknown user: the challenge is simulated so probing reveals nothing. */
  user: StoredUser | undefined;
  userIdForSrp: string;
  A: bigint;
  b: bigint;
  B: bigint;
  verifier: bigint;
  secretBlock: string;
  expiresAt: number;
}

interface RefreshRecord {
  token: string;
  username: string;
  originJti: string;
  eventId: string;
  authTime: number;
  expiresAt: number;
  revoked: boolean;
}

interface StoredFault {
  action: string;
  authFlow?: string;
  type: string;
  message: string;
  status: number;
  times: number;
}

interface AuthContext {
  originJti: string;
  eventId: string;
  authTime: number;
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const notAuthorized = (message: string) => new ServiceError("NotAuthorizedException", message);
const invalidParameter = (message: string) => new ServiceError("InvalidParameterException", message);
const INCORRECT_CREDENTIALS = "Incorrect username or password.";

const TARGET_PREFIX = "AWSCognitoIdentityProviderService.";
const SESSION_TTL_MS = 3 * 60 * 1000;
const DEFAULT_TOKEN_TTL_SECONDS = 3600;
// Kept past expiry so a late caller hears "has expired", as from Cognito, rather than "Invalid".
const EXPIRED_REFRESH_RETENTION_MS = 7 * 24 * 3600 * 1000;
const DEFAULT_REFRESH_TTL_SECONDS = 30 * 24 * 3600;
// The client's DateHelper format, "ddd MMM D HH:mm:ss UTC YYYY"; other SRP clients zero-pad the day.
const TIMESTAMP_RE =
  /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2} \d{2}:\d{2}:\d{2} UTC \d{4}$/;
const VERIFIED_ATTRIBUTES = new Set(["email_verified", "phone_number_verified"]);

function emptyStats(): FakeCognitoStats {
  return {
    requests: {},
    srpChallenges: 0,
    srpSignIns: 0,
    passwordSignIns: 0,
    refreshes: 0,
    getUsers: 0,
    globalSignOuts: 0,
    revokedTokens: 0,
    jwksRequests: 0,
    failures: 0,
    failuresByType: {},
  };
}

function checkTtl(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value <= 0)) {
    throw new RangeError(`${name} must be a positive whole number of seconds`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Cognito's wording for an absent parameter; wrong types are reported the same way to keep it simple. */
function requireString(obj: Record<string, unknown>, key: string): string {
  const value = obj[key];
  if (value === undefined || value === null || value === "") {
    throw invalidParameter(`Missing required parameter ${key}`);
  }
  if (typeof value !== "string") throw invalidParameter(`${key} must be a string`);
  return value;
}

function requireMap(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = obj[key];
  if (value === undefined || value === null) throw invalidParameter(`Missing required parameter ${key}`);
  if (!isRecord(value)) throw invalidParameter(`${key} must be a map of strings`);
  return value;
}

export class FakeCognito {
  readonly userPoolId: string;
  readonly clientId: string;
  readonly region: string;
  readonly issuer: string;
  readonly kid: string;
  /** Path suffix that `handle` answers with the JWKS, as Cognito serves it under its issuer. */
  readonly jwksPath: string;

  private readonly poolName: string;
  private readonly now: () => number;
  private readonly signInFlows: ReadonlySet<string>;
  private idTtl: number;
  private accessTtl: number;
  private refreshTtl: number;
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private readonly publicJwk: JWK;
  /** Keys the simulated challenge of unknown users, so repeated probes see a stable salt. */
  private readonly decoySecret = randomBytes(32);
  private readonly usersByName = new Map<string, StoredUser>();
  private readonly usersByEmail = new Map<string, StoredUser>();
  private readonly challenges = new Map<string, PendingChallenge>();
  private readonly challengesBySecretBlock = new Map<string, string>();
  private readonly refreshTokens = new Map<string, RefreshRecord>();
  private readonly refreshByOriginJti = new Map<string, RefreshRecord>();
  private faults: StoredFault[] = [];
  private counters: FakeCognitoStats = emptyStats();

  constructor(options: FakeCognitoOptions) {
    const { userPoolId, clientId, region } = options;
    // The same check amazon-cognito-identity-js applies, so a pool the client rejects fails here first.
    const match = /^[\w-]+_([0-9a-zA-Z]+)$/.exec(userPoolId);
    if (!match?.[1] || userPoolId.length > 55) throw new Error(`Invalid userPoolId: ${userPoolId}`);
    if (!clientId) throw new Error("clientId is required");
    checkTtl("idTokenTtlSeconds", options.idTokenTtlSeconds);
    checkTtl("accessTokenTtlSeconds", options.accessTokenTtlSeconds);
    checkTtl("refreshTokenTtlSeconds", options.refreshTokenTtlSeconds);

    this.userPoolId = userPoolId;
    this.poolName = match[1];
    this.clientId = clientId;
    this.region = region;
    this.issuer = options.issuer ?? `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
    this.jwksPath = `/${userPoolId}/.well-known/jwks.json`;
    this.now = options.now ?? Date.now;
    this.signInFlows = new Set(options.signInFlows ?? ["USER_SRP_AUTH", "USER_PASSWORD_AUTH"]);
    this.idTtl = options.idTokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
    this.accessTtl = options.accessTokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
    this.refreshTtl = options.refreshTokenTtlSeconds ?? DEFAULT_REFRESH_TTL_SECONDS;

    // Synchronous so the constructor needs no async factory; RSA keygen costs 50-300 ms once.
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    const jwk = publicKey.export({ format: "jwk" });
    if (typeof jwk.n !== "string" || typeof jwk.e !== "string") throw new Error("RSA JWK export failed");
    // RFC 7638 thumbprint: an opaque id, like Cognito's, that changes only with the key.
    this.kid = createHash("sha256")
      .update(JSON.stringify({ e: jwk.e, kty: "RSA", n: jwk.n }))
      .digest("base64url");
    this.publicJwk = { alg: "RS256", e: jwk.e, kid: this.kid, kty: "RSA", n: jwk.n, use: "sig" };
  }

  addUser(input: FakeCognitoUserInput): void {
    const { username, password, sub, email, groups } = input;
    if (!username || !password || !sub || !email) {
      throw new Error("addUser: username, password, sub and email are required");
    }
    const key = username.toLowerCase();
    if (this.usersByName.has(key)) throw new Error(`addUser: user ${username} already exists`);
    const extra = input.attributes ?? {};
    for (const reserved of ["sub", "email"]) {
      if (reserved in extra) throw new Error(`addUser: pass ${reserved} as its own field, not in attributes`);
    }
    const salt = generateSalt();
    const user: StoredUser = {
      username,
      sub,
      email,
      groups: [...groups],
      attributes: { sub, email, email_verified: "true", ...extra },
      salt,
      verifier: computeVerifier(this.poolName, username, password, salt),
    };
    this.usersByName.set(key, user);
    // Only a verified e-mail works as a sign-in alias in Cognito.
    if (user.attributes.email_verified === "true") this.usersByEmail.set(email.toLowerCase(), user);
  }

  setTokenLifetimes(lifetimes: FakeCognitoTokenLifetimes): void {
    checkTtl("idTokenTtlSeconds", lifetimes.idTokenTtlSeconds);
    checkTtl("accessTokenTtlSeconds", lifetimes.accessTokenTtlSeconds);
    checkTtl("refreshTokenTtlSeconds", lifetimes.refreshTokenTtlSeconds);
    this.idTtl = lifetimes.idTokenTtlSeconds ?? this.idTtl;
    this.accessTtl = lifetimes.accessTokenTtlSeconds ?? this.accessTtl;
    this.refreshTtl = lifetimes.refreshTokenTtlSeconds ?? this.refreshTtl;
  }

  injectFault(fault: FakeCognitoFault): void {
    const authFlow = fault.authFlow === "REFRESH_TOKEN" ? "REFRESH_TOKEN_AUTH" : fault.authFlow;
    this.faults.push({
      action: fault.action,
      ...(authFlow === undefined ? {} : { authFlow }),
      type: fault.type,
      message: fault.message ?? `Injected ${fault.type}`,
      status: fault.status ?? 400,
      times: fault.times ?? 1,
    });
  }

  clearFaults(): void {
    this.faults = [];
  }

  jwks(): { keys: JWK[] } {
    return { keys: [{ ...this.publicJwk }] };
  }

  stats(): FakeCognitoStats {
    return structuredClone(this.counters);
  }

  resetStats(): void {
    this.counters = emptyStats();
  }

  /** Verifies a token this pool issued, as an API behind Cognito would (offline: revocation is not seen). */
  async verify(token: string, tokenUse: "id" | "access"): Promise<JWTPayload> {
    let payload: JWTPayload;
    let kid: string | undefined;
    try {
      const result = await jwtVerify(token, this.publicKey, {
        issuer: this.issuer,
        algorithms: ["RS256"],
        currentDate: new Date(this.now()),
        requiredClaims: ["sub", "exp", "iat", "token_use"],
        ...(tokenUse === "id" ? { audience: this.clientId } : {}),
      });
      payload = result.payload;
      kid = result.protectedHeader.kid;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired)
        throw new FakeCognitoTokenError("expired", "Token has expired");
      const code = err instanceof joseErrors.JOSEError ? err.code : "ERR_JWT_MALFORMED";
      throw new FakeCognitoTokenError("invalid", `Invalid token (${code})`);
    }
    if (kid !== this.kid) throw new FakeCognitoTokenError("invalid", "Invalid token (unknown kid)");
    if (payload.token_use !== tokenUse) {
      throw new FakeCognitoTokenError("invalid", `Invalid token (token_use is not ${tokenUse})`);
    }
    if (tokenUse === "access" && payload.client_id !== this.clientId) {
      throw new FakeCognitoTokenError("invalid", "Invalid token (client_id mismatch)");
    }
    return payload;
  }

  /**
   * Serves the Cognito JSON API, plus the JWKS when the path ends with `jwksPath`, so a sandbox can
   * mount everything under one prefix. `body` is the raw request body, already read.
   */
  async handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if ((req.method === "GET" || req.method === "HEAD") && path.endsWith(this.jwksPath)) {
      this.handleJwks(req, res);
      return;
    }
    if (req.method !== "POST") {
      res.setHeader("Allow", "POST");
      this.sendError(res, new ServiceError("UnknownOperationException", "Only POST is supported", 405));
      return;
    }

    const target = req.headers["x-amz-target"];
    const action =
      typeof target === "string" && target.startsWith(TARGET_PREFIX)
        ? target.slice(TARGET_PREFIX.length)
        : "";
    if (action) this.counters.requests[action] = (this.counters.requests[action] ?? 0) + 1;

    try {
      const params = this.parseBody(body);
      const result = await this.dispatch(action, params);
      this.send(res, 200, result);
    } catch (err) {
      if (err instanceof ServiceError) {
        this.sendError(res, err);
        return;
      }
      // A bug here, not a client error; the message is ours and carries no secrets.
      console.error(`fake-cognito: internal error in ${action || "request"}: ${(err as Error).message}`);
      this.sendError(res, new ServiceError("InternalErrorException", "An internal error occurred.", 500));
    }
  }

  handleJwks(req: IncomingMessage, res: ServerResponse): void {
    this.counters.jwksRequests++;
    const payload = JSON.stringify(this.jwks());
    res.writeHead(200, {
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(payload),
    });
    res.end(req.method === "HEAD" ? undefined : payload);
  }

  private parseBody(body: Buffer): Record<string, unknown> {
    if (body.length === 0) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      throw new ServiceError("SerializationException", "Request body is not valid JSON");
    }
    if (!isRecord(parsed))
      throw new ServiceError("SerializationException", "Request body must be a JSON object");
    return parsed;
  }

  private async dispatch(action: string, params: Record<string, unknown>): Promise<unknown> {
    this.applyFault(action, params);
    switch (action) {
      case "InitiateAuth":
        return this.initiateAuth(params);
      case "RespondToAuthChallenge":
        return this.respondToAuthChallenge(params);
      case "GetUser":
        return this.getUser(params);
      case "GlobalSignOut":
        return this.globalSignOut(params);
      case "RevokeToken":
        return this.revokeToken(params);
      default:
        throw new ServiceError(
          "UnknownOperationException",
          action ? `Unknown operation ${action}` : "Missing or malformed X-Amz-Target header",
        );
    }
  }

  private applyFault(action: string, params: Record<string, unknown>): void {
    const flow = params.AuthFlow === "REFRESH_TOKEN" ? "REFRESH_TOKEN_AUTH" : params.AuthFlow;
    const index = this.faults.findIndex(
      (f) => f.action === action && (f.authFlow === undefined || f.authFlow === flow),
    );
    const fault = this.faults[index];
    if (!fault) return;
    fault.times--;
    if (fault.times <= 0) this.faults.splice(index, 1);
    throw new ServiceError(fault.type, fault.message, fault.status);
  }

  private checkClientId(params: Record<string, unknown>): void {
    const clientId = requireString(params, "ClientId");
    if (clientId !== this.clientId) {
      throw new ServiceError("ResourceNotFoundException", `User pool client ${clientId} does not exist.`);
    }
  }

  private findUser(name: string): StoredUser | undefined {
    const key = name.toLowerCase();
    return this.usersByName.get(key) ?? this.usersByEmail.get(key);
  }

  private sweep(nowMs: number): void {
    for (const [session, challenge] of this.challenges) {
      if (challenge.expiresAt <= nowMs) this.forgetChallenge(session, challenge);
    }
    for (const [token, record] of this.refreshTokens) {
      if (record.expiresAt + EXPIRED_REFRESH_RETENTION_MS <= nowMs) {
        this.refreshTokens.delete(token);
        this.refreshByOriginJti.delete(record.originJti);
      }
    }
  }

  private forgetChallenge(session: string, challenge: PendingChallenge): void {
    this.challenges.delete(session);
    this.challengesBySecretBlock.delete(challenge.secretBlock);
  }

  private async initiateAuth(params: Record<string, unknown>): Promise<unknown> {
    const flow = requireString(params, "AuthFlow");
    this.checkClientId(params);
    const authParameters = requireMap(params, "AuthParameters");
    this.sweep(this.now());
    switch (flow) {
      case "USER_SRP_AUTH":
        this.checkFlowEnabled(flow);
        return this.startSrp(authParameters);
      case "USER_PASSWORD_AUTH":
        this.checkFlowEnabled(flow);
        return this.passwordAuth(authParameters);
      case "REFRESH_TOKEN_AUTH":
      case "REFRESH_TOKEN":
        return this.refresh(authParameters);
      default:
        throw invalidParameter("Initiate Auth method not supported.");
    }
  }

  private checkFlowEnabled(flow: string): void {
    if (!this.signInFlows.has(flow)) throw invalidParameter(`${flow} flow not enabled for this client`);
  }

  private startSrp(authParameters: Record<string, unknown>): unknown {
    const username = requireString(authParameters, "USERNAME");
    const srpA = requireString(authParameters, "SRP_A");
    const A = parseHexInteger(srpA);
    if (A === undefined || A % N === 0n) throw invalidParameter("Invalid SRP_A");

    const user = this.findUser(username);
    let salt: string;
    let verifier: bigint;
    if (user) {
      ({ salt, verifier } = user);
    } else {
      // Cognito answers unknown users with a plausible challenge and fails them at the next step.
      const decoy = createHmac("sha256", this.decoySecret).update(username.toLowerCase()).digest();
      salt = decoy.subarray(0, 16).toString("hex");
      verifier = modPow(g, BigInt(`0x${decoy.subarray(16).toString("hex")}`), N);
    }
    const { b, B } = generateServerEphemeral(verifier);
    const session = randomBytes(96).toString("base64url");
    const secretBlock = randomBytes(96).toString("base64");
    const userIdForSrp = user ? user.username : username;
    const challenge: PendingChallenge = {
      session,
      user,
      userIdForSrp,
      A,
      b,
      B,
      verifier,
      secretBlock,
      expiresAt: this.now() + SESSION_TTL_MS,
    };
    this.challenges.set(session, challenge);
    this.challengesBySecretBlock.set(secretBlock, session);
    this.counters.srpChallenges++;
    return {
      ChallengeName: "PASSWORD_VERIFIER",
      ChallengeParameters: {
        SALT: salt,
        SECRET_BLOCK: secretBlock,
        SRP_B: B.toString(16),
        USERNAME: userIdForSrp,
        USER_ID_FOR_SRP: userIdForSrp,
      },
      Session: session,
    };
  }

  private async respondToAuthChallenge(params: Record<string, unknown>): Promise<unknown> {
    const challengeName = requireString(params, "ChallengeName");
    this.checkClientId(params);
    if (challengeName !== "PASSWORD_VERIFIER") {
      throw invalidParameter(`Unsupported challenge name ${challengeName}`);
    }
    const responses = requireMap(params, "ChallengeResponses");
    const username = requireString(responses, "USERNAME");
    const secretBlock = requireString(responses, "PASSWORD_CLAIM_SECRET_BLOCK");
    const signature = requireString(responses, "PASSWORD_CLAIM_SIGNATURE");
    const timestamp = requireString(responses, "TIMESTAMP");
    if (!TIMESTAMP_RE.test(timestamp)) throw invalidParameter("TIMESTAMP format is invalid");

    // Cognito keeps the challenge state inside SECRET_BLOCK, so Session is optional for this challenge.
    const sessionParam = params.Session;
    if (sessionParam !== undefined && sessionParam !== null && typeof sessionParam !== "string") {
      throw invalidParameter("Session must be a string");
    }
    const session = sessionParam || this.challengesBySecretBlock.get(secretBlock);
    const challenge = session ? this.challenges.get(session) : undefined;
    if (!challenge) throw notAuthorized("Invalid session for the user.");
    // Single use whatever the outcome: a failed proof needs a fresh InitiateAuth, as in Cognito.
    this.forgetChallenge(challenge.session, challenge);
    if (challenge.expiresAt <= this.now())
      throw notAuthorized("Invalid session for the user, session is expired.");
    if (
      challenge.secretBlock !== secretBlock ||
      username.toLowerCase() !== challenge.userIdForSrp.toLowerCase()
    ) {
      throw notAuthorized("Invalid session for the user.");
    }
    const user = challenge.user;
    if (!user) throw notAuthorized(INCORRECT_CREDENTIALS);

    let key: Buffer;
    try {
      key = computeSessionKey({
        A: challenge.A,
        B: challenge.B,
        b: challenge.b,
        verifier: challenge.verifier,
      });
    } catch (err) {
      if (err instanceof SrpParameterError) throw notAuthorized(INCORRECT_CREDENTIALS);
      throw err;
    }
    const expected = computeClaimSignature({
      key,
      poolName: this.poolName,
      userIdForSrp: challenge.userIdForSrp,
      secretBlockBase64: challenge.secretBlock,
      timestamp,
    });
    if (!verifyClaimSignature(expected, signature)) throw notAuthorized(INCORRECT_CREDENTIALS);

    const result = await this.signIn(user);
    this.counters.srpSignIns++;
    return result;
  }

  private async passwordAuth(authParameters: Record<string, unknown>): Promise<unknown> {
    const username = requireString(authParameters, "USERNAME");
    const password = requireString(authParameters, "PASSWORD");
    const user = this.findUser(username);
    if (!user) throw notAuthorized(INCORRECT_CREDENTIALS);
    const candidate = computeVerifier(this.poolName, user.username, password, user.salt);
    if (!verifiersEqual(candidate, user.verifier)) throw notAuthorized(INCORRECT_CREDENTIALS);
    const result = await this.signIn(user);
    this.counters.passwordSignIns++;
    return result;
  }

  /**
   * For a token endpoint in front of this pool (sandbox/token-endpoint.ts): checks the password on the
   * server side, whatever sign-in flows the app client allows, and issues the same tokens as a sign-in.
   * Not a Cognito API call, so it leaves the Cognito stats alone. Undefined when refused.
   */
  async grantPassword(username: string, password: string): Promise<FakeCognitoIssuedTokens | undefined> {
    this.sweep(this.now());
    const user = this.findUser(username);
    if (!user) return undefined;
    const candidate = computeVerifier(this.poolName, user.username, password, user.salt);
    if (!verifiersEqual(candidate, user.verifier)) return undefined;
    return (await this.signIn(user)).AuthenticationResult;
  }

  /** The refresh grant of such a token endpoint: new id and access tokens; the refresh token stays. */
  async grantRefresh(token: string): Promise<Omit<FakeCognitoIssuedTokens, "RefreshToken"> | undefined> {
    const record = this.refreshTokens.get(token);
    if (!record || record.revoked || record.expiresAt <= this.now()) return undefined;
    const user = this.usersByName.get(record.username.toLowerCase());
    return user ? this.issueTokens(user, record) : undefined;
  }

  private async signIn(
    user: StoredUser,
  ): Promise<{ AuthenticationResult: FakeCognitoIssuedTokens; ChallengeParameters: Record<string, never> }> {
    const nowMs = this.now();
    const context: AuthContext = {
      originJti: randomUUID(),
      eventId: randomUUID(),
      authTime: Math.floor(nowMs / 1000),
    };
    const record: RefreshRecord = {
      // Opaque like Cognito's, so nothing downstream is tempted to parse it.
      token: randomBytes(96).toString("base64url"),
      username: user.username,
      ...context,
      expiresAt: nowMs + this.refreshTtl * 1000,
      revoked: false,
    };
    this.refreshTokens.set(record.token, record);
    this.refreshByOriginJti.set(record.originJti, record);
    const tokens = await this.issueTokens(user, context);
    return {
      AuthenticationResult: { ...tokens, RefreshToken: record.token },
      ChallengeParameters: {},
    };
  }

  private async refresh(authParameters: Record<string, unknown>): Promise<unknown> {
    const token = requireString(authParameters, "REFRESH_TOKEN");
    const record = this.refreshTokens.get(token);
    if (!record) throw notAuthorized("Invalid Refresh Token");
    if (record.revoked) throw notAuthorized("Refresh Token has been revoked");
    if (record.expiresAt <= this.now()) throw notAuthorized("Refresh Token has expired");
    const user = this.usersByName.get(record.username.toLowerCase());
    if (!user) throw notAuthorized("User does not exist.");
    // Claims are rebuilt from the current user record, so group changes show up after a refresh.
    const tokens = await this.issueTokens(user, record);
    this.counters.refreshes++;
    return { AuthenticationResult: tokens, ChallengeParameters: {} };
  }

  private async issueTokens(
    user: StoredUser,
    context: AuthContext,
  ): Promise<{ AccessToken: string; ExpiresIn: number; IdToken: string; TokenType: "Bearer" }> {
    const iat = Math.floor(this.now() / 1000);
    const groups = user.groups.length > 0 ? { "cognito:groups": [...user.groups] } : {};
    const idAttributes: Record<string, string | boolean> = {};
    for (const [name, value] of Object.entries(user.attributes)) {
      idAttributes[name] = VERIFIED_ATTRIBUTES.has(name) ? value === "true" : value;
    }
    const idToken = await this.sign({
      ...idAttributes,
      ...groups,
      sub: user.sub,
      iss: this.issuer,
      "cognito:username": user.username,
      origin_jti: context.originJti,
      aud: this.clientId,
      event_id: context.eventId,
      token_use: "id",
      auth_time: context.authTime,
      exp: iat + this.idTtl,
      iat,
      jti: randomUUID(),
    });
    const accessToken = await this.sign({
      sub: user.sub,
      ...groups,
      iss: this.issuer,
      version: 2,
      client_id: this.clientId,
      origin_jti: context.originJti,
      event_id: context.eventId,
      token_use: "access",
      scope: "aws.cognito.signin.user.admin",
      auth_time: context.authTime,
      exp: iat + this.accessTtl,
      iat,
      jti: randomUUID(),
      username: user.username,
    });
    return { AccessToken: accessToken, ExpiresIn: this.accessTtl, IdToken: idToken, TokenType: "Bearer" };
  }

  private sign(payload: JWTPayload): Promise<string> {
    return new SignJWT(payload).setProtectedHeader({ kid: this.kid, alg: "RS256" }).sign(this.privateKey);
  }

  /** Cognito's checks on an AccessToken parameter, including revocation, which offline `verify` cannot see. */
  private async userForAccessToken(params: Record<string, unknown>): Promise<StoredUser> {
    const token = requireString(params, "AccessToken");
    let payload: JWTPayload;
    try {
      payload = await this.verify(token, "access");
    } catch (err) {
      if (err instanceof FakeCognitoTokenError && err.reason === "expired") {
        throw notAuthorized("Access Token has expired");
      }
      throw notAuthorized("Invalid Access Token");
    }
    const origin =
      typeof payload.origin_jti === "string" ? this.refreshByOriginJti.get(payload.origin_jti) : undefined;
    if (origin?.revoked) throw notAuthorized("Access Token has been revoked");
    const user =
      typeof payload.username === "string" ? this.usersByName.get(payload.username.toLowerCase()) : undefined;
    if (!user) throw new ServiceError("UserNotFoundException", "User does not exist.");
    return user;
  }

  private async getUser(params: Record<string, unknown>): Promise<unknown> {
    const user = await this.userForAccessToken(params);
    this.counters.getUsers++;
    return {
      UserAttributes: Object.entries(user.attributes).map(([Name, Value]) => ({ Name, Value })),
      Username: user.username,
    };
  }

  private async globalSignOut(params: Record<string, unknown>): Promise<unknown> {
    const user = await this.userForAccessToken(params);
    for (const record of this.refreshTokens.values()) {
      if (record.username === user.username) record.revoked = true;
    }
    this.counters.globalSignOuts++;
    return {};
  }

  private revokeToken(params: Record<string, unknown>): unknown {
    const token = requireString(params, "Token");
    this.checkClientId(params);
    const record = this.refreshTokens.get(token);
    // Unknown tokens succeed silently, as RFC 7009 asks of revocation endpoints.
    if (record && !record.revoked) {
      record.revoked = true;
      this.counters.revokedTokens++;
    }
    return {};
  }

  private send(res: ServerResponse, status: number, payload: unknown, errorType?: string): void {
    const body = JSON.stringify(payload);
    res.writeHead(status, {
      "Content-Type": "application/x-amz-json-1.1",
      "Content-Length": Buffer.byteLength(body),
      "x-amzn-RequestId": randomUUID(),
      ...(errorType ? { "x-amzn-ErrorType": `${errorType}:` } : {}),
    });
    res.end(body);
  }

  private sendError(res: ServerResponse, err: ServiceError): void {
    this.counters.failures++;
    this.counters.failuresByType[err.type] = (this.counters.failuresByType[err.type] ?? 0) + 1;
    this.send(res, err.status, { __type: err.type, message: err.message }, err.type);
  }
}
