import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MemoryStore } from "../store.js";
import { ClientMetadataDocuments } from "./client-metadata.js";
import { redirectUriProblem } from "./redirect-uri.js";
import { seal, unseal, verifyPkce } from "./secrets.js";
import {
  type GrantSecrets,
  OAuthError,
  OAuthService,
  RedirectableError,
  UntrustedRequestError,
} from "./service.js";

const RESOURCE = "https://mcp.example.com/mcp";
const REDIRECT = "http://127.0.0.1:4000/callback";
const SECRETS: GrantSecrets = {
  email: "person@example.com",
  cognito: { idToken: "id.token.value", refreshToken: "refresh-token-value" },
  encryptionPassword: "correct horse battery staple",
};

function setup(resource = RESOURCE, store = new MemoryStore(() => clock.now)) {
  const service = new OAuthService(
    store,
    {
      resource,
      codeTtlSeconds: 300,
      clientTtlSeconds: 3600,
      accessTokenTtlSeconds: 600,
      refreshTokenTtlSeconds: 86_400,
    },
    () => clock.now,
  );
  return { service, store };
}
const clock = { now: Date.UTC(2026, 0, 1) };

async function codeFor(service: OAuthService, extra: Record<string, string> = {}) {
  const client = await service.register({ client_name: "Test", redirect_uris: [REDIRECT] });
  const verifier = randomBytes(32).toString("base64url");
  const params = new URLSearchParams({
    response_type: "code",
    client_id: client.client_id,
    redirect_uri: REDIRECT,
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
    ...extra,
  });
  const { request } = await service.validateAuthorization(params);
  const pending = await service.savePending(request);
  const { code } = await service.approve(pending, { sub: "user-1" }, SECRETS);
  const form = new URLSearchParams({
    grant_type: "authorization_code",
    code,
    client_id: client.client_id,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
  });
  return { client, verifier, code, form };
}

const failure = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
};

describe("OAuthService", () => {
  it("issues audience-bound tokens that only this resource accepts (RFC 8707)", async () => {
    const store = new MemoryStore(() => clock.now);
    const { service } = setup(RESOURCE, store);
    const other = setup("https://other.example.com/mcp", store).service;
    const { form } = await codeFor(service);
    const tokens = await service.token(form);
    expect(await service.verifyAccessToken(tokens.access_token)).toMatchObject({
      sub: "user-1",
      resource: RESOURCE,
    });
    expect(await other.verifyAccessToken(tokens.access_token)).toBeUndefined();
    expect(await service.grantSecrets(tokens.access_token)).toEqual(SECRETS);
  });

  it("expires codes and access tokens by the clock", async () => {
    const { service } = setup();
    const { form } = await codeFor(service);
    clock.now += 301_000;
    expect(await failure(service.token(form))).toMatchObject({ error: "invalid_grant" });

    const fresh = await codeFor(service);
    const tokens = await service.token(fresh.form);
    clock.now += 599_000;
    expect(await service.verifyAccessToken(tokens.access_token)).toBeDefined();
    clock.now += 2_000;
    expect(await service.verifyAccessToken(tokens.access_token)).toBeUndefined();
  });

  it("redeems a code once even when two redemptions race", async () => {
    const { service } = setup();
    const { form } = await codeFor(service);
    const results = await Promise.allSettled([service.token(form), service.token(form), service.token(form)]);
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
  });

  it("rotates refresh tokens once under a race, and revokes the grant on reuse", async () => {
    const { service } = setup();
    const first = await service.token((await codeFor(service)).form);
    const clientId = (await service.verifyAccessToken(first.access_token))?.clientId ?? "";
    const refresh = new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token: first.refresh_token,
      client_id: clientId,
    });
    const raced = await Promise.allSettled([service.token(refresh), service.token(refresh)]);
    const won = raced.find((result) => result.status === "fulfilled") as
      | PromiseFulfilledResult<{ access_token: string }>
      | undefined;
    expect(won).toBeDefined();
    // The loser presented a spent token: that is reuse, so even the winner's tokens are revoked.
    expect(await service.verifyAccessToken(won?.value.access_token ?? "")).toBeUndefined();
  });

  it("accepts only S256 PKCE with a verifier that matches", async () => {
    const { service } = setup();
    const client = await service.register({ redirect_uris: [REDIRECT] });
    const params = new URLSearchParams({
      response_type: "code",
      client_id: client.client_id,
      redirect_uri: REDIRECT,
      code_challenge: "x".repeat(43),
      code_challenge_method: "plain",
    });
    expect(await failure(service.validateAuthorization(params))).toBeInstanceOf(RedirectableError);
    const { form } = await codeFor(service);
    form.set("code_verifier", randomBytes(32).toString("base64url"));
    expect(await failure(service.token(form))).toMatchObject({ error: "invalid_grant" });
  });

  it("never redirects for an unknown client or unregistered redirect URI", async () => {
    const { service } = setup();
    expect(
      await failure(
        service.validateAuthorization(new URLSearchParams({ client_id: "nope", redirect_uri: REDIRECT })),
      ),
    ).toBeInstanceOf(UntrustedRequestError);
    const client = await service.register({ redirect_uris: [REDIRECT] });
    const wrong = new URLSearchParams({ client_id: client.client_id, redirect_uri: `${REDIRECT}/x` });
    expect(await failure(service.validateAuthorization(wrong))).toBeInstanceOf(UntrustedRequestError);
  });

  it("lets registrations lapse after the client time to live", async () => {
    const { service } = setup();
    const client = await service.register({ redirect_uris: [REDIRECT] });
    expect(await service.client(client.client_id)).toBeDefined();
    clock.now += 3_601_000;
    expect(await service.client(client.client_id)).toBeUndefined();
  });

  it("refuses registrations it cannot honour", async () => {
    const { service } = setup();
    expect(await failure(service.register({ redirect_uris: [] }))).toBeInstanceOf(OAuthError);
    expect(
      await failure(service.register({ redirect_uris: [REDIRECT], grant_types: ["client_credentials"] })),
    ).toMatchObject({
      error: "invalid_client_metadata",
    });
    const client = await service.register({
      redirect_uris: [REDIRECT],
      client_name: "Bad\u0000Name\u202e",
      token_endpoint_auth_method: "client_secret_post",
    });
    expect(client.client_name).toBe("BadName");
    expect(client.token_endpoint_auth_method).toBe("none");
  });
});

