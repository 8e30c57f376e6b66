import { createConnection, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountByKey } from "../sandbox/accounts.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import { expectedToolNames as namesFor } from "./support/expected-tools.js";
import { startTestSandbox, structured, textOf } from "./support/harness.js";
import {
  authorizeAt,
  connectAs,
  eventually,
  type HttpServerProcess,
  type HttpSession,
  httpStderr,
  INITIALIZE,
  pkce,
  REDIRECT_URI,
  rawPost,
  signInOnPage,
  startHttpServerProcess,
} from "./support/http-harness.js";
import { setUpRequests } from "./support/tasks.js";

/**
 * The Streamable HTTP transport end to end: the built server as a child process, the MCP SDK's own
 * Streamable HTTP client doing discovery, registration and PKCE, a "browser" posting the sign-in page,
 * and the sandbox behind it all.
 */
let sandbox: Sandbox;
let server: HttpServerProcess;
const sessions: HttpSession[] = [];

async function connect(account: string, options: Parameters<typeof connectAs>[2] = {}): Promise<HttpSession> {
  const session = await connectAs(server.url, account, options);
  sessions.push(session);
  return session;
}

async function register(body: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.origin}/oauth/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify({ client_name: "Manual client", redirect_uris: [REDIRECT_URI], ...body }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Register, sign in as `account`, and return the code with what is needed to redeem it. */
function authorize(account: string, overrides: Record<string, string> = {}) {
  return authorizeAt(server.origin, account, {
    registration: { client_name: "Manual client" },
    headers: { "X-Forwarded-For": `10.0.0.${Math.floor(Math.random() * 250)}` },
    params: { state: "state-123", resource: server.url, ...overrides },
  });
}

async function token(form: Record<string, string>) {
  const response = await fetch(`${server.origin}/oauth/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

async function tokensFor(account: string) {
  const { clientId, verifier, code } = await authorize(account);
  const issued = await token({
    grant_type: "authorization_code",
    code: code ?? "",
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
  });
  expect(issued.status).toBe(200);
  return { clientId, ...issued.body } as { clientId: string; access_token: string; refresh_token: string };
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  server = await startHttpServerProcess(sandbox, {
    MCP_TRUST_PROXY: "true",
    // Sign-in and page limits are tested on their own servers; here every test signs in from one address.
    MCP_OAUTH_SIGNIN_LIMIT: "1000",
    MCP_OAUTH_AUTHORIZE_LIMIT: "1000",
    RAYTIO_DSM_KEY_BITS: "2048",
    RAYTIO_POLL_INTERVAL_SECONDS: "0.2",
  });
});

afterAll(async () => {
  await Promise.all(sessions.map((session) => session.close().catch(() => undefined)));
  await server?.stop();
  await sandbox?.stop();
});

describe("the OAuth flow with the SDK's Streamable HTTP client", () => {
  it("discovers, registers, signs the person in on the page and serves their tools", async () => {
    const session = await connect("project_user");
    expect((await session.client.listTools()).tools.map((tool) => tool.name)).toEqual(namesFor(["ppm"]));
    const result = await session.call("list_work_items", { limit: 2 });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(session.client.getServerCapabilities()?.logging).toEqual({});
  });

  it("answers 401 with the protected resource metadata, which names this server as the only resource", async () => {
    const response = await rawPost(server.url, INITIALIZE);
    expect(response.status).toBe(401);
    const challenge = response.headers.get("www-authenticate") ?? "";
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    expect(metadataUrl).toBe(`${server.origin}/.well-known/oauth-protected-resource/mcp`);
    const metadata = (await (await fetch(metadataUrl ?? "")).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({ resource: server.url, authorization_servers: [server.origin] });
    const as = (await (
      await fetch(`${server.origin}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>;
    expect(as).toMatchObject({
      issuer: server.origin,
      code_challenge_methods_supported: ["S256"],
      token_endpoint_auth_methods_supported: ["none"],
      grant_types_supported: ["authorization_code", "refresh_token"],
    });
  });
});

