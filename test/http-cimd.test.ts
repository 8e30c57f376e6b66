import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Agent, fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import { ClientMetadataDocuments } from "../src/http/oauth/client-metadata.js";
import type { FetchedResponse } from "../src/http/oauth/metadata-fetch.js";
import { openStore } from "../src/http/store.js";
import { type Domain, toolsForDomains } from "../src/tools/core/domains.js";
import { TOOLS } from "../src/tools/registry.js";
import { ROOT, startTestSandbox } from "./support/harness.js";
import {
  connectAs,
  type HttpServerProcess,
  type HttpSession,
  httpStderr,
  REDIRECT_URI,
  startHttpServerProcess,
  TestOAuthProvider,
} from "./support/http-harness.js";
import { describeWithRedis, startRedis } from "./support/http-redis.js";

/**
 * Client ID Metadata Documents end to end: the built server fetches each client's document from a real
 * HTTPS server on loopback (trusted through NODE_EXTRA_CA_CERTS), which only the test-only setting
 * allows. A good document leads the MCP SDK's own client through consent to tokens and tools; every
 * bad one ends on the error page, never at a redirect.
 */
const TLS_DIR = path.join(ROOT, "test/fixtures/tls");
const CERTIFICATE = path.join(TLS_DIR, "localhost.crt");
const CLIENT_NAME = "CIMD Test Client";

let sandbox: Sandbox;
/** Loopback allowed (test setting on). */
let server: HttpServerProcess;
/** The test setting off: what production does with the same documents. */
let guarded: HttpServerProcess;
/** Loopback allowed and a short deadline, for the document that never arrives. */
let impatient: HttpServerProcess;
let documents: Server;
let base = "";
const fetched: string[] = [];
const held: ServerResponse[] = [];
const sessions: HttpSession[] = [];

const documentFor = (name: string, overrides: Record<string, unknown> = {}) => ({
  client_id: `${base}/${name}`,
  client_name: CLIENT_NAME,
  client_uri: "https://client.example",
  redirect_uris: [REDIRECT_URI],
  grant_types: ["authorization_code", "refresh_token"],
  response_types: ["code"],
  token_endpoint_auth_method: "none",
  ...overrides,
});

/** What the client's web host serves, by path; every request is recorded. */
function serveDocument(path: string, res: ServerResponse): void {
  const json = (body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(200, { "Content-Type": "application/json", ...headers }).end(JSON.stringify(body));
  };
  switch (path) {
    case "/good.json":
    case "/second.json":
      json(documentFor(path.slice(1)), { "Cache-Control": "public, max-age=300" });
      return;
    case "/mismatch.json":
      json(documentFor("someone-else.json"));
      return;
    case "/big.json": {
      // No Content-Length: the cap must hold while the body streams in.
      res.writeHead(200, { "Content-Type": "application/json" });
      res.write(JSON.stringify(documentFor("big.json")).replace(/}$/, ',"padding":"'));
      res.write("x".repeat(6 * 1024));
      res.end('"}');
      return;
    }
    case "/big-declared.json": {
      const body = JSON.stringify(documentFor("big-declared.json", { padding: "x".repeat(6 * 1024) }));
      res.writeHead(200, {
        "Content-Type": "application/json",
        "Content-Length": String(Buffer.byteLength(body)),
      });
      res.end(body);
      return;
    }
    case "/moved.json":
      res.writeHead(302, { Location: `https://127.0.0.1:${new URL(base).port}/good.json` }).end();
      return;
    case "/slow.json":
      // Never answers: the server's deadline is the only way this ends, whatever the machine's speed.
      held.push(res);
      return;
    default:
      res.writeHead(404).end();
  }
}

/**
 * This file's own requests use a connection each. A pooled keep-alive connection can be closed by the
 * server (after its 5 s keep-alive) just as the next request is written to it when the machine is
 * loaded, which is a race with the clock; a fresh connection has none.
 */
const fresh = new Agent({ pipelining: 0 });

const namesFor = (domains: Domain[]) => toolsForDomains(TOOLS, domains).map((tool) => tool.name);
const fetchesOf = (name: string) => fetched.filter((path) => path === `/${name}`).length;

function authorizeUrl(origin: string, clientId: string, redirectUri = REDIRECT_URI): URL {
  const url = new URL(`${origin}/oauth/authorize`);
  const verifier = randomBytes(32).toString("base64url");
  for (const [key, value] of Object.entries({
    response_type: "code",
    client_id: clientId,
    redirect_uri: redirectUri,
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
    state: "s-1",
    resource: `${origin}/mcp`,
  }))
    url.searchParams.set(key, value);
  return url;
}

/** The page as a person reads it: entities decoded, tags gone. */
function readable(html: string): string {
  return html
    .replace(/<[^>]+>/g, " ")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");
}

