import { createHash, randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readSources } from "../config.js";
import { RaytioError } from "../errors.js";
import { createLogger } from "../logger.js";
import { parseHttpConfig } from "./config.js";
import type { SignedInPerson } from "./oauth/endpoints.js";
import { type RunningHttpServer, startHttpServer } from "./server.js";

/**
 * The HTTP transport and its authorization server in this process, with a stand-in for the Raytio
 * sign-in and fixed tool domains, so nothing leaves the machine: the promises of docs/http.md checked
 * against the source itself (fast enough to kill mutants; test/http.test.ts checks the built server).
 */
const EMAIL = "person@example.com";
const PASSWORD = "Correct-Password-1!";
const ENCRYPTION_PASSWORD = "correct horse battery staple";
const REDIRECT = "http://127.0.0.1:4000/callback";
const APP_ORIGIN = "https://app.example.com";
const ID_TOKEN = idToken("user-1");
const REFRESH = "cognito-refresh-token-value";

/** A token-shaped id token: a session only reads sub and exp from it before any API call. */
function idToken(sub: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: "none" })}.${part({ sub, exp: now + 3600, iat: now })}.signature`;
}

const ENV = {
  RAYTIO_API_BASE_URL: "http://127.0.0.1:9",
  RAYTIO_COGNITO_USER_POOL_ID: "ap-southeast-2_Test01",
  RAYTIO_COGNITO_CLIENT_ID: "client",
  RAYTIO_COGNITO_REGION: "ap-southeast-2",
  // Fixed domains: no role lookup, so a session opens without a network.
  RAYTIO_TOOL_DOMAINS: "ppm",
  RAYTIO_LOG_LEVEL: "silent",
  MCP_PORT: "0",
  MCP_ALLOWED_ORIGINS: `${APP_ORIGIN},*`,
  MCP_ALLOWED_HOSTS: "mcp.internal:8808",
  MCP_OAUTH_REGISTER_LIMIT: "3",
  MCP_OAUTH_REGISTER_WINDOW: "31536000",
  MCP_OAUTH_SIGNIN_LIMIT: "1000",
};

interface Written {
  key: string;
  value: string;
}

let server: RunningHttpServer;
let origin: string;
const signIns: Array<{ email: string; password: string; encryptionPassword: string | undefined }> = [];
const logLines: string[] = [];
/** Every key and value the server wrote to its state store. */
const written: Written[] = [];
/** Every code, token and pending id the server handed out in this file. */
const handedOut: string[] = [];

async function signIn(credentials: {
  email: string;
  password: string;
  encryptionPassword: string | undefined;
}): Promise<SignedInPerson> {
  signIns.push(credentials);
  if (credentials.email !== EMAIL || credentials.password !== PASSWORD)
    throw new RaytioError("AUTH_FAILED", "refused");
  if (credentials.encryptionPassword !== undefined && credentials.encryptionPassword !== ENCRYPTION_PASSWORD)
    throw new RaytioError("WRONG_KEY", "wrong key");
  return {
    sub: "user-1",
    secrets: {
      email: credentials.email,
      cognito: { idToken: ID_TOKEN, refreshToken: REFRESH },
      encryptionPassword: credentials.encryptionPassword,
    },
  };
}

/** Records every write, whatever the method: a secret must not reach the store by any of them. */
function recordWrites(target: RunningHttpServer["store"]): void {
  const store = target as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const method of ["set", "take", "swap", "claim", "addMember", "increment", "publish"]) {
    const original = store[method]?.bind(target);
    if (!original) throw new Error(`the store has no ${method}`);
    store[method] = (...args: unknown[]) => {
      written.push({ key: String(args[0]), value: args.slice(1).map(String).join(" ") });
      return original(...args);
    };
  }
}

beforeAll(async () => {
  const loaded = parseHttpConfig(readSources({ env: ENV, defaultFile: "/nonexistent/config.env" }));
  server = await startHttpServer(loaded, {
    signIn,
    logger: createLogger({ level: "debug", write: (line) => logLines.push(line) }),
  });
  origin = server.origin;
  recordWrites(server.store);
});

afterAll(async () => {
  await server?.close();
});

afterEach(() => {
  signIns.length = 0;
});

const pkce = () => {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
};

async function register(body: Record<string, unknown> = {}): Promise<string> {
  const response = await fetch(`${origin}/oauth/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ client_name: "Test", redirect_uris: [REDIRECT], ...body }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { client_id: string }).client_id;
}