const subOf = (authorization: unknown): string | undefined => {
  const token = typeof authorization === "string" ? authorization.replace(/^Bearer /, "") : "";
  const payload = token.split(".")[1];
  return payload
    ? (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { sub?: string }).sub
    : undefined;
};

describe("two people at once", () => {
  it("gives each person their own domains and their own Raytio identity, with no cross-talk", async () => {
    const [ppmUser, wrmAdmin] = await Promise.all([connect("project_user"), connect("worker_admin")]);
    expect((await ppmUser.client.listTools()).tools.map((tool) => tool.name)).toEqual(namesFor(["ppm"]));
    expect((await wrmAdmin.client.listTools()).tools.map((tool) => tool.name)).toEqual(namesFor(["wrm"]));

    const before = sandbox.requests.length;
    const calls = await Promise.all([
      ppmUser.call("list_work_items", { limit: 3 }),
      wrmAdmin.call("list_workers", { limit: 3 }),
      ppmUser.call("list_work_items", { limit: 1 }),
      wrmAdmin.call("list_workers", { limit: 1 }),
    ]);
    for (const result of calls) expect(result.isError, textOf(result)).toBeFalsy();
    const made = sandbox.requests.slice(before);
    const subsFor = (table: string) =>
      new Set(
        made
          .filter((request) => request.url.startsWith(`/db/v1/${table}?`))
          .map((request) => subOf(request.headers.authorization)),
      );
    expect(subsFor("ppm_work_item")).toEqual(new Set([accountByKey("project_user").sub]));
    expect(subsFor("wrm_worker")).toEqual(new Set([accountByKey("worker_admin").sub]));

    // A tool outside a person's domains does not exist for them.
    const refused = await ppmUser.call("list_workers", { limit: 1 });
    expect(refused.isError).toBe(true);
  });
});

describe("authorization codes", () => {
  it("are single use: a replayed code fails and revokes what the first redemption issued", async () => {
    const { clientId, verifier, code } = await authorize("project_user");
    const form = {
      grant_type: "authorization_code",
      code: code ?? "",
      client_id: clientId,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    };
    const first = await token(form);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ token_type: "Bearer", scope: "mcp" });
    expect(
      (await rawPost(server.url, INITIALIZE, { Authorization: `Bearer ${first.body.access_token}` })).status,
    ).toBe(200);

    const replay = await token(form);
    expect(replay).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    expect(
      (await rawPost(server.url, INITIALIZE, { Authorization: `Bearer ${first.body.access_token}` })).status,
    ).toBe(401);
  });

  it("refuses a wrong PKCE verifier, and the code is spent", async () => {
    const { clientId, verifier, code } = await authorize("project_user");
    const form = {
      grant_type: "authorization_code",
      code: code ?? "",
      client_id: clientId,
      redirect_uri: REDIRECT_URI,
    };
    expect(await token({ ...form, code_verifier: pkce().verifier })).toMatchObject({
      status: 400,
      body: { error: "invalid_grant" },
    });
    expect(await token({ ...form, code_verifier: verifier })).toMatchObject({
      status: 400,
      body: { error: "invalid_grant" },
    });
  });

  it("refuses a redirect_uri other than the one authorized, and another client's code", async () => {
    const { clientId, verifier, code } = await authorize("project_user");
    const form = {
      grant_type: "authorization_code",
      code: code ?? "",
      client_id: clientId,
      code_verifier: verifier,
    };
    expect(await token({ ...form, redirect_uri: "http://127.0.0.1:53682/other" })).toMatchObject({
      status: 400,
      body: { error: "invalid_grant" },
    });
    const second = await authorize("project_user");
    const other = await authorize("project_user");
    expect(
      await token({
        grant_type: "authorization_code",
        code: second.code ?? "",
        client_id: other.clientId,
        redirect_uri: REDIRECT_URI,
        code_verifier: second.verifier,
      }),
    ).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
  });

  it("requires S256 PKCE and refuses tokens for another resource (RFC 8707)", async () => {
    const plain = await authorize("project_user", { code_challenge_method: "plain" });
    expect(plain.result.status).toBe(302);
    expect(plain.result.location?.searchParams.get("error")).toBe("invalid_request");
    expect(plain.result.location?.searchParams.get("state")).toBe("state-123");
    expect(plain.result.location?.searchParams.get("iss")).toBe(server.origin);

    const elsewhere = await authorize("project_user", { resource: "https://elsewhere.example/mcp" });
    expect(elsewhere.result.location?.searchParams.get("error")).toBe("invalid_target");
  });

  it("sends the code with state and iss, and the person can deny instead", async () => {
    const { result } = await authorize("project_user");
    expect(result.location?.origin + (result.location?.pathname ?? "")).toBe(REDIRECT_URI);
    expect(result.location?.searchParams.get("state")).toBe("state-123");
    expect(result.location?.searchParams.get("iss")).toBe(server.origin);

    const registered = await register({}, { "X-Forwarded-For": "10.9.9.9" });
    const url = new URL(`${server.origin}/oauth/authorize`);
    const { challenge } = pkce();
    for (const [key, value] of Object.entries({
      response_type: "code",
      client_id: String(registered.body.client_id),
      redirect_uri: REDIRECT_URI,
      code_challenge: challenge,
      code_challenge_method: "S256",
      state: "s",
    }))
      url.searchParams.set(key, value);
    const denied = await signInOnPage(url, { email: "x@y.z", password: "unused", decision: "deny" });
    expect(denied.location?.searchParams.get("error")).toBe("access_denied");
    expect(denied.location?.searchParams.has("code")).toBe(false);
  });
});