describe("redirect URI rules", () => {
  it.each([
    ["https://app.example.com/cb", undefined],
    ["http://127.0.0.1:3000/cb", undefined],
    ["http://localhost:3000/cb", undefined],
    ["http://[::1]:3000/cb", undefined],
    ["http://app.example.com/cb", "must use https"],
    ["https://app.example.com/cb#x", "fragment"],
    ["https://user@app.example.com/cb", "user information"],
    ["javascript:alert(1)", "must use https"],
    ["com.example.app:/cb", "must use https"],
    // Addresses the browser would read differently from the consent page.
    ["http://127.0.0.1:9999/cb/../admin", ". or .. path segments"],
    ["https://app.example.com/cb/./x", ". or .. path segments"],
    ["https://app.example.com/cb/..", ". or .. path segments"],
    ["https://app.example.com/cb/%2e%2e/admin", "percent-encoded"],
    ["https://app.example.com/cb/.%2E/admin", "percent-encoded"],
    ["https://app.example.com/cb%2fadmin", "percent-encoded"],
    ["https://app.example.com\\@evil.example/cb", "backslashes"],
    ["https://app.example.com/cb\\..\\admin", "backslashes"],
    ["https://app.example.com/cb\r\nInjected: line", "control characters"],
    ["https://app.example.com/c\tb", "control characters"],
    [" https://app.example.com/cb", "normal form"],
    ["HTTPS://App.Example.com/cb", 'register "https://app.example.com/cb"'],
    ["https://app.example.com", 'register "https://app.example.com/"'],
    ["https://app.example.com:443/cb", "normal form"],
    ["https://app.example.com/cb?next=%2Fhome", undefined],
  ])("%s", (uri, problem) => {
    const found = redirectUriProblem(uri);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });
});

describe("registration of redirect URIs", () => {
  it("stores each URI in the form the browser will use, and refuses any other spelling", async () => {
    const { service } = setup();
    const client = await service.register({ redirect_uris: [REDIRECT, REDIRECT] });
    expect(client.redirect_uris).toEqual([REDIRECT]);
    const error = await failure(
      service.register({ redirect_uris: [REDIRECT, "http://127.0.0.1:9999/cb/../admin"] }),
    );
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).error).toBe("invalid_redirect_uri");
  });
});