/** Registrations are rate limited, so the tests share a few clients. */
let clients: string[] = [];

function authorizeUrl(clientId: string, overrides: Record<string, string | undefined> = {}): URL {
  const url = new URL(`${origin}/oauth/authorize`);
  const params: Record<string, string | undefined> = {
    response_type: "code",
    client_id: clientId,
    redirect_uri: REDIRECT,
    code_challenge: pkce().challenge,
    code_challenge_method: "S256",
    state: "state-1",
    ...overrides,
  };
  for (const [key, value] of Object.entries(params))
    if (value !== undefined) url.searchParams.set(key, value);
  return url;
}

/** Opens the sign-in page and returns the pending request id in its form. */
async function pendingFor(url: URL): Promise<string> {
  const page = await fetch(url, { redirect: "manual" });
  expect(page.status).toBe(200);
  const id = /name="request" value="([^"]+)"/.exec(await page.text())?.[1];
  if (!id) throw new Error("no pending request on the page");
  handedOut.push(id);
  return id;
}

async function postForm(
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; page: string; location: URL | undefined; headers: Headers }> {
  const response = await fetch(`${origin}/oauth/authorize`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields),
    redirect: "manual",
  });
  const location = response.headers.get("location");
  return {
    status: response.status,
    page: await response.text(),
    location: location ? new URL(location) : undefined,
    headers: response.headers,
  };
}

const approve = (request: string, extra: Record<string, string> = {}) => ({
  request,
  email: EMAIL,
  password: PASSWORD,
  encryption_password: "",
  decision: "approve",
  ...extra,
});

async function token(form: Record<string, string>) {
  const response = await fetch(`${origin}/oauth/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, string>,
  };
}

async function tokens(clientId: string, extra: Record<string, string> = {}) {
  const { verifier, challenge } = pkce();
  const pending = await pendingFor(authorizeUrl(clientId, { code_challenge: challenge }));
  const posted = await postForm(approve(pending, extra), { Origin: origin });
  const code = posted.location?.searchParams.get("code") ?? "";
  expect(code).toMatch(/^rmcp_code_/);
  handedOut.push(code);
  const issued = await token({
    grant_type: "authorization_code",
    code,
    client_id: clientId,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
  });
  expect(issued.status).toBe(200);
  handedOut.push(issued.body.access_token ?? "", issued.body.refresh_token ?? "");
  return { code, verifier, access: issued.body.access_token ?? "", refresh: issued.body.refresh_token ?? "" };
}

const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
};

async function mcp(
  body: unknown,
  headers: Record<string, string> = {},
  method = "POST",
): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(server.url, {
    method,
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      ...headers,
    },
    ...(method === "POST" ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** A request with a Host header fetch will not let a caller set. */
function withHost(
  method: string,
  path: string,
  host: string,
  headers: Record<string, string> = {},
): Promise<number> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path, method, headers: { ...headers, Host: host } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

beforeAll(async () => {
  clients = [await register(), await register()];
});

describe("metadata", () => {
  it("publishes the protected resource and authorization server metadata, GET only", async () => {
    const resource = await fetch(`${origin}/.well-known/oauth-protected-resource/mcp`);
    expect(await resource.json()).toEqual({
      resource: `${origin}/mcp`,
      authorization_servers: [origin],
      scopes_supported: ["mcp"],
      bearer_methods_supported: ["header"],
      resource_name: "Raytio MCP server",
    });
    expect(resource.headers.get("cache-control")).toBe("max-age=300");
    const bare = await fetch(`${origin}/.well-known/oauth-protected-resource`);
    expect(((await bare.json()) as { resource: string }).resource).toBe(`${origin}/mcp`);
    const as = await fetch(`${origin}/.well-known/oauth-authorization-server`);
    expect(await as.json()).toEqual({
      issuer: origin,
      authorization_endpoint: `${origin}/oauth/authorize`,
      token_endpoint: `${origin}/oauth/token`,
      registration_endpoint: `${origin}/oauth/register`,
      revocation_endpoint: `${origin}/oauth/revoke`,
      scopes_supported: ["mcp"],
      response_types_supported: ["code"],
      response_modes_supported: ["query"],
      grant_types_supported: ["authorization_code", "refresh_token"],
      token_endpoint_auth_methods_supported: ["none"],
      revocation_endpoint_auth_methods_supported: ["none"],
      code_challenge_methods_supported: ["S256"],
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: true,
    });
    const suffixed = await fetch(`${origin}/.well-known/oauth-authorization-server/mcp`);
    expect(((await suffixed.json()) as { issuer: string }).issuer).toBe(origin);
    const posted = await fetch(`${origin}/.well-known/oauth-authorization-server`, { method: "POST" });
    expect(posted.status).toBe(405);
    expect(posted.headers.get("allow")).toBe("GET");
    expect((await fetch(`${origin}/.well-known/oauth-protected-resource`, { method: "HEAD" })).status).toBe(
      200,
    );
  });

  it("answers /healthz, 405 for another method on it, and 404 for anything else", async () => {
    const health = await fetch(`${origin}/healthz`);
    expect(await health.json()).toEqual({ status: "ok", store: "memory" });
    const posted = await fetch(`${origin}/healthz`, { method: "POST" });
    expect(posted.status).toBe(405);
    expect(posted.headers.get("allow")).toBe("GET, HEAD");
    const missing = await fetch(`${origin}/nothing-here`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      jsonrpc: "2.0",
      error: { code: -32000, message: "Not found" },
      id: null,
    });
  });
});

describe("registration", () => {
  it("answers 201 without the internal expiry, refuses bad JSON and other methods", async () => {
    // The two shared clients used two of the three registrations this address may make.
    const response = await fetch(`${origin}/oauth/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ client_name: "Third", redirect_uris: [REDIRECT] }),
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual([
      "client_id",
      "client_id_issued_at",
      "client_name",
      "grant_types",
      "redirect_uris",
      "response_types",
      "token_endpoint_auth_method",
    ]);
    expect(response.headers.get("cache-control")).toBe("no-store");

    const limited = await fetch(`${origin}/oauth/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ redirect_uris: [REDIRECT] }),
    });
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { error: string }).error).toBe("too_many_requests");
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(31_536_000);
    expect(logLines.some((line) => line.includes("Client registration rate limit reached"))).toBe(true);

    const get = await fetch(`${origin}/oauth/register`);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
  });

  it("answers a body that is not JSON with 400 invalid_request", async () => {
    const bad = await token({ grant_type: "password" });
    expect(bad).toMatchObject({ status: 400, body: { error: "unsupported_grant_type" } });
    const response = await fetch(`${origin}/oauth/token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{not json",
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: "invalid_request",
      error_description: "The body is not valid JSON.",
    });
  });
});