describe("the authorization page", () => {
  it("names the client and where the code goes, escapes everything, and cannot be framed or cached", async () => {
    const registered = await register(
      { client_name: '<script>alert("x")</script> Evil', redirect_uris: ["https://app.example.com/cb"] },
      { "X-Forwarded-For": "10.1.1.1" },
    );
    const url = new URL(`${server.origin}/oauth/authorize`);
    for (const [key, value] of Object.entries({
      response_type: "code",
      client_id: String(registered.body.client_id),
      redirect_uri: "https://app.example.com/cb",
      code_challenge: pkce().challenge,
      code_challenge_method: "S256",
    }))
      url.searchParams.set(key, value);
    const response = await fetch(url);
    const page = await response.text();
    expect(page).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Evil");
    expect(page).not.toContain("<script>");
    expect(page).toContain("<strong>app.example.com</strong>");
    expect(page).toContain("name not verified");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  });

  it("shows an unknown client or unregistered redirect URI on the page instead of redirecting", async () => {
    const unknown = await fetch(
      `${server.origin}/oauth/authorize?client_id=nope&redirect_uri=${encodeURIComponent(REDIRECT_URI)}`,
      { redirect: "manual" },
    );
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get("location")).toBeNull();
    const registered = await register({}, { "X-Forwarded-For": "10.1.1.2" });
    const mismatch = await fetch(
      `${server.origin}/oauth/authorize?response_type=code&client_id=${registered.body.client_id}&redirect_uri=${encodeURIComponent("http://127.0.0.1:53682/evil")}`,
      { redirect: "manual" },
    );
    expect(mismatch.status).toBe(400);
    expect(mismatch.headers.get("location")).toBeNull();
  });

  it("says a wrong password plainly, never writes it back, and keeps the page usable", async () => {
    const registered = await register({}, { "X-Forwarded-For": "10.1.1.3" });
    const url = new URL(`${server.origin}/oauth/authorize`);
    for (const [key, value] of Object.entries({
      response_type: "code",
      client_id: String(registered.body.client_id),
      redirect_uri: REDIRECT_URI,
      code_challenge: pkce().challenge,
      code_challenge_method: "S256",
    }))
      url.searchParams.set(key, value);
    const wrong = "Not-The-Password-42!";
    const attempt = await signInOnPage(url, { email: accountByKey("project_user").email, password: wrong });
    expect(attempt.status).toBe(401);
    expect(attempt.location).toBeUndefined();
    expect(attempt.page).toContain("did not accept that email and password");
    expect(attempt.page).not.toContain(wrong);
    expect(attempt.page).toContain(`value="${accountByKey("project_user").email}"`);
  });

  it("refuses a wrong encryption password at sign-in", async () => {
    const registered = await register({}, { "X-Forwarded-For": "10.1.1.4" });
    const url = new URL(`${server.origin}/oauth/authorize`);
    for (const [key, value] of Object.entries({
      response_type: "code",
      client_id: String(registered.body.client_id),
      redirect_uri: REDIRECT_URI,
      code_challenge: pkce().challenge,
      code_challenge_method: "S256",
    }))
      url.searchParams.set(key, value);
    const { email, password } = accountByKey("agent");
    const attempt = await signInOnPage(url, { email, password, encryptionPassword: "definitely not it" });
    expect(attempt.status).toBe(401);
    expect(attempt.page).toContain("encryption password does not open your Raytio keys");
  });
});

