import { createHash, randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { createConnection, type Socket } from "node:net";
import { CreateTaskResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountByKey } from "../sandbox/accounts.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import { personHash } from "../src/http/access-log.js";
import { startTestSandbox, textOf } from "./support/harness.js";
import {
  connectAs,
  eventually,
  type HttpServerProcess,
  type HttpSession,
  INITIALIZE,
  REDIRECT_URI,
  rawPost,
  signInOnPage,
  startHttpServerProcess,
  TestOAuthProvider,
} from "./support/http-harness.js";
import { setUpRequests } from "./support/tasks.js";

/**
 * Operating the HTTP transport: health by IP, JSON logs with one access line per request, Prometheus
 * metrics, refusal of unsafe settings, and the limits that keep one client or person from exhausting
 * the server (issue 25's F1 to F5 and its minor findings).
 */
let sandbox: Sandbox;
let server: HttpServerProcess;
let metricsUrl = "";
const sessions: HttpSession[] = [];

async function connect(account: string, options: Parameters<typeof connectAs>[2] = {}): Promise<HttpSession> {
  const session = await connectAs(server.url, account, options);
  sessions.push(session);
  return session;
}

interface LogLine {
  time: string;
  level: string;
  message: string;
  request_id?: string;
  [field: string]: unknown;
}

const logLines = (process: HttpServerProcess): LogLine[] =>
  process.stderr.map((line) => JSON.parse(line) as LogLine);

/** The access-log line of the request answered with this X-Request-Id. */
const accessLine = (id: string | null) =>
  eventually(`the access-log line of request ${id}`, () =>
    logLines(server).find((line) => line.message === "HTTP request" && line.request_id === id),
  );

/**
 * One request on a connection of its own (node:http, no pool): a GET with any Host header, as a load
 * balancer's probe addressing the replica by IP sends it, or a body the server refuses before reading
 * it (the connection is then closed, and must not go back to a shared pool).
 */
function rawHttp(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method: options.method ?? "GET", headers: options.headers ?? {}, agent: false },
      (response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => {
          body += chunk.toString("utf8");
        });
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, body, headers: response.headers }),
        );
      },
    );
    request.on("error", reject);
    request.end(options.body);
  });
}

const getWithHost = async (url: string, host: string) => {
  const { status, body } = await rawHttp(url, { headers: { host } });
  return { status, body };
};

async function scrape(): Promise<string> {
  const response = await fetch(metricsUrl);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
  return response.text();
}

