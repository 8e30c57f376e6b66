import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { raytioRejectionFrom as failure } from "../../test/support/raytio-error.js";
import { createLogger } from "../logger.js";
import { parseContentRangeTotal, parseRetryAfter, RaytioApiClient } from "./api-client.js";
import type { TokenSource } from "./auth.js";
import { query } from "./postgrest.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let handlers: Handler[] = [];
let seen: Array<{
  method: string;
  url: string;
  authorization: string | undefined;
  prefer: string | undefined;
  contentType: string | undefined;
  body: string;
  socket: Socket;
}> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const entry = {
      method: req.method ?? "",
      url: req.url ?? "",
      authorization: req.headers.authorization,
      prefer: req.headers.prefer as string | undefined,
      contentType: req.headers["content-type"],
      body: "",
      socket: req.socket,
    };
    seen.push(entry);
    const handler = handlers.shift() ?? ((_req, response) => response.writeHead(500).end());
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      entry.body += chunk;
    });
    req.on("end", () => handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  handlers = [];
  seen = [];
});

class FakeTokens implements TokenSource {
  renewals = 0;
  current = "token-1";
  async getIdToken() {
    return this.current;
  }
  async renewAfterRejection(rejected: string) {
    if (rejected === this.current) {
      this.renewals += 1;
      this.current = `token-${this.renewals + 1}`;
    }
    return this.current;
  }
  async getCurrentUserId() {
    return "user";
  }
  async getClaims() {
    return { sub: "user", exp: 0 };
  }
}

function client(tokens = new FakeTokens(), timeoutMs = 2_000) {
  return {
    tokens,
    api: new RaytioApiClient({
      baseUrl,
      timeoutMs,
      tokens,
      logger: createLogger({ level: "silent" }),
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
    }),
  };
}

const reply =
  (status: number, body?: unknown, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, { "Content-Type": "application/json", ...headers });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };

