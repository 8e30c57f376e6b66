import { createHmac, hkdfSync, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserPool,
  type CognitoUserSession,
} from "amazon-cognito-identity-js";
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FakeCognito, FakeCognitoTokenError } from "./fake-cognito.js";
import {
  computeSessionKey,
  computeU,
  computeX,
  g,
  generateServerEphemeral,
  k,
  modPow,
  N,
  padHex,
} from "./srp.js";

const POOL_ID = "us-east-1_Sandbox01";
const CLIENT_ID = "sandboxclient123";
const ISSUER = `https://cognito-idp.us-east-1.amazonaws.com/${POOL_ID}`;
const ALICE = { username: "alice", password: "Passw0rd!alice", email: "alice@example.com" };
const BOB = { username: "bob", password: "pässwörd-日本語-🔑", email: "bob@example.com" };
const CAROL = { username: "carol", password: "Passw0rd!carol", email: "carol@example.com" };

interface CognitoErr {
  code?: string;
  name?: string;
  message: string;
}

let offsetMs = 0;
const cognito = new FakeCognito({
  userPoolId: POOL_ID,
  clientId: CLIENT_ID,
  region: "us-east-1",
  now: () => Date.now() + offsetMs,
});
// A second pool whose client only allows SRP, as a production app client might.
const srpOnly = new FakeCognito({
  userPoolId: "eu-west-1_SrpOnly",
  clientId: "srponlyclient",
  region: "eu-west-1",
  signInFlows: ["USER_SRP_AUTH"],
});

let server: Server;
let baseUrl: string;
let endpoint: string;
let pool: CognitoUserPool;

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  cognito.addUser({
    ...ALICE,
    sub: "11111111-1111-4111-8111-111111111111",
    groups: ["admins", "staff"],
    attributes: { "custom:customer_id": "cust-42", name: "Alice Example" },
  });
  cognito.addUser({ ...BOB, sub: "22222222-2222-4222-8222-222222222222", groups: ["staff"] });
  cognito.addUser({ ...CAROL, sub: "33333333-3333-4333-8333-333333333333", groups: [] });
  srpOnly.addUser({ ...ALICE, sub: "44444444-4444-4444-8444-444444444444", groups: [] });

  server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const path = req.url ?? "/";
      if (path.startsWith("/cognito/")) await cognito.handle(req, res, body);
      else if (path.startsWith("/srp-only/")) await srpOnly.handle(req, res, body);
      else res.writeHead(404).end();
    })();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  endpoint = `${baseUrl}/cognito/`;
  pool = new CognitoUserPool({ UserPoolId: POOL_ID, ClientId: CLIENT_ID, endpoint });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

afterEach(() => {
  offsetMs = 0;
  cognito.setTokenLifetimes({ idTokenTtlSeconds: 3600, accessTokenTtlSeconds: 3600 });
  cognito.clearFaults();
});

function signIn(
  username: string,
  password: string,
  flow?: "USER_PASSWORD_AUTH",
  userPool: CognitoUserPool = pool,
): Promise<{ user: CognitoUser; session: CognitoUserSession }> {
  const user = new CognitoUser({ Username: username, Pool: userPool });
  if (flow) user.setAuthenticationFlowType(flow);
  return new Promise((resolve, reject) => {
    user.authenticateUser(new AuthenticationDetails({ Username: username, Password: password }), {
      onSuccess: (session) => resolve({ user, session }),
      onFailure: (err: unknown) => reject(err),
      newPasswordRequired: () => reject(new Error("unexpected NEW_PASSWORD_REQUIRED")),
    });
  });
}

async function signInError(
  username: string,
  password: string,
  flow?: "USER_PASSWORD_AUTH",
): Promise<CognitoErr> {
  const err = await signIn(username, password, flow).then(
    () => undefined,
    (e: unknown) => e as CognitoErr,
  );
  if (!err) throw new Error("sign-in unexpectedly succeeded");
  return err;
}