describe("registration", () => {
  it.each([
    ["a fragment", "https://app.example.com/cb#frag"],
    ["user information", "https://user:pw@app.example.com/cb"],
    ["plain http to a remote host", "http://app.example.com/cb"],
    ["a javascript: URI", "javascript:alert(1)"],
    ["a custom scheme", "myapp://callback"],
    // The consent page would show one address and the browser go to another.
    ["a dot segment", "http://127.0.0.1:9999/cb/../admin"],
    ["a percent-encoded dot segment", "http://127.0.0.1:9999/cb/%2e%2e/admin"],
    ["a backslash", "http://127.0.0.1:9999/cb\\..\\admin"],
    ["a CR/LF", "http://127.0.0.1:9999/cb\r\nSecond line on the consent page"],
  ])("refuses a redirect URI with %s", async (_what, uri) => {
    const response = await register(
      { redirect_uris: [uri] },
      { "X-Forwarded-For": `10.2.0.${Math.floor(Math.random() * 250)}` },
    );
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(/invalid_redirect_uri|invalid_client_metadata/);
  });

  it("is rate limited per address (5 an hour by default), with Retry-After", async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const response = await fetch(`${server.origin}/oauth/register`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Forwarded-For": "10.3.3.3" },
        body: JSON.stringify({ redirect_uris: [REDIRECT_URI] }),
      });
      statuses.push(response.status);
      retryAfter = response.headers.get("retry-after");
    }
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // Another address is not affected.
    expect((await register({}, { "X-Forwarded-For": "10.3.3.4" })).status).toBe(201);
  });

  it("counts the address the proxy appended, whatever the client put on the left of X-Forwarded-For", async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const response = await register({}, { "X-Forwarded-For": `10.0.0.${attempt}, 203.0.113.7` });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429]);
  });

  it.each([
    [
      "/oauth/register",
      "application/json",
      JSON.stringify({ redirect_uris: [REDIRECT_URI], pad: "x".repeat(20_480) }),
    ],
    [
      "/oauth/token",
      "application/x-www-form-urlencoded",
      `grant_type=refresh_token&refresh_token=${"x".repeat(20_480)}`,
    ],
  ])("answers a body over 16 KiB to %s with 413, and logs no error", async (path, type, body) => {
    const before = server.stderr.length;
    const response = await fetch(`${server.origin}${path}`, {
      method: "POST",
      headers: { "Content-Type": type, "X-Forwarded-For": "10.4.4.4" },
      body,
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: string }).error).toBe("invalid_request");
    expect(server.stderr.slice(before).filter((line) => line.includes("] error:"))).toEqual([]);
  });
});