describe("the authorization page", () => {
  it("is sent with a CSP of default-src 'none' and nothing it does not need", async () => {
    const page = await fetch(authorizeUrl(clients[0] ?? ""));
    expect(page.status).toBe(200);
    const directives = (page.headers.get("content-security-policy") ?? "")
      .split(";")
      .map((directive) => directive.trim());
    expect(directives).toEqual([
      "default-src 'none'",
      "style-src 'unsafe-inline'",
      "img-src 'self' data:",
      // The form posts here, and Chrome applies form-action to the redirect that follows.
      "form-action 'self' http://127.0.0.1:4000",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ]);
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await page.text();
    expect(html).not.toMatch(/<script|\son[a-z]+=/i);

    const unknown = await fetch(`${origin}/oauth/authorize?client_id=nope&redirect_uri=${REDIRECT}`, {
      redirect: "manual",
    });
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get("content-security-policy")).toMatch(/^default-src 'none'; /);
    expect(unknown.headers.get("location")).toBeNull();
    expect((await fetch(`${origin}/oauth/authorize`, { method: "PUT" })).status).toBe(405);
  });

  it("sends a request without code_challenge back to the client as invalid_request, with state and iss", async () => {
    for (const overrides of [{ code_challenge: undefined }, { code_challenge_method: undefined }]) {
      const response = await fetch(authorizeUrl(clients[0] ?? "", overrides), { redirect: "manual" });
      expect(response.status).toBe(302);
      const location = new URL(response.headers.get("location") ?? "");
      expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
      expect(location.searchParams.get("error")).toBe("invalid_request");
      expect(location.searchParams.get("error_description")).toMatch(/PKCE is required/);
      expect(location.searchParams.get("state")).toBe("state-1");
      expect(location.searchParams.get("iss")).toBe(origin);
      expect(location.searchParams.has("code")).toBe(false);
      expect(response.headers.get("cache-control")).toBe("no-store");
    }
  });
});