describe("clients named by a metadata document (CIMD)", () => {
  const DOCUMENT_ID = "https://app.example.com/oauth/client.json";
  const documentService = (document: Record<string, unknown>) => {
    const store = new MemoryStore(() => clock.now);
    const source = {
      fetched: 0,
      fetch: async () => {
        source.fetched += 1;
        return {
          status: 200,
          headers: { "cache-control": "max-age=300" },
          body: Buffer.from(JSON.stringify(document)),
        };
      },
    };
    const service = new OAuthService(
      store,
      {
        resource: RESOURCE,
        codeTtlSeconds: 300,
        clientTtlSeconds: 3600,
        accessTokenTtlSeconds: 600,
        refreshTokenTtlSeconds: 86_400,
      },
      () => clock.now,
      new ClientMetadataDocuments(store, source, undefined, () => clock.now),
    );
    return { service, source };
  };
  const authorizeParams = (clientId: string, redirect = REDIRECT) => {
    const verifier = randomBytes(32).toString("base64url");
    const params = new URLSearchParams({
      response_type: "code",
      client_id: clientId,
      redirect_uri: redirect,
      code_challenge: createHash("sha256").update(verifier).digest("base64url"),
      code_challenge_method: "S256",
    });
    return { verifier, params };
  };

  it("takes the name and redirect URIs from the document and issues tokens to the URL client id", async () => {
    const { service } = documentService({
      client_id: DOCUMENT_ID,
      client_name: "Example MCP Client",
      redirect_uris: [REDIRECT],
    });
    expect(service.acceptsMetadataDocuments).toBe(true);
    const { verifier, params } = authorizeParams(DOCUMENT_ID);
    const { client, request } = await service.validateAuthorization(params);
    expect(client).toEqual({
      clientId: DOCUMENT_ID,
      name: "Example MCP Client",
      documentHost: "app.example.com",
    });
    const pendingId = await service.savePending(request);
    const pending = await service.pending(pendingId);
    expect(pending && (await service.pendingClient(pending))).toEqual(client);
    const { code } = await service.approve(pendingId, { sub: "user-1" }, SECRETS);
    const tokens = await service.token(
      new URLSearchParams({
        grant_type: "authorization_code",
        code,
        client_id: DOCUMENT_ID,
        redirect_uri: REDIRECT,
        code_verifier: verifier,
      }),
    );
    expect(await service.verifyAccessToken(tokens.access_token)).toMatchObject({ clientId: DOCUMENT_ID });
  });

  it("shows document problems on the page, never redirecting, and checks redirect URIs exactly", async () => {
    const { service } = documentService({
      client_id: "https://app.example.com/other.json",
      client_name: "Impostor",
      redirect_uris: [REDIRECT],
    });
    const error = await failure(service.validateAuthorization(authorizeParams(DOCUMENT_ID).params));
    expect(error).toBeInstanceOf(UntrustedRequestError);
    expect((error as Error).message).toBe(
      `This application identifies itself by the document at "${DOCUMENT_ID}", which cannot be used: its client_id is "https://app.example.com/other.json", not the document's own address. Tell the application's developer.`,
    );

    const good = documentService({ client_id: DOCUMENT_ID, client_name: "Good", redirect_uris: [REDIRECT] });
    const unlisted = await failure(
      good.service.validateAuthorization(authorizeParams(DOCUMENT_ID, `${REDIRECT}/other`).params),
    );
    expect(unlisted).toBeInstanceOf(UntrustedRequestError);
    expect((unlisted as Error).message).toBe(
      "The redirect address does not exactly match one listed in this application's metadata document.",
    );
  });

  it("refuses URL client ids with a reason when documents are turned off", async () => {
    const { service } = setup();
    expect(service.acceptsMetadataDocuments).toBe(false);
    const error = await failure(service.validateAuthorization(authorizeParams(DOCUMENT_ID).params));
    expect(error).toBeInstanceOf(UntrustedRequestError);
    expect((error as Error).message).toContain("this server does not accept client ID metadata documents");
  });
});

describe("secrets", () => {
  it("verifies the RFC 7636 appendix B example", () => {
    expect(
      verifyPkce(
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      ),
    ).toBe(true);
    expect(
      verifyPkce(
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl",
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      ),
    ).toBe(false);
  });

  it("opens a sealed value only with the same secret and purpose", () => {
    const sealed = seal("token-a", "access", "payload");
    expect(unseal("token-a", "access", sealed)).toBe("payload");
    expect(unseal("token-b", "access", sealed)).toBeUndefined();
    expect(unseal("token-a", "refresh", sealed)).toBeUndefined();
  });
});