/** The value of one sample of the scrape, 0 when it is not there. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split("\n")) {
    const match = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? "").split(",").filter(Boolean);
    if (wanted.every((label) => have.includes(label))) return Number(match[3]);
  }
  return 0;
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  server = await startHttpServerProcess(sandbox, {
    MCP_TRUST_PROXY: "true",
    MCP_OAUTH_SIGNIN_LIMIT: "1000",
    MCP_OAUTH_AUTHORIZE_LIMIT: "1000",
    MCP_MAX_SESSIONS_PER_PERSON: "2",
    MCP_MAX_TASKS_PER_PERSON: "2",
    MCP_METRICS_PORT: "0",
    RAYTIO_LOG_FORMAT: "json",
    RAYTIO_TARGET_USER_EMAIL: "person.one@example.com",
    RAYTIO_DSM_KEY_BITS: "2048",
    RAYTIO_POLL_INTERVAL_SECONDS: "0.2",
    // Set on purpose: over HTTP the server says it does not use them.
    RAYTIO_AGENT_USERNAME: "agent@example.com",
  });
  metricsUrl = await eventually("the metrics line", () =>
    logLines(server)
      .map((line) => /Prometheus metrics on (\S+)/.exec(line.message)?.[1])
      .find(Boolean),
  );
});

afterAll(async () => {
  await Promise.all(sessions.map((session) => session.close().catch(() => undefined)));
  await server?.stop();
  await sandbox?.stop();
});

describe("health", () => {
  it("answers /healthz and /readyz whatever the Host header, so a probe by IP works", async () => {
    const origin = new URL(server.localUrl).origin;
    const live = await getWithHost(`${origin}/healthz`, "10.1.2.3:8808");
    expect(live).toEqual({ status: 200, body: JSON.stringify({ status: "ok", store: "memory" }) });
    const ready = await getWithHost(`${origin}/readyz`, "10.1.2.3:8808");
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ status: "ready", checks: { store: "ok", raytio_api: "ok" } });
    // Every other route keeps its Host check.
    expect(
      (await getWithHost(`${origin}/.well-known/oauth-authorization-server`, "10.1.2.3:8808")).status,
    ).toBe(403);
  });
});

describe("logs", () => {
  it("writes only JSON lines with time, level and message, and warns that agent credentials are unused", () => {
    const lines = logLines(server);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(Number.isNaN(Date.parse(line.time))).toBe(false);
      expect(["debug", "info", "warn", "error"]).toContain(line.level);
      expect(typeof line.message).toBe("string");
    }
    expect(
      lines.some(
        (line) =>
          line.level === "warn" && /^RAYTIO_AGENT_USERNAME is set but not used over HTTP/.test(line.message),
      ),
    ).toBe(true);
  });

  it("logs one access line per request, refusals included, with the request id the response carries", async () => {
    const unauthorized = await rawPost(server.url, INITIALIZE);
    expect(unauthorized.status).toBe(401);
    const forbidden = await getWithHost(`${new URL(server.localUrl).origin}/mcp`, "evil.example:80");
    expect(forbidden.status).toBe(403);
    const tooLarge = await rawHttp(`${server.origin}/oauth/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "a=".padEnd(20_000, "b"),
    });
    expect(tooLarge.status).toBe(413);
    let limited: Response | undefined;
    // Until refused: 5 fit a window, and a window may end between two attempts.
    for (let attempt = 0; attempt < 12 && limited?.status !== 429; attempt += 1) {
      limited = await fetch(`${server.origin}/oauth/register`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Forwarded-For": "198.51.100.40" },
        body: JSON.stringify({ client_name: "Limited", redirect_uris: [REDIRECT_URI] }),
      });
      await limited.arrayBuffer();
    }
    expect(limited?.status).toBe(429);

    const cases: Array<[string | null, string, string, number]> = [
      [unauthorized.headers.get("x-request-id"), "POST", "/mcp", 401],
      [String(tooLarge.headers["x-request-id"]), "POST", "/oauth/token", 413],
      [limited?.headers.get("x-request-id") ?? null, "POST", "/oauth/register", 429],
    ];
    for (const [id, method, route, status] of cases) {
      expect(id).toMatch(/^[0-9a-f]{16}$/);
      const line = await accessLine(id);
      expect(line).toMatchObject({ level: "info", method, route, status });
      expect(typeof line.duration_ms).toBe("number");
    }
    expect((await accessLine(limited?.headers.get("x-request-id") ?? null)).ip).toBe("198.51.100.40");
    // The 403 had no request id to read: its line is there all the same.
    await eventually("the 403's access line", () =>
      logLines(server).find(
        (line) => line.message === "HTTP request" && line.status === 403 && line.route === "/mcp",
      ),
    );
  });

  it("names the client and a hash of the person on an authenticated request, never the person's id", async () => {
    const session = await connect("project_user");
    await session.call("list_work_items", { limit: 1 });
    const token = session.provider.saved?.access_token ?? "";
    const answered = await rawPost(
      server.url,
      { ...INITIALIZE, id: 7 },
      { Authorization: `Bearer ${token}` },
    );
    const line = await accessLine(answered.headers.get("x-request-id"));
    expect(line.client_id).toBe(session.provider.client?.client_id);
    expect(line.person).toMatch(/^[0-9a-f]{16}$/);
    const { sub } = accountByKey("project_user");
    expect(line.person).toBe(personHash(sub));
    expect(server.stderr.filter((text) => text.includes('"HTTP request"')).join("\n")).not.toContain(sub);
  });
});

describe("metrics", () => {
  it("counts tool calls by tool and outcome, sign-ins, refusals, sessions and tasks", async () => {
    const before = await scrape();
    const session = await connect("project_user");
    await session.call("list_work_items", { limit: 1 });
    await session.call("list_work_items", { limit: 1 });
    const missing = await session.call("get_work_item", {
      work_item_id: "00000000-0000-4000-8000-000000000000",
    });
    expect(missing.isError).toBe(true);
    const code = /^([A-Z_]+):/.exec(textOf(missing))?.[1] ?? "";
    let refused = 0;
    for (let attempt = 0; attempt < 12 && refused === 0; attempt += 1) {
      const response = await fetch(`${server.origin}/oauth/register`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Forwarded-For": "198.51.100.41" },
        body: JSON.stringify({ client_name: "Limited", redirect_uris: [REDIRECT_URI] }),
      });
      await response.arrayBuffer();
      if (response.status === 429) refused += 1;
    }
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      sample(after, name, labels) - sample(before, name, labels);

    expect(delta("raytio_mcp_tool_calls_total", { tool: "list_work_items", outcome: "ok" })).toBe(2);
    expect(delta("raytio_mcp_tool_calls_total", { tool: "get_work_item", outcome: code })).toBe(1);
    expect(
      delta("raytio_mcp_tool_call_duration_seconds_count", { tool: "list_work_items", outcome: "ok" }),
    ).toBe(2);
    expect(delta("raytio_mcp_sign_ins_total", { outcome: "ok" })).toBe(1);
    expect(refused).toBe(1);
    expect(delta("raytio_mcp_rate_limited_total", { limit: "register" })).toBe(1);
    expect(sample(after, "raytio_mcp_sessions")).toBeGreaterThanOrEqual(1);
    expect(
      delta("raytio_mcp_http_requests_total", { route: "/oauth/register", method: "POST", status: "429" }),
    ).toBe(1);
    expect(after).toContain("process_cpu_user_seconds_total");
    expect(after).not.toContain("raytio_mcp_redis_errors_total{");
  });

  it("serves nothing but /metrics on its own port", async () => {
    expect((await fetch(new URL("/mcp", metricsUrl))).status).toBe(404);
    expect(new URL(metricsUrl).hostname).toBe("127.0.0.1");
  });
});

describe("F3: sessions per person", () => {
  it("closes a person's oldest session when they open one more than MCP_MAX_SESSIONS_PER_PERSON", async () => {
    const provider = new TestOAuthProvider();
    const first = await connect("worker_admin", { provider });
    const second = await connect("worker_admin", { provider });
    const token = provider.saved?.access_token ?? "";
    const ping = (sessionId: string | undefined) =>
      rawPost(
        server.url,
        { jsonrpc: "2.0", id: 2, method: "ping" },
        {
          Authorization: `Bearer ${token}`,
          "Mcp-Session-Id": sessionId ?? "",
          "Mcp-Protocol-Version": "2025-06-18",
        },
      );
    expect((await ping(first.transport.sessionId)).status).toBe(200);
    const third = await connect("worker_admin", { provider });
    expect((await ping(first.transport.sessionId)).status).toBe(404);
    expect((await ping(second.transport.sessionId)).status).toBe(200);
    expect((await ping(third.transport.sessionId)).status).toBe(200);
    expect(logLines(server).some((line) => line.message.includes("MCP_MAX_SESSIONS_PER_PERSON"))).toBe(true);
  });
});

describe("F4: tasks per person", () => {
  it("refuses a task past MCP_MAX_TASKS_PER_PERSON with LIMIT_REACHED, and takes one again once one ends", async () => {
    const agent = await connect("agent", { withEncryptionPassword: true });
    const newRequest = await setUpRequests((name, args) => agent.call(name, args));
    const start = async () =>
      (
        await agent.client.request(
          {
            method: "tools/call",
            params: {
              name: "poll_and_retrieve",
              arguments: { request_short_code: await newRequest() },
              task: {},
            },
          },
          CreateTaskResultSchema,
        )
      ).task;
    const before = await scrape();
    const one = await start();
    const two = await start();
    await expect(start()).rejects.toThrow(/LIMIT_REACHED: You already have 2 unfinished tasks/);
    expect((await agent.client.experimental.tasks.cancelTask(one.taskId)).status).toBe("cancelled");
    const three = await start();
    expect(three.status).toBe("working");
    const after = await scrape();
    expect(
      sample(after, "raytio_mcp_tasks_total", { state: "working" }) -
        sample(before, "raytio_mcp_tasks_total", { state: "working" }),
    ).toBe(3);
    expect(
      sample(after, "raytio_mcp_tasks_total", { state: "cancelled" }) -
        sample(before, "raytio_mcp_tasks_total", { state: "cancelled" }),
    ).toBe(1);
    expect(
      sample(after, "raytio_mcp_rate_limited_total", { limit: "tasks_per_person" }),
    ).toBeGreaterThanOrEqual(1);
    await agent.client.experimental.tasks.cancelTask(two.taskId);
    await agent.client.experimental.tasks.cancelTask(three.taskId);
  });
});

describe("minor findings", () => {
  let token = "";
  beforeAll(async () => {
    const session = await connect("project_user");
    token = session.provider.saved?.access_token ?? "";
  });

  it("answers an initialize with deeply nested capabilities 400, not 500", async () => {
    const depth = 100_000;
    const body = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","clientInfo":{"name":"deep","version":"1"},"capabilities":{"experimental":{"deep":${"[".repeat(depth)}${"]".repeat(depth)}}}}}`;
    const response = await fetch(server.url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
        Authorization: `Bearer ${token}`,
      },
      body,
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/nested deeper than 64 levels/);
  });

  it("accepts the bearer scheme in any case (RFC 6750 schemes are case-insensitive)", async () => {
    for (const scheme of ["bearer", "BEARER", "Bearer"]) {
      const answered = await rawPost(server.url, INITIALIZE, { Authorization: `${scheme} ${token}` });
      expect(answered.status).toBe(200);
    }
  });
});

describe("the consent page on the issuer's loopback alias", () => {
  it("approves a page opened on localhost when the issuer is 127.0.0.1", async () => {
    const port = new URL(server.origin).port;
    const alias = `http://localhost:${port}`;
    const registered = await fetch(`${server.origin}/oauth/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Forwarded-For": "198.51.100.61" },
      body: JSON.stringify({ client_name: "Alias client", redirect_uris: [REDIRECT_URI] }),
    });
    const clientId = String(((await registered.json()) as { client_id: string }).client_id);
    const verifier = randomBytes(32).toString("base64url");
    const url = new URL(`${alias}/oauth/authorize`);
    for (const [key, value] of Object.entries({
      response_type: "code",
      client_id: clientId,
      redirect_uri: REDIRECT_URI,
      code_challenge: createHash("sha256").update(verifier).digest("base64url"),
      code_challenge_method: "S256",
      state: "alias-state",
    }))
      url.searchParams.set(key, value);
    const { email, password } = accountByKey("project_user");
    const result = await signInOnPage(url, { email, password, postHeaders: { Origin: alias } });
    expect(result.status).toBe(302);
    expect(result.location?.searchParams.get("code")).toBeTruthy();
    // Another site's origin is still refused.
    const foreign = await signInOnPage(url, {
      email,
      password,
      postHeaders: { Origin: "http://evil.example" },
    });
    expect(foreign.status).toBe(403);
  });
});

/** A raw TCP client, for requests no HTTP client library would send (silent, half-written). */
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