describe("the approval form", () => {
  it("refuses a post from any Origin but this server's, even one MCP_ALLOWED_ORIGINS lets through", async () => {
    const pending = await pendingFor(authorizeUrl(clients[0] ?? ""));
    const foreign = await postForm(approve(pending), { Origin: APP_ORIGIN });
    expect(foreign.status).toBe(403);
    expect(foreign.page).toContain("This sign-in form was sent from another site.");
    expect(foreign.location).toBeUndefined();
    expect(signIns).toEqual([]);
    const crossSite = await postForm(approve(pending), { "Sec-Fetch-Site": "cross-site" });
    expect(crossSite.status).toBe(403);
    expect(signIns).toEqual([]);
    // Neither refusal used up the page: the person can still approve from it.
    const own = await postForm(approve(pending), { Origin: origin, "Sec-Fetch-Site": "same-origin" });
    expect(own.status).toBe(302);
    expect(own.location?.searchParams.get("code")).toMatch(/^rmcp_code_/);
    handedOut.push(own.location?.searchParams.get("code") ?? "");
    expect(own.location?.searchParams.get("state")).toBe("state-1");
    expect(own.location?.searchParams.get("iss")).toBe(origin);
    expect(own.headers.get("referrer-policy")).toBe("no-referrer");
    expect(signIns).toHaveLength(1);
    // One approval per page.
    const again = await postForm(approve(pending), { Origin: origin });
    expect(again.status).toBe(400);
    expect(again.page).toContain("expired or was already used");
  });

  it("answers a form over 16 KiB with 413 and never signs in", async () => {
    const pending = await pendingFor(authorizeUrl(clients[0] ?? ""));
    const big = await postForm(approve(pending, { pad: "x".repeat(16 * 1024) }), { Origin: origin });
    expect(big.status).toBe(413);
    expect(big.page).toContain("The sign-in form is too large.");
    expect(signIns).toEqual([]);
    // Just under the cap is read as usual.
    const fields = approve(pending);
    const room = 16 * 1024 - new URLSearchParams({ ...fields, pad: "" }).toString().length;
    const fits = await postForm({ ...fields, pad: "x".repeat(room) }, { Origin: origin });
    expect(fits.status).toBe(302);
    handedOut.push(fits.location?.searchParams.get("code") ?? "");
  });

  it("never writes a password or an encryption password back, whatever went wrong", async () => {
    const pending = await pendingFor(authorizeUrl(clients[0] ?? ""));
    const wrongPassword = "Not-The-Password-42!";
    const typedEncryption = "my secret encryption words";
    const refused = await postForm(
      approve(pending, { password: wrongPassword, encryption_password: typedEncryption }),
      { Origin: origin },
    );
    expect(refused.status).toBe(401);
    expect(refused.page).toContain("Raytio did not accept that email and password.");
    expect(refused.page).toContain(`value="${EMAIL}"`);
    for (const secret of [wrongPassword, typedEncryption]) expect(refused.page).not.toContain(secret);

    const wrongKey = "definitely not the encryption password";
    const locked = await postForm(approve(pending, { encryption_password: wrongKey }), { Origin: origin });
    expect(locked.status).toBe(401);
    expect(locked.page).toContain("That encryption password does not open your Raytio keys.");
    for (const secret of [PASSWORD, wrongKey]) expect(locked.page).not.toContain(secret);

    const empty = await postForm(approve(pending, { password: "", encryption_password: typedEncryption }), {
      Origin: origin,
    });
    expect(empty.status).toBe(400);
    expect(empty.page).toContain("Enter your Raytio email and password.");
    expect(empty.page).not.toContain(typedEncryption);
    // The page stayed usable through all of it.
    expect((await postForm(approve(pending), { Origin: origin })).status).toBe(302);
    for (const secret of [PASSWORD, wrongPassword, typedEncryption, wrongKey, ENCRYPTION_PASSWORD]) {
      expect(logLines.join("\n")).not.toContain(secret);
    }
  });

  it("sends a denial to the client with no code", async () => {
    const pending = await pendingFor(authorizeUrl(clients[0] ?? ""));
    const denied = await postForm({ request: pending, decision: "deny" }, { Origin: origin });
    expect(denied.status).toBe(302);
    expect(denied.location?.searchParams.get("error")).toBe("access_denied");
    expect(denied.location?.searchParams.get("state")).toBe("state-1");
    expect(denied.location?.searchParams.has("code")).toBe(false);
    expect(signIns).toEqual([]);
    expect((await postForm({ request: pending, decision: "deny" }, { Origin: origin })).status).toBe(400);
  });
});