describe("each refusal, with its OAuth error and description", () => {
  async function authorizeParams(service: OAuthService, extra: Record<string, string | string[]>) {
    const client = await service.register({ redirect_uris: [REDIRECT] });
    const params = new URLSearchParams({
      response_type: "code",
      client_id: client.client_id,
      redirect_uri: REDIRECT,
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
      state: "st-1",
    });
    for (const [key, value] of Object.entries(extra)) {
      params.delete(key);
      for (const one of Array.isArray(value) ? value : [value]) params.append(key, one);
    }
    return params;
  }

  it.each<[string, Record<string, string | string[]>, string, string]>([
    [
      "another response type",
      { response_type: "token" },
      "unsupported_response_type",
      "response_type must be code.",
    ],
    [
      "a plain PKCE method",
      { code_challenge_method: "plain" },
      "invalid_request",
      "PKCE is required: code_challenge with code_challenge_method=S256.",
    ],
    [
      "a challenge that is not an S256 digest",
      { code_challenge: "short" },
      "invalid_request",
      "PKCE is required: code_challenge with code_challenge_method=S256.",
    ],
    ["two resources", { resource: [RESOURCE, RESOURCE] }, "invalid_target", "Give at most one resource."],
    [
      "another resource",
      { resource: "https://other.example.com/mcp" },
      "invalid_target",
      `Tokens here are only for ${RESOURCE}.`,
    ],
    ["another scope", { scope: "mcp admin" }, "invalid_scope", "The only scope is mcp."],
  ])("sends %s back to the client with its state", async (_, extra, error, description) => {
    const { service } = setup();
    const refused = await failure(service.validateAuthorization(await authorizeParams(service, extra)));
    expect(refused).toBeInstanceOf(RedirectableError);
    expect(refused).toMatchObject({ error, description, redirectUri: REDIRECT, state: "st-1", status: 400 });
  });

  it("takes this resource with a trailing slash, and the scope spelled out", async () => {
    const { service } = setup();
    const params = await authorizeParams(service, { resource: `${RESOURCE}/`, scope: "mcp" });
    const { request } = await service.validateAuthorization(params);
    expect(request).toMatchObject({ resource: RESOURCE, scope: "mcp", state: "st-1", redirectUri: REDIRECT });
  });

  it("refuses a code without every parameter, from another client, to another redirect or without the verifier", async () => {
    const { service } = setup();
    for (const missing of ["code", "client_id", "code_verifier", "redirect_uri"]) {
      const { form } = await codeFor(service);
      form.delete(missing);
      expect(await failure(service.token(form))).toMatchObject({
        error: "invalid_request",
        description: "code, client_id, code_verifier and redirect_uri are required.",
      });
    }
    const cases: Array<[string, string, string]> = [
      ["client_id", "someone-else", "The code was issued to another client."],
      [
        "redirect_uri",
        "http://127.0.0.1:4000/other",
        "redirect_uri does not match the authorization request.",
      ],
      ["code_verifier", "a".repeat(43), "code_verifier does not match the code_challenge."],
      ["resource", "https://other.example.com/mcp", `This grant is only for ${RESOURCE}.`],
    ];
    for (const [field, value, description] of cases) {
      const { form } = await codeFor(service);
      form.set(field, value);
      const error = field === "resource" ? "invalid_target" : "invalid_grant";
      expect(await failure(service.token(form)), field).toMatchObject({ error, description });
    }
    const { form } = await codeFor(service);
    form.set("grant_type", "password");
    expect(await failure(service.token(form))).toMatchObject({
      error: "unsupported_grant_type",
      description: "grant_type must be authorization_code or refresh_token.",
    });
  });

  it("refuses a refresh without its parameters, and ends the grant when another client presents it", async () => {
    const { service } = setup();
    const { form, client } = await codeFor(service);
    const tokens = await service.token(form);
    expect(
      await failure(
        service.token(new URLSearchParams({ grant_type: "refresh_token", client_id: client.client_id })),
      ),
    ).toMatchObject({ error: "invalid_request", description: "refresh_token and client_id are required." });
    const stolen = new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token: tokens.refresh_token,
      client_id: "someone-else",
    });
    expect(await failure(service.token(stolen))).toMatchObject({
      error: "invalid_grant",
      description: "The refresh token was issued to another client.",
    });
    expect(await service.verifyAccessToken(tokens.access_token)).toBeUndefined();
  });

  it("issues tokens that say what they are", async () => {
    const { service } = setup();
    const { form, client } = await codeFor(service);
    const tokens = await service.token(form);
    expect(tokens).toMatchObject({ token_type: "Bearer", expires_in: 600, scope: "mcp" });
    expect(tokens.access_token).toMatch(/^rmcp_at_/);
    expect(tokens.refresh_token).toMatch(/^rmcp_rt_/);
    expect(await service.verifyAccessToken(tokens.access_token)).toEqual({
      clientId: client.client_id,
      sub: "user-1",
      familyId: expect.any(String),
      scope: "mcp",
      resource: RESOURCE,
      expiresAt: clock.now + 600_000,
    });
    expect(await service.verifyAccessToken("x".repeat(201))).toBeUndefined();
  });
});