async function call(
  action: string,
  params: unknown,
  options: { url?: string; target?: string; rawBody?: string } = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(options.url ?? endpoint, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": options.target ?? `AWSCognitoIdentityProviderService.${action}`,
    },
    body: options.rawBody ?? JSON.stringify(params),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

/** USER_PASSWORD_AUTH without the library, whose constructor alone spends ~100 ms on SRP maths. */
async function passwordTokens(
  username: string,
  password: string,
): Promise<{ IdToken: string; AccessToken: string; RefreshToken: string; ExpiresIn: number }> {
  const res = await call("InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH",
    ClientId: CLIENT_ID,
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  expect(res.status).toBe(200);
  return res.body.AuthenticationResult as {
    IdToken: string;
    AccessToken: string;
    RefreshToken: string;
    ExpiresIn: number;
  };
}

function refreshCall(refreshToken: string, flow = "REFRESH_TOKEN_AUTH") {
  return call("InitiateAuth", {
    AuthFlow: flow,
    ClientId: CLIENT_ID,
    AuthParameters: { REFRESH_TOKEN: refreshToken },
  });
}

function expectCognitoError(
  result: { status: number; headers: Headers; body: Record<string, unknown> },
  type: string,
  message?: string,
): void {
  expect(result.status).toBe(400);
  expect(result.body.__type).toBe(type);
  if (message !== undefined) expect(result.body.message).toBe(message);
  expect(result.headers.get("x-amzn-errortype")).toBe(`${type}:`);
}

/**
 * A second, independent client-side SRP built on bigint, used where the protocol has to be driven by
 * hand (replayed or expired sessions). The library tests above are what prove the server maths.
 */
async function manualSrpChallenge(username: string) {
  const a = BigInt(`0x${randomBytes(128).toString("hex")}`);
  const A = modPow(g, a, N);
  const init = await call("InitiateAuth", {
    AuthFlow: "USER_SRP_AUTH",
    ClientId: CLIENT_ID,
    AuthParameters: { USERNAME: username, SRP_A: A.toString(16) },
  });
  expect(init.status).toBe(200);
  const params = init.body.ChallengeParameters as Record<string, string>;
  return {
    session: init.body.Session as string,
    params,
    respond(password: string, overrides: { session?: string | undefined; timestamp?: string } = {}) {
      const userId = params.USER_ID_FOR_SRP ?? "";
      const B = BigInt(`0x${params.SRP_B}`);
      const x = computeX("Sandbox01", userId, password, params.SALT ?? "");
      const u = computeU(A, B);
      let base = (B - ((k * modPow(g, x, N)) % N)) % N;
      if (base < 0n) base += N;
      const S = modPow(base, a + u * x, N);
      const key = Buffer.from(
        hkdfSync(
          "sha256",
          Buffer.from(padHex(S), "hex"),
          Buffer.from(padHex(u), "hex"),
          "Caldera Derived Key",
          16,
        ),
      );
      const timestamp = overrides.timestamp ?? "Sat Nov 21 09:05:03 UTC 2026";
      const signature = createHmac("sha256", key)
        .update(
          Buffer.concat([
            Buffer.from(`Sandbox01${userId}`, "utf8"),
            Buffer.from(params.SECRET_BLOCK ?? "", "base64"),
            Buffer.from(timestamp, "utf8"),
          ]),
        )
        .digest("base64");
      const session = "session" in overrides ? overrides.session : init.body.Session;
      return call("RespondToAuthChallenge", {
        ChallengeName: "PASSWORD_VERIFIER",
        ClientId: CLIENT_ID,
        ChallengeResponses: {
          USERNAME: userId,
          PASSWORD_CLAIM_SECRET_BLOCK: params.SECRET_BLOCK,
          TIMESTAMP: timestamp,
          PASSWORD_CLAIM_SIGNATURE: signature,
        },
        ...(session === undefined ? {} : { Session: session }),
      });
    },
  };
}

describe("FakeCognito with amazon-cognito-identity-js", () => {
  it("signs in with the default SRP flow and issues Cognito-shaped tokens", async () => {
    const before = cognito.stats();
    const { session } = await signIn(ALICE.username, ALICE.password);

    const idToken = session.getIdToken().getJwtToken();
    const accessToken = session.getAccessToken().getJwtToken();
    const refreshToken = session.getRefreshToken().getToken();

    expect(decodeProtectedHeader(idToken)).toEqual({ kid: cognito.kid, alg: "RS256" });
    expect(decodeProtectedHeader(accessToken)).toEqual({ kid: cognito.kid, alg: "RS256" });

    const id = decodeJwt(idToken);
    expect(id).toMatchObject({
      sub: "11111111-1111-4111-8111-111111111111",
      email: ALICE.email,
      email_verified: true,
      name: "Alice Example",
      "cognito:username": "alice",
      "cognito:groups": ["admins", "staff"],
      "custom:customer_id": "cust-42",
      aud: CLIENT_ID,
      iss: ISSUER,
      token_use: "id",
    });
    expect(id.exp).toBe((id.iat ?? 0) + 3600);
    expect(typeof id.auth_time).toBe("number");
    expect(typeof id.jti).toBe("string");

    const access = decodeJwt(accessToken);
    expect(access).toMatchObject({
      sub: id.sub,
      "cognito:groups": ["admins", "staff"],
      client_id: CLIENT_ID,
      username: "alice",
      scope: "aws.cognito.signin.user.admin",
      token_use: "access",
      iss: ISSUER,
      origin_jti: id.origin_jti,
    });
    expect(access).not.toHaveProperty("aud");
    expect(access).not.toHaveProperty("custom:customer_id");
    expect(access.jti).not.toBe(id.jti);

    // Opaque, as Cognito's: nothing to decode.
    expect(refreshToken).not.toContain(".");
    expect(refreshToken.length).toBeGreaterThan(100);

    await expect(cognito.verify(idToken, "id")).resolves.toMatchObject({ "custom:customer_id": "cust-42" });
    await expect(cognito.verify(accessToken, "access")).resolves.toMatchObject({ username: "alice" });

    const jwks = createRemoteJWKSet(new URL(`${endpoint}${POOL_ID}/.well-known/jwks.json`));
    const verified = await jwtVerify(idToken, jwks, {
      issuer: ISSUER,
      audience: CLIENT_ID,
      algorithms: ["RS256"],
    });
    expect(verified.payload["cognito:groups"]).toEqual(["admins", "staff"]);

    const after = cognito.stats();
    expect(after.srpChallenges - before.srpChallenges).toBe(1);
    expect(after.srpSignIns - before.srpSignIns).toBe(1);
    expect((after.requests.InitiateAuth ?? 0) - (before.requests.InitiateAuth ?? 0)).toBe(1);
    expect((after.requests.RespondToAuthChallenge ?? 0) - (before.requests.RespondToAuthChallenge ?? 0)).toBe(
      1,
    );
  });

  it("serves the JWKS under the pool id and nowhere else", async () => {
    const res = await fetch(`${endpoint}${POOL_ID}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(body).toEqual(cognito.jwks());
    expect(body.keys).toHaveLength(1);
    expect(body.keys[0]).toMatchObject({ kid: cognito.kid, alg: "RS256", kty: "RSA", use: "sig", e: "AQAB" });
    expect(body.keys[0]).not.toHaveProperty("d");

    const other = await fetch(`${endpoint}us-east-1_Other/.well-known/jwks.json`);
    expect(other.status).toBe(405);
  });

  it("rejects a wrong password and an unknown user identically", async () => {
    const wrong = await signInError(ALICE.username, "not-the-password");
    expect(wrong.code).toBe("NotAuthorizedException");
    expect(wrong.name).toBe("NotAuthorizedException");
    expect(wrong.message).toBe("Incorrect username or password.");

    const unknown = await signInError("mallory", "whatever");
    expect(unknown.code).toBe("NotAuthorizedException");
    expect(unknown.message).toBe("Incorrect username or password.");
  });

  it("answers unknown users with a stable decoy challenge", async () => {
    const first = await manualSrpChallenge("mallory");
    const second = await manualSrpChallenge("Mallory");
    expect(first.params.USER_ID_FOR_SRP).toBe("mallory");
    expect(first.params.SALT).toBe(second.params.SALT);
    expect(first.params.SRP_B).not.toBe(second.params.SRP_B);
    expectCognitoError(
      await first.respond("whatever"),
      "NotAuthorizedException",
      "Incorrect username or password.",
    );
  });

  it("signs in with USER_PASSWORD_AUTH", async () => {
    const before = cognito.stats();
    const { session } = await signIn(ALICE.username, ALICE.password, "USER_PASSWORD_AUTH");
    expect(decodeJwt(session.getIdToken().getJwtToken())["custom:customer_id"]).toBe("cust-42");
    expect(cognito.stats().passwordSignIns - before.passwordSignIns).toBe(1);

    const wrong = await signInError(ALICE.username, "nope", "USER_PASSWORD_AUTH");
    expect(wrong.code).toBe("NotAuthorizedException");
    expect(wrong.message).toBe("Incorrect username or password.");
    const unknown = await signInError("mallory", "nope", "USER_PASSWORD_AUTH");
    expect(unknown.code).toBe("NotAuthorizedException");
  });

  it("accepts a non-ASCII password with both flows", async () => {
    const srp = await signIn(BOB.username, BOB.password);
    expect(decodeJwt(srp.session.getIdToken().getJwtToken())["cognito:username"]).toBe("bob");
    await signIn(BOB.username, BOB.password, "USER_PASSWORD_AUTH");
  });

  it("signs in case-insensitively and by e-mail alias, reporting the canonical username", async () => {
    const upper = await passwordTokens("ALICE", ALICE.password);
    expect(decodeJwt(upper.AccessToken).username).toBe("alice");
    const byEmail = await signIn(ALICE.email, ALICE.password);
    expect(decodeJwt(byEmail.session.getIdToken().getJwtToken())["cognito:username"]).toBe("alice");
    // The client re-keys itself on USER_ID_FOR_SRP, as it does against Cognito.
    expect(byEmail.user.getUsername()).toBe("alice");
  });

  it("omits cognito:groups for a user without groups", async () => {
    const tokens = await passwordTokens(CAROL.username, CAROL.password);
    expect(decodeJwt(tokens.IdToken)).not.toHaveProperty("cognito:groups");
    expect(decodeJwt(tokens.AccessToken)).not.toHaveProperty("cognito:groups");
  });

  it("refreshes a session with new id and access tokens but no new refresh token", async () => {
    const { user, session } = await signIn(ALICE.username, ALICE.password, "USER_PASSWORD_AUTH");
    const before = cognito.stats();
    const refreshed = await new Promise<CognitoUserSession>((resolve, reject) => {
      user.refreshSession(session.getRefreshToken(), (err: unknown, s: CognitoUserSession) =>
        err ? reject(err) : resolve(s),
      );
    });
    const oldId = decodeJwt(session.getIdToken().getJwtToken());
    const newId = decodeJwt(refreshed.getIdToken().getJwtToken());
    const newAccess = decodeJwt(refreshed.getAccessToken().getJwtToken());
    expect(newId.jti).not.toBe(oldId.jti);
    expect(newId.origin_jti).toBe(oldId.origin_jti);
    expect(newId.auth_time).toBe(oldId.auth_time);
    expect(newId["custom:customer_id"]).toBe("cust-42");
    expect(newAccess.jti).not.toBe(decodeJwt(session.getAccessToken().getJwtToken()).jti);
    expect(refreshed.getRefreshToken().getToken()).toBe(session.getRefreshToken().getToken());
    await cognito.verify(refreshed.getAccessToken().getJwtToken(), "access");
    expect(cognito.stats().refreshes - before.refreshes).toBe(1);

    const raw = await refreshCall(session.getRefreshToken().getToken(), "REFRESH_TOKEN");
    expect(raw.status).toBe(200);
    const result = raw.body.AuthenticationResult as Record<string, unknown>;
    expect(Object.keys(result).sort()).toEqual(["AccessToken", "ExpiresIn", "IdToken", "TokenType"]);
    expect(result.TokenType).toBe("Bearer");
    expect(result.ExpiresIn).toBe(3600);
  });

  it("expires id and access tokens, then refresh tokens, by the injected clock", async () => {
    const {
      IdToken: idToken,
      AccessToken: accessToken,
      RefreshToken: refreshToken,
    } = await passwordTokens(ALICE.username, ALICE.password);

    offsetMs = 3601 * 1000;
    const expired = await cognito.verify(idToken, "id").catch((e: unknown) => e);
    expect(expired).toBeInstanceOf(FakeCognitoTokenError);
    expect((expired as FakeCognitoTokenError).reason).toBe("expired");
    await expect(cognito.verify(accessToken, "access")).rejects.toMatchObject({ reason: "expired" });
    expectCognitoError(
      await call("GetUser", { AccessToken: accessToken }),
      "NotAuthorizedException",
      "Access Token has expired",
    );

    const refreshed = await refreshCall(refreshToken);
    expect(refreshed.status).toBe(200);
    const fresh = (refreshed.body.AuthenticationResult as { IdToken: string }).IdToken;
    await expect(cognito.verify(fresh, "id")).resolves.toMatchObject({ sub: decodeJwt(idToken).sub });

    offsetMs = 31 * 24 * 3600 * 1000;
    expectCognitoError(
      await refreshCall(refreshToken),
      "NotAuthorizedException",
      "Refresh Token has expired",
    );
  });

  it("applies lifetimes changed at run time", async () => {
    cognito.setTokenLifetimes({ idTokenTtlSeconds: 2, accessTokenTtlSeconds: 5 });
    const res = await call("InitiateAuth", {
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: CLIENT_ID,
      AuthParameters: { USERNAME: ALICE.username, PASSWORD: ALICE.password },
    });
    const result = res.body.AuthenticationResult as {
      IdToken: string;
      AccessToken: string;
      ExpiresIn: number;
    };
    expect(result.ExpiresIn).toBe(5);
    const id = decodeJwt(result.IdToken);
    expect((id.exp ?? 0) - (id.iat ?? 0)).toBe(2);
    offsetMs = 3000;
    await expect(cognito.verify(result.IdToken, "id")).rejects.toMatchObject({ reason: "expired" });
    await expect(cognito.verify(result.AccessToken, "access")).resolves.toBeDefined();
    expect(() => cognito.setTokenLifetimes({ idTokenTtlSeconds: 0 })).toThrow(RangeError);
  });

  it("tells invalid tokens apart from expired ones", async () => {
    const { IdToken: idToken, AccessToken: accessToken } = await passwordTokens(
      ALICE.username,
      ALICE.password,
    );
    const [header, , signature] = idToken.split(".");
    const forged = `${header}.${Buffer.from(
      JSON.stringify({ ...decodeJwt(idToken), "custom:customer_id": "cust-evil" }),
    ).toString("base64url")}.${signature}`;
    // Same pool id, client and issuer, different signing key.
    const stranger = new FakeCognito({ userPoolId: POOL_ID, clientId: CLIENT_ID, region: "us-east-1" });

    for (const [token, use] of [
      [forged, "id"],
      [accessToken, "id"],
      [idToken, "access"],
      ["not-a-jwt", "access"],
    ] as const) {
      await expect(cognito.verify(token, use)).rejects.toMatchObject({ reason: "invalid" });
    }
    await expect(stranger.verify(idToken, "id")).rejects.toMatchObject({ reason: "invalid" });
    expectCognitoError(
      await call("GetUser", { AccessToken: idToken }),
      "NotAuthorizedException",
      "Invalid Access Token",
    );
  });

  it("returns user attributes from GetUser", async () => {
    const { user } = await signIn(ALICE.username, ALICE.password, "USER_PASSWORD_AUTH");
    const attributes = await new Promise<Record<string, string>>((resolve, reject) => {
      user.getUserAttributes((err, list) =>
        err || !list
          ? reject(err)
          : resolve(Object.fromEntries(list.map((a) => [a.getName(), a.getValue()]))),
      );
    });
    expect(attributes).toEqual({
      sub: "11111111-1111-4111-8111-111111111111",
      email: ALICE.email,
      email_verified: "true",
      "custom:customer_id": "cust-42",
      name: "Alice Example",
    });
  });

  it("revokes every refresh token of the user on GlobalSignOut", async () => {
    const first = await signIn(BOB.username, BOB.password, "USER_PASSWORD_AUTH");
    const second = await passwordTokens(BOB.username, BOB.password);
    const other = await passwordTokens(ALICE.username, ALICE.password);
    await new Promise<void>((resolve, reject) => {
      first.user.globalSignOut({ onSuccess: () => resolve(), onFailure: reject });
    });
    const bobSessions = [
      {
        IdToken: first.session.getIdToken().getJwtToken(),
        AccessToken: first.session.getAccessToken().getJwtToken(),
        RefreshToken: first.session.getRefreshToken().getToken(),
      },
      second,
    ];
    for (const tokens of bobSessions) {
      expectCognitoError(
        await refreshCall(tokens.RefreshToken),
        "NotAuthorizedException",
        "Refresh Token has been revoked",
      );
      expectCognitoError(
        await call("GetUser", { AccessToken: tokens.AccessToken }),
        "NotAuthorizedException",
        "Access Token has been revoked",
      );
      // Offline verification cannot see revocation, exactly like an API verifying Cognito JWTs.
      await expect(cognito.verify(tokens.IdToken, "id")).resolves.toBeDefined();
    }
    expect((await refreshCall(other.RefreshToken)).status).toBe(200);
    expectCognitoError(
      await refreshCall("definitely-not-issued"),
      "NotAuthorizedException",
      "Invalid Refresh Token",
    );
  });

  it("revokes one refresh token through signOut(callback)", async () => {
    const { user, session } = await signIn(CAROL.username, CAROL.password, "USER_PASSWORD_AUTH");
    await new Promise<void>((resolve, reject) =>
      user.signOut((err?: unknown) => (err ? reject(err) : resolve())),
    );
    expectCognitoError(
      await refreshCall(session.getRefreshToken().getToken()),
      "NotAuthorizedException",
      "Refresh Token has been revoked",
    );
  });

  it("reports injected faults through err.code", async () => {
    cognito.injectFault({
      action: "InitiateAuth",
      authFlow: "USER_SRP_AUTH",
      type: "TooManyRequestsException",
      message: "Rate exceeded",
    });
    const err = await signInError(ALICE.username, ALICE.password);
    expect(err.code).toBe("TooManyRequestsException");
    expect(err.message).toBe("Rate exceeded");
    expect((await manualSrpChallenge("alice").then((c) => c.respond(ALICE.password))).status).toBe(200);

    cognito.injectFault({
      action: "InitiateAuth",
      authFlow: "REFRESH_TOKEN",
      type: "InternalErrorException",
      status: 500,
    });
    const res = await refreshCall("anything");
    expect(res.status).toBe(500);
    expect(res.body.__type).toBe("InternalErrorException");
  });
});

describe("FakeCognito protocol details", () => {
  it("completes a hand-driven SRP exchange, with or without Session", async () => {
    const ok = await (await manualSrpChallenge("alice")).respond(ALICE.password);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("application/x-amz-json-1.1");
    expect(ok.body.ChallengeParameters).toEqual({});
    expect(Object.keys(ok.body.AuthenticationResult as object).sort()).toEqual([
      "AccessToken",
      "ExpiresIn",
      "IdToken",
      "RefreshToken",
      "TokenType",
    ]);
    // Cognito carries the challenge state in SECRET_BLOCK, so older clients omit Session.
    const noSession = await (await manualSrpChallenge("alice")).respond(ALICE.password, {
      session: undefined,
    });
    expect(noSession.status).toBe(200);
  });

  it("uses SRP sessions once", async () => {
    const challenge = await manualSrpChallenge("alice");
    expect((await challenge.respond(ALICE.password)).status).toBe(200);
    expectCognitoError(
      await challenge.respond(ALICE.password),
      "NotAuthorizedException",
      "Invalid session for the user.",
    );

    const failed = await manualSrpChallenge("alice");
    expectCognitoError(
      await failed.respond("wrong"),
      "NotAuthorizedException",
      "Incorrect username or password.",
    );
    expectCognitoError(
      await failed.respond(ALICE.password),
      "NotAuthorizedException",
      "Invalid session for the user.",
    );
  });

  it("expires SRP sessions after three minutes", async () => {
    const challenge = await manualSrpChallenge("alice");
    offsetMs = 3 * 60 * 1000 + 1;
    const res = await challenge.respond(ALICE.password);
    expectCognitoError(res, "NotAuthorizedException");
    expect(res.body.message).toMatch(/^Invalid session for the user/);
    const bogus = await (await manualSrpChallenge("alice")).respond(ALICE.password, { session: "bogus" });
    expectCognitoError(bogus, "NotAuthorizedException", "Invalid session for the user.");
  });

  it("validates the TIMESTAMP format", async () => {
    const res = await (await manualSrpChallenge("alice")).respond(ALICE.password, {
      timestamp: "2026-11-21T09:05:03Z",
    });
    expectCognitoError(res, "InvalidParameterException");
  });

  it("answers protocol errors with Cognito's error types", async () => {
    expectCognitoError(await call("AdminCreateUser", {}), "UnknownOperationException");
    expectCognitoError(
      await call("InitiateAuth", {}, { target: "Nope.InitiateAuth" }),
      "UnknownOperationException",
    );
    expectCognitoError(await call("InitiateAuth", undefined, { rawBody: "{nope" }), "SerializationException");
    expectCognitoError(
      await call("InitiateAuth", {
        AuthFlow: "USER_SRP_AUTH",
        ClientId: "someoneelse",
        AuthParameters: { USERNAME: "alice", SRP_A: "ab" },
      }),
      "ResourceNotFoundException",
      "User pool client someoneelse does not exist.",
    );
    expectCognitoError(
      await call("InitiateAuth", {
        AuthFlow: "USER_SRP_AUTH",
        ClientId: CLIENT_ID,
        AuthParameters: { SRP_A: "ab" },
      }),
      "InvalidParameterException",
      "Missing required parameter USERNAME",
    );
    expectCognitoError(
      await call("InitiateAuth", { AuthFlow: "USER_SRP_AUTH", ClientId: CLIENT_ID }),
      "InvalidParameterException",
      "Missing required parameter AuthParameters",
    );
    expectCognitoError(
      await call("InitiateAuth", {
        AuthFlow: "USER_SRP_AUTH",
        ClientId: CLIENT_ID,
        AuthParameters: { USERNAME: "alice", SRP_A: N.toString(16) },
      }),
      "InvalidParameterException",
    );
    expectCognitoError(
      await call("InitiateAuth", {
        AuthFlow: "CUSTOM_AUTH",
        ClientId: CLIENT_ID,
        AuthParameters: { USERNAME: "alice" },
      }),
      "InvalidParameterException",
      "Initiate Auth method not supported.",
    );
    expectCognitoError(
      await call("RespondToAuthChallenge", {
        ChallengeName: "SMS_MFA",
        ClientId: CLIENT_ID,
        ChallengeResponses: { USERNAME: "alice" },
      }),
      "InvalidParameterException",
    );
    expectCognitoError(
      await call("GetUser", {}),
      "InvalidParameterException",
      "Missing required parameter AccessToken",
    );

    const get = await fetch(endpoint);
    expect(get.status).toBe(405);
    expect(((await get.json()) as { __type: string }).__type).toBe("UnknownOperationException");
  });

  it("enforces the client's allowed sign-in flows", async () => {
    const res = await call(
      "InitiateAuth",
      {
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: "srponlyclient",
        AuthParameters: { USERNAME: ALICE.username, PASSWORD: ALICE.password },
      },
      { url: `${baseUrl}/srp-only/` },
    );
    expectCognitoError(
      res,
      "InvalidParameterException",
      "USER_PASSWORD_AUTH flow not enabled for this client",
    );
    const srpPool = new CognitoUserPool({
      UserPoolId: "eu-west-1_SrpOnly",
      ClientId: "srponlyclient",
      endpoint: `${baseUrl}/srp-only/`,
    });
    const { session } = await signIn(ALICE.username, ALICE.password, undefined, srpPool);
    expect(decodeJwt(session.getIdToken().getJwtToken()).iss).toBe(
      "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_SrpOnly",
    );
    expect(srpOnly.stats().failuresByType).toEqual({ InvalidParameterException: 1 });
  });

  it("counts requests, sign-ins, refreshes and failures", async () => {
    const fresh = new FakeCognito({ userPoolId: POOL_ID, clientId: CLIENT_ID, region: "us-east-1" });
    expect(fresh.stats()).toMatchObject({ srpSignIns: 0, passwordSignIns: 0, refreshes: 0, failures: 0 });
    const before = cognito.stats();
    const { session } = await signIn(ALICE.username, ALICE.password);
    await Promise.all(Array.from({ length: 3 }, () => refreshCall(session.getRefreshToken().getToken())));
    expect(
      (
        await call("InitiateAuth", {
          AuthFlow: "USER_PASSWORD_AUTH",
          ClientId: CLIENT_ID,
          AuthParameters: { USERNAME: ALICE.username, PASSWORD: "wrong" },
        })
      ).status,
    ).toBe(400);
    const after = cognito.stats();
    expect(after.srpSignIns - before.srpSignIns).toBe(1);
    expect(after.srpChallenges - before.srpChallenges).toBe(1);
    expect(after.passwordSignIns - before.passwordSignIns).toBe(0);
    expect(after.refreshes - before.refreshes).toBe(3);
    expect(after.failures - before.failures).toBe(1);
    expect(
      (after.failuresByType.NotAuthorizedException ?? 0) -
        (before.failuresByType.NotAuthorizedException ?? 0),
    ).toBe(1);
    cognito.resetStats();
    expect(cognito.stats().requests).toEqual({});
  });
});

describe("srp.ts against the client's AuthenticationHelper", () => {
  // The library's own SRP code is the oracle; salts with leading zero bytes are where padHex bites.
  const require = createRequire(import.meta.url);
  const lib = require("amazon-cognito-identity-js") as {
    AuthenticationHelper: new (
      poolName: string,
    ) => {
      k: { toString(radix: number): string };
      padHex(n: unknown): string;
      getLargeAValue(cb: (err: unknown, A: { toString(radix: number): string }) => void): void;
      getPasswordAuthenticationKey(
        username: string,
        password: string,
        B: unknown,
        salt: unknown,
        cb: (err: unknown, key: Uint8Array) => void,
      ): void;
    };
  };
  const BigInteger = (require("amazon-cognito-identity-js/lib/BigInteger.js") as { default: unknown })
    .default as new (
    hex: string,
    radix: number,
  ) => unknown;

  it("agrees on k and padHex", () => {
    const helper = new lib.AuthenticationHelper("Sandbox01");
    expect(helper.k.toString(16)).toBe(k.toString(16));
    for (const hex of ["1", "7f", "80", "ff", "0100", "8000", "00ff", randomBytes(384).toString("hex")]) {
      expect(padHex(BigInt(`0x${hex}`))).toBe(helper.padHex(new BigInteger(hex, 16)));
    }
  });

  it("derives the same session key, including for salts with leading zeros", async () => {
    // Sign-ins above cover random salts; these are the shapes a random salt rarely takes.
    const salts = [`00${randomBytes(15).toString("hex")}`, `0f${randomBytes(15).toString("hex")}`];
    for (const salt of salts) {
      const password = "pässwörd-日本語-🔑";
      const helper = new lib.AuthenticationHelper("Sandbox01");
      const A = await new Promise<bigint>((resolve) =>
        helper.getLargeAValue((_e, value) => resolve(BigInt(`0x${value.toString(16)}`))),
      );
      const x = computeX("Sandbox01", "bob", password, salt);
      const verifier = modPow(g, x, N);
      const { b, B } = generateServerEphemeral(verifier);
      const clientKey = await new Promise<Buffer>((resolve, reject) =>
        helper.getPasswordAuthenticationKey(
          "bob",
          password,
          new BigInteger(B.toString(16), 16),
          new BigInteger(salt, 16),
          (err, key) => (err ? reject(err) : resolve(Buffer.from(key))),
        ),
      );
      expect(computeSessionKey({ A, B, b, verifier }).toString("hex")).toBe(clientKey.toString("hex"));
    }
  });
});