describe("tokens and revocation", () => {
  it("issues a bearer pair that is never cached, and a replayed code revokes it", async () => {
    const issued = await tokens(clients[0] ?? "");
    expect(issued.access).toMatch(/^rmcp_at_/);
    expect(issued.refresh).toMatch(/^rmcp_rt_/);
    expect((await mcp(INITIALIZE, { Authorization: `Bearer ${issued.access}` })).status).toBe(200);
    const replay = await token({
      grant_type: "authorization_code",
      code: issued.code,
      client_id: clients[0] ?? "",
      redirect_uri: REDIRECT,
      code_verifier: issued.verifier,
    });
    expect(replay).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    expect(replay.headers.get("cache-control")).toBe("no-store");
    expect((await mcp(INITIALIZE, { Authorization: `Bearer ${issued.access}` })).status).toBe(401);
  });

  it("revokes the whole grant from its access token (RFC 7009), and answers 200 either way", async () => {
    const [mine, other] = [clients[0] ?? "", clients[1] ?? ""];
    const issued = await tokens(mine);
    const revoke = (form: Record<string, string>) =>
      fetch(`${origin}/oauth/revoke`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(form),
      });
    // Another client cannot revoke it, and is not told whether the token exists.
    const byOther = await revoke({ token: issued.access, client_id: other });
    expect(byOther.status).toBe(200);
    expect(await byOther.json()).toEqual({});
    expect((await mcp(INITIALIZE, { Authorization: `Bearer ${issued.access}` })).status).toBe(200);

    const byOwner = await revoke({ token: issued.access, client_id: mine });
    expect(byOwner.status).toBe(200);
    expect(await byOwner.json()).toEqual({});
    expect(byOwner.headers.get("cache-control")).toBe("no-store");
    expect((await mcp(INITIALIZE, { Authorization: `Bearer ${issued.access}` })).status).toBe(401);
    expect(
      await token({ grant_type: "refresh_token", refresh_token: issued.refresh, client_id: mine }),
    ).toMatchObject({ status: 400, body: { error: "invalid_grant" } });

    const unknown = await revoke({ token: "rmcp_at_unknown", client_id: mine });
    expect(unknown.status).toBe(200);
    const incomplete = await revoke({ token: issued.access });
    expect(incomplete.status).toBe(400);
    expect(((await incomplete.json()) as { error: string }).error).toBe("invalid_request");
    expect((await fetch(`${origin}/oauth/revoke`)).status).toBe(405);
  });

  it("revokes the whole grant from its refresh token too", async () => {
    const issued = await tokens(clients[0] ?? "");
    const response = await fetch(`${origin}/oauth/revoke`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: issued.refresh, client_id: clients[0] }),
    });
    expect(response.status).toBe(200);
    expect((await mcp(INITIALIZE, { Authorization: `Bearer ${issued.access}` })).status).toBe(401);
  });
});