async function open(url: URL) {
  const response = await fetch(url, { redirect: "manual", dispatcher: fresh });
  const html = await response.text();
  return { status: response.status, html, text: readable(html), location: response.headers.get("location") };
}

/** The sign-in page refused the request: an error page, and nothing sent to the redirect URI. */
async function expectRefused(
  target: HttpServerProcess,
  clientId: string,
  reason: string | RegExp,
  redirect?: string,
) {
  const page = await open(authorizeUrl(target.origin, clientId, redirect));
  expect(page.location).toBeNull();
  expect(page.status).toBe(400);
  expect(page.text).toContain("Cannot sign in");
  expect(page.text).not.toContain("Raytio password");
  expect(page.text).toMatch(reason);
  return page;
}

/** A client that names itself by a metadata document URL, as the SDK's client supports. */
class DocumentClient extends TestOAuthProvider {
  constructor(readonly clientMetadataUrl: string) {
    super("ignored: the document names the client");
  }
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  documents = createServer(
    { key: readFileSync(path.join(TLS_DIR, "localhost.key")), cert: readFileSync(CERTIFICATE) },
    (req, res) => {
      const requestPath = new URL(req.url ?? "/", "https://localhost").pathname;
      fetched.push(requestPath);
      serveDocument(requestPath, res);
    },
  );
  documents.on("tlsClientError", () => undefined);
  documents.listen(0, "127.0.0.1");
  await once(documents, "listening");
  base = `https://localhost:${(documents.address() as AddressInfo).port}`;
  const common = {
    NODE_EXTRA_CA_CERTS: CERTIFICATE,
    MCP_TRUST_PROXY: "true",
    MCP_OAUTH_SIGNIN_LIMIT: "1000",
  };
  // The longest deadline allowed wherever a document does arrive: a loaded machine never meets it.
  const patient = { ...common, MCP_OAUTH_CIMD_TIMEOUT: "60" };
  [server, guarded, impatient] = await Promise.all([
    startHttpServerProcess(sandbox, { ...patient, MCP_TEST_ONLY_CIMD_ALLOW_LOOPBACK: "true" }),
    startHttpServerProcess(sandbox, patient),
    startHttpServerProcess(sandbox, {
      ...common,
      MCP_TEST_ONLY_CIMD_ALLOW_LOOPBACK: "true",
      MCP_OAUTH_CIMD_TIMEOUT: "0.5",
    }),
  ]);
});

afterAll(async () => {
  await Promise.all(sessions.map((session) => session.close().catch(() => undefined)));
  await Promise.all([server?.stop(), guarded?.stop(), impatient?.stop()]);
  for (const response of held) response.destroy();
  await fresh.close();
  documents?.closeAllConnections();
  documents?.close();
  await sandbox?.stop();
});