describe("RaytioApiClient", () => {
  it("sends the bearer token, Prefer and the encoded query, and reads Content-Range totals", async () => {
    handlers.push(reply(200, [{ id: 1 }], { "Content-Range": "0-0/42" }));
    const { api } = client();
    const response = await api.get("/db/v1/things", {
      query: query().eq("name", "a&b=c"),
      prefer: ["count=exact"],
      schema: z.array(z.object({ id: z.number() })),
    });
    expect(response).toEqual({ data: [{ id: 1 }], status: 200, total: 42 });
    expect(seen[0]?.authorization).toBe("Bearer token-1");
    expect(seen[0]?.prefer).toBe("count=exact");
    expect(new URL(seen[0]?.url ?? "", baseUrl).searchParams.get("name")).toBe("eq.a&b=c");
  });

  it("renews the token once on 401 and retries, even for a write", async () => {
    handlers.push(reply(401, { code: "PGRST303", message: "JWT expired" }), reply(201, { id: 7 }));
    const { api, tokens } = client();
    const response = await api.post("/db/v1/things", { body: { a: 1 } });
    expect(response.data).toEqual({ id: 7 });
    expect(tokens.renewals).toBe(1);
    expect(seen.map((request) => request.authorization)).toEqual(["Bearer token-1", "Bearer token-2"]);
  });

  it("gives up after one renewal with AUTH_FAILED", async () => {
    handlers.push(reply(401, {}), reply(401, {}));
    const error = await failure(client().api.get("/db/v1/things"));
    expect(error.code).toBe("AUTH_FAILED");
    expect(seen).toHaveLength(2);
  });

  it("retries a read that was throttled (429) after its Retry-After", async () => {
    handlers.push(reply(429, {}, { "Retry-After": "0" }), reply(200, ["ok"]));
    expect((await client().api.get("/db/v1/things")).data).toEqual(["ok"]);
    expect(seen).toHaveLength(2);
  });

  it("retries an idempotent read on 503 honouring Retry-After", async () => {
    handlers.push(reply(503, {}, { "Retry-After": "0" }), reply(502, {}), reply(200, []));
    const response = await client().api.get("/db/v1/things");
    expect(response.data).toEqual([]);
    expect(seen).toHaveLength(3);
  });

  it("never retries a non-idempotent write on 503, and says the write was not retried", async () => {
    handlers.push(reply(503, {}), reply(201, {}));
    const error = await failure(client().api.post("/db/v1/things", { body: {} }));
    expect(error.code).toBe("API_UNAVAILABLE");
    expect(error.message).toContain("not retried");
    expect(seen).toHaveLength(1);
  });

  it("retries a read whose connection was reset", async () => {
    handlers.push((req) => req.socket.destroy(), reply(200, [1]));
    expect((await client().api.get("/db/v1/things")).data).toEqual([1]);
  });

  it("does not wait for a Retry-After beyond its bound", async () => {
    handlers.push(reply(503, {}, { "Retry-After": "3600" }));
    const error = await failure(client().api.get("/db/v1/things"));
    expect(error.message).toContain("3600 s");
    expect(seen).toHaveLength(1);
  });

  it("maps PostgREST errors without leaking the token", async () => {
    handlers.push(reply(400, { code: "22P02", message: "invalid input syntax for type uuid", hint: null }));
    const error = await failure(client().api.get("/db/v1/things"));
    expect(error.code).toBe("API_ERROR");
    expect(error.message).toContain("22P02");
    expect(JSON.stringify(error)).not.toContain("token-1");
  });

  it("maps 406 PGRST116 on a single-object request to NOT_FOUND", async () => {
    handlers.push(
      reply(406, { code: "PGRST116", message: "JSON object requested, multiple (or no) rows returned" }),
    );
    const error = await failure(client().api.get("/db/v1/things", { single: true }));
    expect(error.code).toBe("NOT_FOUND");
  });

  it("rejects a response that does not match the schema", async () => {
    handlers.push(reply(200, [{ id: "not-a-number" }]));
    const error = await failure(
      client().api.get("/db/v1/things", { schema: z.array(z.object({ id: z.number() })) }),
    );
    expect(error.code).toBe("API_ERROR");
    expect(error.message).toContain("0.id");
  });

  it("sends a write's body as JSON", async () => {
    handlers.push(reply(201, { id: 7 }));
    await client().api.post("/db/v1/things", { body: { name: "Ōtautahi", tags: ["a"] } });
    expect(seen[0]?.contentType).toBe("application/json");
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual({ name: "Ōtautahi", tags: ["a"] });
  });

  it("keeps connections open across requests", async () => {
    const answers = [[1], [2], [3], [4], [5], [6]];
    handlers.push(...answers.map((answer) => reply(200, answer)));
    const { api } = client();
    for (const expected of answers) expect((await api.get("/db/v1/things")).data).toEqual(expected);
    // undici lets a socket rest one turn of the event loop before reusing it (a server that closes a
    // kept-alive connection is then seen before a request is written to it), so back-to-back requests
    // take turns on two warm connections rather than opening one each.
    expect(new Set(seen.map((request) => request.socket)).size).toBeLessThanOrEqual(2);
  });

  it("keeps the base URL's own path in front of every API path", async () => {
    handlers.push(reply(200, []));
    const api = new RaytioApiClient({
      baseUrl: `${baseUrl}/prefix/`,
      timeoutMs: 2_000,
      tokens: new FakeTokens(),
      logger: createLogger({ level: "silent" }),
    });
    await api.get("/db/v1/things", { query: query().eq("id", "1") });
    expect(seen[0]?.url).toBe("/prefix/db/v1/things?id=eq.1");
  });

  it("reads a gzip-compressed answer", async () => {
    handlers.push((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json", "Content-Encoding": "gzip" });
      res.end(gzipSync(JSON.stringify([{ id: 1 }])));
    });
    expect((await client().api.get("/db/v1/things")).data).toEqual([{ id: 1 }]);
  });

  it("retries a read whose answer was cut short, then says the API could not be reached", async () => {
    const truncated: Handler = (_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": "100" });
      res.write('[{"id":');
      res.socket?.destroy();
    };
    handlers.push(truncated, truncated, truncated, truncated);
    const error = await failure(client().api.get("/db/v1/things"));
    expect(error.code).toBe("API_UNAVAILABLE");
    expect(seen).toHaveLength(4);
  });

  it("treats a body that is not JSON as text, which a schema then refuses", async () => {
    handlers.push((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end("<html>502 Bad Gateway</html>");
    });
    const error = await failure(client().api.get("/db/v1/things", { schema: z.array(z.unknown()) }));
    expect(error.code).toBe("API_ERROR");
  });

  it("does not follow a redirect", async () => {
    handlers.push(reply(302, {}, { Location: "https://elsewhere.example/" }));
    const error = await failure(client().api.get("/db/v1/things"));
    expect(error.code).toBe("API_ERROR");
    expect(error.message).toContain("HTTP 302");
    expect(seen).toHaveLength(1);
  });

  it("stops waiting when the call is cancelled", async () => {
    handlers.push(() => undefined);
    const controller = new AbortController();
    const pending = client().api.get("/db/v1/things", { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    expect((await failure(pending)).code).toBe("CANCELLED");
  });

  it("times out a request that hangs", async () => {
    handlers.push(
      () => undefined,
      () => undefined,
      () => undefined,
      () => undefined,
    );
    const error = await failure(client(new FakeTokens(), 50).api.get("/db/v1/things"));
    expect(error.code).toBe("API_UNAVAILABLE");
  });
});

describe("header parsing", () => {
  it("parses Retry-After seconds and dates", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
  it("parses Content-Range totals", () => {
    expect(parseContentRangeTotal("0-24/312")).toBe(312);
    expect(parseContentRangeTotal("*/0")).toBe(0);
    expect(parseContentRangeTotal("0-24/*")).toBeUndefined();
  });
});