describe("the MCP endpoint", () => {
  let access = "";
  beforeAll(async () => {
    access = (await tokens(clients[0] ?? "")).access;
  });
  const bearer = () => ({ Authorization: `Bearer ${access}` });

  it("challenges a request without a valid token, naming the resource metadata", async () => {
    const anonymous = await mcp(INITIALIZE);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe(
      `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp", scope="mcp"`,
    );
    expect(JSON.parse(anonymous.text)).toMatchObject({ error: { code: -32001 } });
    const invalid = await mcp(INITIALIZE, { Authorization: "Bearer rmcp_at_not-a-real-token" });
    expect(invalid.status).toBe(401);
    expect(invalid.headers.get("www-authenticate")).toBe(
      `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp", scope="mcp", error="invalid_token", error_description="The access token is invalid or expired"`,
    );
    expect((await mcp(INITIALIZE, { Authorization: `Basic ${access}` })).status).toBe(401);
    const put = await mcp(undefined, bearer(), "PUT");
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("GET, POST, DELETE");
  });

  it("refuses a body over 4 MiB with 413, and reads one just under it", async () => {
    const cap = 4 * 1024 * 1024;
    const shell = JSON.stringify({ ...INITIALIZE, params: { ...INITIALIZE.params, pad: "" } });
    const fits = JSON.stringify({
      ...INITIALIZE,
      params: { ...INITIALIZE.params, pad: "x".repeat(cap - shell.length) },
    });
    expect(Buffer.byteLength(fits)).toBe(cap);
    const accepted = await mcp(fits, bearer());
    expect(accepted.status).toBe(200);
    const over = await mcp(`${fits} `, bearer());
    expect(over.status).toBe(413);
    expect(JSON.parse(over.text)).toEqual({
      jsonrpc: "2.0",
      error: { code: -32000, message: "Request body too large" },
      id: null,
    });
    expect(logLines.some((line) => line.includes("] error:"))).toBe(false);
  });

  it("answers bad JSON with -32700 and needs an initialize to open a session", async () => {
    const bad = await mcp("{", bearer());
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toMatchObject({ error: { code: -32700 } });
    const list = await mcp({ jsonrpc: "2.0", id: 2, method: "tools/list" }, bearer());
    expect(list.status).toBe(400);
    expect(list.text).toContain("Mcp-Session-Id header is required");
    expect((await mcp(undefined, bearer(), "GET")).status).toBe(400);
  });

  it("serves a session to its own client and person only, and ends it on DELETE", async () => {
    const opened = await mcp(INITIALIZE, bearer());
    expect(opened.status).toBe(200);
    const sessionId = opened.headers.get("mcp-session-id") ?? "";
    expect(sessionId).not.toBe("");
    const inSession = { ...bearer(), "Mcp-Session-Id": sessionId, "Mcp-Protocol-Version": "2025-06-18" };
    expect((await mcp({ jsonrpc: "2.0", method: "notifications/initialized" }, inSession)).status).toBe(202);
    const listed = await mcp({ jsonrpc: "2.0", id: 2, method: "tools/list" }, inSession);
    expect(listed.status).toBe(200);
    expect(listed.text).toContain('"list_work_items"');
    expect(logLines.some((line) => line.includes("Opened an MCP session") && line.includes(sessionId))).toBe(
      true,
    );

    const unknown = await mcp(
      { jsonrpc: "2.0", id: 3, method: "ping" },
      { ...inSession, "Mcp-Session-Id": "nope" },
    );
    expect(unknown.status).toBe(404);
    const otherClient = (await tokens(clients[1] ?? "")).access;
    const stolen = await mcp(
      { jsonrpc: "2.0", id: 4, method: "ping" },
      { ...inSession, Authorization: `Bearer ${otherClient}` },
    );
    expect(stolen.status).toBe(403);
    expect(JSON.parse(stolen.text)).toMatchObject({ error: { code: -32003 } });

    const open = server.sessions.size;
    const ended = await fetch(server.url, { method: "DELETE", headers: inSession });
    expect(ended.status).toBe(200);
    expect((await mcp({ jsonrpc: "2.0", id: 5, method: "ping" }, inSession)).status).toBe(404);
    expect(server.sessions.size).toBe(open - 1);
  });
});