describe("client ID metadata documents", () => {
  it("are advertised, with dynamic registration still offered beside them", async () => {
    const metadata = (await (
      await fetch(`${server.origin}/.well-known/oauth-authorization-server`, { dispatcher: fresh })
    ).json()) as Record<string, unknown>;
    expect(metadata.client_id_metadata_document_supported).toBe(true);
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(["none"]);
    expect(metadata.registration_endpoint).toBe(`${server.origin}/oauth/register`);
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
  });

  it("lead a client with a good document through consent to tokens and a working tools/list", async () => {
    const clientId = `${base}/good.json`;
    const provider = new DocumentClient(clientId);
    const session = await connectAs(server.url, "project_user", { provider });
    sessions.push(session);
    expect(provider.client?.client_id).toBe(clientId);
    expect((await session.client.listTools()).tools.map((tool) => tool.name)).toEqual(namesFor(["ppm"]));
    const result = await session.call("list_work_items", { limit: 1 });
    expect(result.isError).toBeFalsy();
    expect(provider.saved?.refresh_token).toMatch(/^rmcp_rt/);
  });

  it("show the document's name as the client's own words, beside the host that serves it, and cache the document", async () => {
    const page = await open(authorizeUrl(server.origin, `${base}/good.json`));
    expect(page.status).toBe(200);
    const host = new URL(base).host;
    expect(page.text).toContain(`“${CLIENT_NAME}” (as it names itself in a document published at ${host} )`);
    expect(page.html).toContain(`<strong>${host}</strong>`);
    expect(page.text).toContain("the sign-in code goes to 127.0.0.1:53682 (a program on your own computer)");
    expect(page.text).toContain(`Any program on your computer can use ${host}'s document`);
    expect(page.text).not.toContain("name not verified");
    // The flow above fetched it once; max-age=300 keeps it for this page view.
    expect(fetchesOf("good.json")).toBe(1);
  });

  it("sends the code with state and iss (RFC 9207) to a document's redirect URI", async () => {
    const page = await open(authorizeUrl(server.origin, `${base}/second.json`));
    const request = /name="request" value="([^"]+)"/.exec(page.html)?.[1] ?? "";
    const denied = await fetch(`${server.origin}/oauth/authorize`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ request, decision: "deny" }),
      redirect: "manual",
      dispatcher: fresh,
    });
    const location = new URL(denied.headers.get("location") ?? "");
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      error: "access_denied",
      state: "s-1",
      iss: server.origin,
    });
  });

  it("refuse a document whose client_id is not its own address", async () => {
    await expectRefused(
      server,
      `${base}/mismatch.json`,
      `This application identifies itself by the document at "${base}/mismatch.json", which cannot be used: its client_id is "${base}/someone-else.json", not the document's own address. Tell the application's developer.`,
    );
  });

  it("refuse a redirect URI the document does not list", async () => {
    await expectRefused(
      server,
      `${base}/good.json`,
      "The redirect address does not exactly match one listed in this application's metadata document.",
      "http://127.0.0.1:53682/elsewhere",
    );
  });

  it("refuse a document over 5 KiB, whether it says so up front or streams", async () => {
    await expectRefused(
      server,
      `${base}/big.json`,
      "which cannot be used: the document is larger than 5 KiB",
    );
    await expectRefused(server, `${base}/big-declared.json`, "the document is larger than 5 KiB");
  });

  it("refuse a document that never arrives, at the deadline", async () => {
    await expectRefused(
      impatient,
      `${base}/slow.json`,
      "which cannot be used: the document did not arrive within 0.5 s",
    );
    expect(fetchesOf("slow.json")).toBe(1);
  });

  it("refuse a redirect instead of following it", async () => {
    await expectRefused(
      server,
      `${base}/moved.json`,
      `it answered with a redirect (HTTP 302 to https://127.0.0.1:${new URL(base).port}/good.json), and redirects are not followed`,
    );
  });

  it("refuse a plain http client_id without fetching anything", async () => {
    const before = fetched.length;
    await expectRefused(
      server,
      `${base.replace("https:", "http:")}/good.json`,
      "which cannot be used: the address must be an https URL",
    );
    expect(fetched.length).toBe(before);
  });

  it("refuse, without the test setting, a host that resolves to a special-use address, before connecting", async () => {
    const before = fetched.length;
    await expectRefused(
      guarded,
      `${base}/good.json`,
      /which cannot be used: localhost resolves to (127\.0\.0\.1|::1), a loopback address: documents are fetched only from public addresses/,
    );
    await expectRefused(
      guarded,
      `https://127.0.0.1:${new URL(base).port}/good.json`,
      "which cannot be used: 127.0.0.1, a loopback address: documents are fetched only from public addresses",
    );
    expect(fetched.length).toBe(before);
  });

  it("say at start-up, loudly, that the test-only setting is on", () => {
    expect(server.stderr.join("\n")).toContain("MCP_TEST_ONLY_CIMD_ALLOW_LOOPBACK is set");
    expect(guarded.stderr.join("\n")).not.toContain("MCP_TEST_ONLY_CIMD_ALLOW_LOOPBACK");
  });

  it("leave dynamic registration working, marked deprecated (RFC 9745)", async () => {
    const response = await fetch(`${server.origin}/oauth/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Forwarded-For": "10.9.9.9" },
      body: JSON.stringify({ client_name: "Old client", redirect_uris: [REDIRECT_URI] }),
      dispatcher: fresh,
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("deprecation")).toBe("@1785196800");
    expect(response.headers.get("link")).toContain('rel="deprecation"');
  });

  it("never write a token or password to stderr while doing all this", () => {
    expect(httpStderr.join("\n")).not.toMatch(/rmcp_(at|rt|code)_/);
  });
});

describeWithRedis("client ID metadata documents shared through Redis", () => {
  it("are fetched once for every replica, and kept no longer than their headers allow", async () => {
    const redis = await startRedis();
    const stores = await Promise.all([openStore(redis.url), openStore(redis.url)]);
    try {
      const clientId = "https://app.example.com/oauth/client.json";
      let fetches = 0;
      const source = {
        fetch: async (): Promise<FetchedResponse> => {
          fetches += 1;
          const body = { client_id: clientId, client_name: "Shared", redirect_uris: [REDIRECT_URI] };
          return {
            status: 200,
            headers: { "cache-control": "max-age=120" },
            body: Buffer.from(JSON.stringify(body)),
          };
        },
      };
      const [first, second] = stores.map((store) => new ClientMetadataDocuments(store, source, undefined));
      expect((await first?.resolve(clientId))?.client_name).toBe("Shared");
      expect((await second?.resolve(clientId))?.client_name).toBe("Shared");
      expect(fetches).toBe(1);
      const key = `raytio-mcp:oauth:cimd:${createHash("sha256").update(clientId).digest("hex")}`;
      const ttl = Number(await redis.client.command("TTL", key));
      expect(ttl).toBeGreaterThan(100);
      expect(ttl).toBeLessThanOrEqual(120);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await redis.stop();
    }
  });
});