describe("approval from another site", () => {
  it("refuses a post with no Origin but Sec-Fetch-Site: cross-site, and the page stays usable", async () => {
    const registered = await register({}, { "X-Forwarded-For": "10.5.5.5" });
    const url = new URL(`${server.origin}/oauth/authorize`);
    for (const [key, value] of Object.entries({
      response_type: "code",
      client_id: String(registered.body.client_id),
      redirect_uri: REDIRECT_URI,
      code_challenge: pkce().challenge,
      code_challenge_method: "S256",
    }))
      url.searchParams.set(key, value);
    const { email, password } = accountByKey("project_user");
    const crossSite = await signInOnPage(url, {
      email,
      password,
      postHeaders: { "Sec-Fetch-Site": "cross-site" },
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.location).toBeUndefined();
    expect(crossSite.page).toContain("sent from another site");
    const sameOrigin = await signInOnPage(url, {
      email,
      password,
      postHeaders: { "Sec-Fetch-Site": "same-origin" },
    });
    expect(sameOrigin.status).toBe(302);
    expect(sameOrigin.location?.searchParams.get("code")).toBeTruthy();
  });
});

describe("sessions", () => {
  it("answers 404 for an unknown session and 403 for another client's session", async () => {
    const owner = await connect("project_user");
    const sessionId = owner.transport.sessionId ?? "";
    expect(sessionId).not.toBe("");
    const ping = { jsonrpc: "2.0", id: 7, method: "ping" };

    const mine = await tokensFor("project_user");
    const ownToken = owner.provider.saved?.access_token ?? "";
    expect(
      (await rawPost(server.url, ping, { Authorization: `Bearer ${ownToken}`, "Mcp-Session-Id": sessionId }))
        .status,
    ).toBe(200);
    expect(
      (
        await rawPost(server.url, ping, {
          Authorization: `Bearer ${ownToken}`,
          "Mcp-Session-Id": "no-such-session",
        })
      ).status,
    ).toBe(404);
    // Same person, another client: still not theirs to use.
    const other = await rawPost(server.url, ping, {
      Authorization: `Bearer ${mine.access_token}`,
      "Mcp-Session-Id": sessionId,
    });
    expect(other.status).toBe(403);
    // Another person entirely.
    const stranger = await tokensFor("worker_admin");
    expect(
      (
        await rawPost(server.url, ping, {
          Authorization: `Bearer ${stranger.access_token}`,
          "Mcp-Session-Id": sessionId,
        })
      ).status,
    ).toBe(403);
  });

  it("needs an initialize to open a session", async () => {
    const { access_token } = await tokensFor("project_user");
    const response = await rawPost(
      server.url,
      { jsonrpc: "2.0", id: 1, method: "tools/list" },
      { Authorization: `Bearer ${access_token}` },
    );
    expect(response.status).toBe(400);
  });

  it("ends a session on DELETE", async () => {
    const session = await connect("project_user");
    const sessionId = session.transport.sessionId ?? "";
    const accessToken = session.provider.saved?.access_token ?? "";
    await session.transport.terminateSession();
    const after = await rawPost(
      server.url,
      { jsonrpc: "2.0", id: 1, method: "ping" },
      { Authorization: `Bearer ${accessToken}`, "Mcp-Session-Id": sessionId },
    );
    expect(after.status).toBe(404);
  });
});

describe("Origin and Host checks", () => {
  it("refuses a foreign Origin with 403 and a rebinding Host with 403, on every route", async () => {
    const { access_token } = await tokensFor("project_user");
    const evilOrigin = await rawPost(server.url, INITIALIZE, {
      Authorization: `Bearer ${access_token}`,
      Origin: "https://evil.example",
    });
    expect(evilOrigin.status).toBe(403);
    const register403 = await fetch(`${server.origin}/oauth/register`, {
      method: "POST",
      headers: { Origin: "https://evil.example", "Content-Type": "application/json" },
      body: "{}",
    });
    expect(register403.status).toBe(403);

    const { request } = await import("node:http");
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(server.url);
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "POST",
          headers: { Host: "evil.example.com", "Content-Type": "application/json" },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify(INITIALIZE));
    });
    expect(status).toBe(403);
  });

  it("answers its own origin with CORS headers and a preflight", async () => {
    const preflight = await fetch(server.url, {
      method: "OPTIONS",
      headers: { Origin: server.origin, "Access-Control-Request-Method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe(server.origin);
    expect(preflight.headers.get("access-control-allow-headers")).toContain("Mcp-Session-Id");
  });
});

describe("refresh tokens", () => {
  it("rotate, and a reused one revokes the whole grant", async () => {
    const first = await tokensFor("project_user");
    const refreshed = await token({
      grant_type: "refresh_token",
      refresh_token: first.refresh_token,
      client_id: first.clientId,
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(first.refresh_token);
    expect(
      (await rawPost(server.url, INITIALIZE, { Authorization: `Bearer ${refreshed.body.access_token}` }))
        .status,
    ).toBe(200);
    // The rotated-out pair no longer works.
    expect(
      (await rawPost(server.url, INITIALIZE, { Authorization: `Bearer ${first.access_token}` })).status,
    ).toBe(401);

    const reuse = await token({
      grant_type: "refresh_token",
      refresh_token: first.refresh_token,
      client_id: first.clientId,
    });
    expect(reuse).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    expect(
      (await rawPost(server.url, INITIALIZE, { Authorization: `Bearer ${refreshed.body.access_token}` }))
        .status,
    ).toBe(401);
    const afterRevocation = await token({
      grant_type: "refresh_token",
      refresh_token: refreshed.body.refresh_token ?? "",
      client_id: first.clientId,
    });
    expect(afterRevocation.status).toBe(400);
  });

  it("belong to the client they were issued to", async () => {
    const first = await tokensFor("project_user");
    const other = await tokensFor("project_user");
    const stolen = await token({
      grant_type: "refresh_token",
      refresh_token: first.refresh_token,
      client_id: other.clientId,
    });
    expect(stolen).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
  });
});

describe("DSM notifications", () => {
  it("tells the session that sent a request, and only that session, when the person answers", async () => {
    const [agent, bystander] = await Promise.all([
      connect("agent", { withEncryptionPassword: true }),
      connect("data_sharing_admin"),
    ]);
    await agent.client.setLoggingLevel("info");
    await bystander.client.setLoggingLevel("debug");
    const sendRequest = await setUpRequests((name, args) => agent.call(name, args), {
      recipient_email: "person@example.com",
    });
    const code = await sendRequest();
    const answered = await fetch(`${sandbox.url}/sandbox/v1/requests/${code}/submit`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ data: { ss_Person_Name: { given_name: "Aroha", family_name: "Ngata" } } }),
    });
    expect(answered.status).toBe(201);

    const log = await eventually("the agent's logging notification", () =>
      agent.logs.find((entry) => (entry.data as { request_short_code?: string }).request_short_code === code),
    );
    expect(log).toMatchObject({
      level: "notice",
      logger: "raytio.dsm",
      data: { event: "dsm_request_submitted", status: "submitted" },
    });
    expect(JSON.stringify(log)).not.toContain("Aroha");
    expect(bystander.logs).toEqual([]);

    // The session's own encryption password opens the submission.
    const retrieved = structured<{ status: string; data: Record<string, unknown> }>(
      await agent.call("poll_and_retrieve", { request_short_code: code, wait_seconds: 0 }),
    );
    expect(retrieved.status).toBe("submitted");
    expect(JSON.stringify(retrieved.data)).toContain("Aroha");
  });

  it("cannot decrypt in a session whose person gave no encryption password", async () => {
    const session = await connect("data_sharing_admin");
    const result = await session.call("poll_and_retrieve", {
      request_short_code: "AAAAAAAAAAAAAAAAAAAAAA",
      wait_seconds: 0,
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/encryption password/i);
  });
});

describe("secrets", () => {
  it("never writes a password, encryption password or token to the server's stderr", async () => {
    const tokens = sessions.flatMap((session) => [
      session.provider.saved?.access_token,
      session.provider.saved?.refresh_token,
    ]);
    expect(tokens.length).toBeGreaterThan(0);
    const secrets = [
      ...["agent", "project_user", "worker_admin", "data_sharing_admin"].flatMap((key) => [
        accountByKey(key).password,
        accountByKey(key).encryptionPassword,
      ]),
      ...tokens,
    ];
    const all = httpStderr.join("\n");
    expect(all).toContain("Opened an MCP session");
    for (const secret of secrets) {
      // Every secret is checked: a missing or short one fails here instead of dropping out of the check.
      expect(secret?.length ?? 0).toBeGreaterThan(8);
      expect(all).not.toContain(secret);
    }
    expect(all).not.toMatch(/rmcp_(at|rt|code|pa)_/);
  });
});

describe("expiry", () => {
  let short: HttpServerProcess;
  beforeAll(async () => {
    short = await startHttpServerProcess(sandbox, {
      MCP_OAUTH_CODE_TTL: "1",
      MCP_OAUTH_ACCESS_TTL: "2",
    });
  });
  afterAll(async () => {
    await short?.stop();
  });

  it("expires codes after MCP_OAUTH_CODE_TTL", async () => {
    const registered = await fetch(`${short.origin}/oauth/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ redirect_uris: [REDIRECT_URI] }),
    });
    const clientId = String(((await registered.json()) as { client_id: string }).client_id);
    const { verifier, challenge } = pkce();
    const url = new URL(`${short.origin}/oauth/authorize`);
    for (const [key, value] of Object.entries({
      response_type: "code",
      client_id: clientId,
      redirect_uri: REDIRECT_URI,
      code_challenge: challenge,
      code_challenge_method: "S256",
    }))
      url.searchParams.set(key, value);
    const { email, password } = accountByKey("project_user");
    const signed = await signInOnPage(url, { email, password });
    const code = signed.location?.searchParams.get("code") ?? "";
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const response = await fetch(`${short.origin}/oauth/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        client_id: clientId,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
      }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe("invalid_grant");
  });

  it("lets the SDK client refresh an expired access token and carry on", async () => {
    const session = await connectAs(short.url, "project_user");
    sessions.push(session);
    const before = session.provider.saved?.access_token;
    expect((await session.call("list_work_items", { limit: 1 })).isError).toBeFalsy();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const result = await session.call("list_work_items", { limit: 1 });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(session.provider.saved?.access_token).not.toBe(before);
  });
});

describe("idle sessions and sign-in limits", () => {
  let limited: HttpServerProcess;
  beforeAll(async () => {
    limited = await startHttpServerProcess(sandbox, {
      // Tokens outlive the test, so a 404 can only come from the session lookup, never a 401 first.
      MCP_SESSION_IDLE_TTL: "2",
      MCP_OAUTH_SIGNIN_LIMIT: "3",
      // Windows far longer than any run, so no window boundary resets a count mid-test.
      MCP_OAUTH_SIGNIN_WINDOW: "31536000",
      // Each test signs in from its own address, so no other test's sign-ins count against it.
      MCP_TRUST_PROXY: "true",
    });
  });
  afterAll(async () => {
    await limited?.stop();
  });

  it("closes idle sessions: the next request with that id gets 404 while the token is still valid", async () => {
    const session = await connectAs(limited.url, "project_user");
    sessions.push(session);
    const sessionId = session.transport.sessionId ?? "";
    expect(sessionId).not.toBe("");
    // The GET stream counts as activity; close it so the session is truly idle.
    await session.transport.close();
    const { access_token } = session.provider.saved ?? { access_token: "" };
    const ping = (id: string) =>
      rawPost(
        limited.url,
        { jsonrpc: "2.0", id: 1, method: "ping" },
        { Authorization: `Bearer ${access_token}`, "Mcp-Session-Id": id },
      );
    // Any request would count as activity and keep the session open, so nothing is sent until the
    // server says it closed the session; only then does a request with its id go out.
    await eventually(
      "the server to close the idle session",
      () =>
        limited.stderr.some(
          (line) => line.includes("Closed an idle MCP session") && line.includes(sessionId),
        ),
      30_000,
    );
    expect((await ping(sessionId)).status).toBe(404);
    // The token itself still opens a new session: only the idle one was closed.
    expect((await rawPost(limited.url, INITIALIZE, { Authorization: `Bearer ${access_token}` })).status).toBe(
      200,
    );
  });

  it("limits sign-in attempts per address, and another address is not affected", async () => {
    const registered = await fetch(`${limited.origin}/oauth/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Forwarded-For": "10.77.0.1" },
      body: JSON.stringify({ redirect_uris: [REDIRECT_URI] }),
    });
    const clientId = String(((await registered.json()) as { client_id: string }).client_id);
    const url = new URL(`${limited.origin}/oauth/authorize`);
    for (const [key, value] of Object.entries({
      response_type: "code",
      client_id: clientId,
      redirect_uri: REDIRECT_URI,
      code_challenge: pkce().challenge,
      code_challenge_method: "S256",
    }))
      url.searchParams.set(key, value);
    const attempt = async (address: string) =>
      (
        await signInOnPage(url, {
          email: accountByKey("project_user").email,
          password: "wrong-password-1",
          postHeaders: { "X-Forwarded-For": address },
        })
      ).status;
    const statuses: number[] = [];
    for (let index = 0; index < 4; index += 1) statuses.push(await attempt("10.77.0.2"));
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect(await attempt("10.77.0.3")).toBe(401);
  });
});

/** A raw TCP client, for requests no HTTP client library would send (stalled, half-written). */
function rawSocket(
  origin: string,
): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: hostname, port: Number(port) });
    let data = "";
    socket.on("data", (chunk: Buffer) => {
      data += chunk.toString("latin1");
    });
    const closed = new Promise<void>((done) => socket.once("close", () => done()));
    socket.once("error", () => undefined);
    socket.once("connect", () => resolve({ socket, received: () => data, closed }));
    socket.once("error", reject);
  });
}

describe("slow clients", () => {
  let slow: HttpServerProcess;
  beforeAll(async () => {
    // Short timeouts so the test waits only for the server to act; it asserts what happens, not when.
    slow = await startHttpServerProcess(sandbox, { MCP_REQUEST_TIMEOUT: "1", MCP_HEADERS_TIMEOUT: "1" });
  });
  afterAll(async () => {
    await slow?.stop();
  });

  it("closes a connection whose body stalls, with 408, and logs no error", async () => {
    const before = slow.stderr.length;
    const { socket, received, closed } = await rawSocket(slow.origin);
    socket.write(
      [
        "POST /oauth/token HTTP/1.1",
        `Host: ${new URL(slow.origin).host}`,
        "Content-Type: application/x-www-form-urlencoded",
        "Content-Length: 1000",
        "",
        "grant_type=",
      ].join("\r\n"),
    );
    await closed;
    expect(received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(slow.stderr.slice(before).filter((line) => line.includes("] error:"))).toEqual([]);
  });

  it("closes a connection whose headers never finish", async () => {
    const { socket, received, closed } = await rawSocket(slow.origin);
    socket.write(`GET /healthz HTTP/1.1\r\nHost: ${new URL(slow.origin).host}\r\n`);
    await closed;
    expect(received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("still serves a request that arrives in time", async () => {
    const response = await fetch(`${slow.origin}/healthz`);
    expect(response.status).toBe(200);
  });
});

describe("connections per address", () => {
  let capped: HttpServerProcess;
  beforeAll(async () => {
    capped = await startHttpServerProcess(sandbox, {
      MCP_MAX_CONNECTIONS_PER_IP: "2",
      // Long enough that no timeout closes the idle connections this test holds.
      MCP_HEADERS_TIMEOUT: "600",
      MCP_REQUEST_TIMEOUT: "600",
    });
  });
  afterAll(async () => {
    await capped?.stop();
  });

  it("closes a connection over MCP_MAX_CONNECTIONS_PER_IP, and accepts one again when another ends", async () => {
    const first = await rawSocket(capped.origin);
    const second = await rawSocket(capped.origin);
    const third = await rawSocket(capped.origin);
    await third.closed;
    expect(third.received()).toBe("");
    expect(first.socket.destroyed || second.socket.destroyed).toBe(false);
    first.socket.destroy();
    // The server notices the closed connection asynchronously: retry until it has.
    const status = await eventually("a connection to be accepted again", async () => {
      const next = await rawSocket(capped.origin);
      next.socket.write(
        `GET /healthz HTTP/1.1\r\nHost: ${new URL(capped.origin).host}\r\nConnection: close\r\n\r\n`,
      );
      await next.closed;
      return /^HTTP\/1\.1 (\d+)/.exec(next.received())?.[1];
    });
    expect(status).toBe("200");
    second.socket.destroy();
    expect(capped.stderr.some((line) => line.includes("per-address cap"))).toBe(true);
  });
});