describe("Host and Origin", () => {
  it("answers the health probes whatever the Host, so a probe by IP works", async () => {
    for (const path of ["/healthz", "/readyz"]) {
      expect(await withHost("GET", path, "10.0.0.7:8808"), path).not.toBe(403);
      expect(await withHost("GET", path, "evil.example.com"), path).not.toBe(403);
    }
  });

  it.each([
    ["GET", "/.well-known/oauth-authorization-server"],
    ["GET", "/.well-known/oauth-protected-resource/mcp"],
    ["GET", "/oauth/authorize"],
    ["POST", "/oauth/token"],
    ["POST", "/oauth/register"],
    ["POST", "/oauth/revoke"],
    ["OPTIONS", "/mcp"],
    ["GET", "/mcp"],
  ])("refuses %s %s under another Host with 403 (DNS rebinding)", async (method, path) => {
    expect(await withHost(method, path, "evil.example.com")).toBe(403);
    expect(await withHost(method, path, `evil.example.com:${new URL(origin).port}`)).toBe(403);
  });

  it("accepts its own host names and MCP_ALLOWED_HOSTS", async () => {
    const port = new URL(origin).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, "mcp.internal:8808"]) {
      expect(await withHost("GET", "/.well-known/oauth-authorization-server", host), host).toBe(200);
    }
    expect(await withHost("GET", "/.well-known/oauth-authorization-server", "mcp.internal:8809")).toBe(403);
  });

  it("answers an origin in MCP_ALLOWED_ORIGINS with CORS headers, and refuses any other (a * entry matches nothing)", async () => {
    const preflight = await fetch(server.url, {
      method: "OPTIONS",
      headers: { Origin: APP_ORIGIN, "Access-Control-Request-Method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    expect(preflight.headers.get("access-control-allow-methods")).toBe("GET, POST, DELETE, OPTIONS");
    expect(preflight.headers.get("access-control-allow-headers")).toBe(
      "Authorization, Content-Type, Mcp-Session-Id, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID",
    );
    expect(preflight.headers.get("vary")).toBe("Origin");
    const challenged = await mcp(INITIALIZE, { Origin: APP_ORIGIN });
    expect(challenged.status).toBe(401);
    expect(challenged.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    expect(challenged.headers.get("access-control-expose-headers")).toBe(
      "Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate, Retry-After",
    );
    const metadata = await fetch(`${origin}/.well-known/oauth-protected-resource/mcp`, {
      headers: { Origin: APP_ORIGIN },
    });
    expect(metadata.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    // Without an Origin there is nothing to allow.
    expect((await mcp(INITIALIZE)).headers.get("access-control-allow-origin")).toBeNull();

    // MCP_ALLOWED_ORIGINS holds a * entry: it is not a wildcard.
    for (const foreign of [
      "https://evil.example",
      "null",
      `${APP_ORIGIN}.evil.example`,
      "http://app.example.com",
    ]) {
      const refused = await mcp(INITIALIZE, { Origin: foreign });
      expect(refused.status, foreign).toBe(403);
      expect(refused.headers.get("access-control-allow-origin")).toBeNull();
      const register = await fetch(`${origin}/oauth/register`, {
        method: "POST",
        headers: { Origin: foreign, "Content-Type": "application/json" },
        body: "{}",
      });
      expect(register.status, foreign).toBe(403);
    }
  });
});

describe("the state store", () => {
  it("holds no code, token, pending id, password or Raytio token in any key or value, only their hashes", async () => {
    // Cover the writes a refresh makes as well.
    const issued = await tokens(clients[0] ?? "", { encryption_password: ENCRYPTION_PASSWORD });
    const refreshed = await token({
      grant_type: "refresh_token",
      refresh_token: issued.refresh,
      client_id: clients[0] ?? "",
    });
    expect(refreshed.status).toBe(200);
    handedOut.push(refreshed.body.access_token ?? "", refreshed.body.refresh_token ?? "");

    const codes = handedOut.filter((secret) => secret.startsWith("rmcp_code_"));
    const accessTokens = handedOut.filter((secret) => secret.startsWith("rmcp_at_"));
    const refreshTokens = handedOut.filter((secret) => secret.startsWith("rmcp_rt_"));
    const pendingIds = handedOut.filter((secret) => secret.startsWith("rmcp_pa_"));
    for (const kind of [codes, accessTokens, refreshTokens, pendingIds])
      expect(kind.length).toBeGreaterThan(1);

    const everything = written.map(({ key, value }) => `${key} ${value}`).join("\n");
    expect(written.length).toBeGreaterThan(10);
    for (const secret of [...handedOut, PASSWORD, ENCRYPTION_PASSWORD, ID_TOKEN, REFRESH, EMAIL]) {
      expect(secret.length).toBeGreaterThan(8);
      expect(everything).not.toContain(secret);
    }
    // What the store does hold for each: the SHA-256 of the secret, as the key.
    const sha = (secret: string) => createHash("sha256").update(secret).digest("hex");
    const keys = new Set(written.map(({ key }) => key));
    for (const code of codes.slice(0, 1)) expect(keys).toContain(`oauth:code:${sha(code)}`);
    for (const access of accessTokens) expect(keys).toContain(`oauth:access:${sha(access)}`);
    for (const refresh of refreshTokens) expect(keys).toContain(`oauth:refresh:${sha(refresh)}`);
  });
});