describe("limits behind a proxy (F1, F2, F5)", () => {
  let limits: HttpServerProcess;
  beforeAll(async () => {
    limits = await startHttpServerProcess(sandbox, {
      MCP_TRUST_PROXY: "true",
      // Short, so the test waits only for the server to act; it asserts what happens, not when.
      MCP_HEADERS_TIMEOUT: "1",
      MCP_REQUEST_TIMEOUT: "1",
      MCP_OAUTH_REGISTER_LIMIT: "2",
      MCP_OAUTH_AUTHORIZE_LIMIT: "2",
      MCP_OAUTH_PENDING_MAX: "3",
      // Windows start at multiples of their length: this long, none ends while the test runs.
      MCP_OAUTH_REGISTER_WINDOW: "1000000000",
      MCP_OAUTH_AUTHORIZE_WINDOW: "1000000000",
    });
  });
  afterAll(async () => {
    await limits?.stop();
  });

  it("F1: closes connections that send nothing, or only part of a request line, counted from connect", async () => {
    const silent = await rawSocket(limits.origin);
    const letter = await rawSocket(limits.origin);
    const method = await rawSocket(limits.origin);
    letter.socket.write("G");
    method.socket.write("GET");
    // The server closes each; the test's own timeout is the only bound.
    await Promise.all([silent.closed, letter.closed, method.closed]);
    expect(letter.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(method.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  const register = async (address: string) => {
    const response = await fetch(`${limits.origin}/oauth/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Forwarded-For": address },
      body: JSON.stringify({ client_name: "Limits", redirect_uris: [REDIRECT_URI] }),
    });
    return { status: response.status, body: (await response.json()) as { client_id?: string } };
  };

  it("F5: counts one IPv6 /64 as one address, and an IPv4-mapped address as its IPv4 address", async () => {
    expect((await register("2001:db8:5:6::1")).status).toBe(201);
    expect((await register("2001:db8:5:6:aaaa::2")).status).toBe(201);
    expect((await register("2001:db8:5:6:ffff:ffff:ffff:3")).status).toBe(429);
    expect((await register("2001:db8:5:7::1")).status).toBe(201);

    expect((await register("::ffff:192.0.2.77")).status).toBe(201);
    expect((await register("192.0.2.77")).status).toBe(201);
    expect((await register("192.0.2.77")).status).toBe(429);
  });

  it("F2: bounds pending authorizations: the state's length, views per address, and views in all", async () => {
    const { body } = await register("192.0.2.90");
    const page = (address: string, state = "s") => {
      const url = new URL(`${limits.origin}/oauth/authorize`);
      for (const [key, value] of Object.entries({
        response_type: "code",
        client_id: String(body.client_id),
        redirect_uri: REDIRECT_URI,
        code_challenge: createHash("sha256").update("verifier").digest("base64url"),
        code_challenge_method: "S256",
        state,
      }))
        url.searchParams.set(key, value);
      return fetch(url, { headers: { "X-Forwarded-For": address } });
    };
    const long = await page("198.51.100.1", "s".repeat(513));
    expect(long.status).toBe(400);
    expect(await long.text()).toMatch(/state parameter longer than 512 characters/);
    expect((await page("198.51.100.1")).status).toBe(200);
    const perAddress = await page("198.51.100.1");
    expect(perAddress.status).toBe(429);
    expect(Number(perAddress.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await perAddress.text()).toMatch(/Too many sign-in pages/);
    // Three views so far in all (the refused one never stored anything but still counted one view).
    expect((await page("198.51.100.2")).status).toBe(200);
    expect((await page("198.51.100.3")).status).toBe(429);
  });
});

describe("settings refused at start", () => {
  it("refuses a plain-http public URL on a network, and a wildcard address, naming the fix", async () => {
    await expect(
      startHttpServerProcess(sandbox, { MCP_PUBLIC_URL: "http://mcp.example.com" }),
    ).rejects.toThrow(
      /MCP_PUBLIC_URL=http:\/\/mcp\.example\.com is plain http.*MCP_ALLOW_INSECURE_HTTP=true/s,
    );
    await expect(startHttpServerProcess(sandbox, { MCP_HOST: "0.0.0.0" })).rejects.toThrow(
      /MCP_HOST=0\.0\.0\.0 listens on every interface, but no client can reach 0\.0\.0\.0: set MCP_PUBLIC_URL/,
    );
  });
});
