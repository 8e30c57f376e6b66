import { describe, expect, it } from "vitest";
import { MemoryStore } from "../store.js";
import {
  CACHE_SECONDS,
  ClientMetadataDocuments,
  cacheSeconds,
  clientFromDocument,
  clientIdUrlProblem,
  isUrlClientId,
  MetadataDocumentError,
} from "./client-metadata.js";
import { type FetchedResponse, MetadataFetchError } from "./metadata-fetch.js";

const ID = "https://app.example.com/oauth/client.json";
const REDIRECT = "http://127.0.0.1:3000/callback";
const DOCUMENT = {
  client_id: ID,
  client_name: "Example MCP Client",
  client_uri: "https://app.example.com",
  redirect_uris: [REDIRECT, "https://app.example.com/callback"],
  grant_types: ["authorization_code"],
  response_types: ["code"],
  token_endpoint_auth_method: "none",
};
const body = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value));

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof MetadataDocumentError) return error.message;
    throw error;
  }
  throw new Error("expected the document to be refused");
}

describe("client_id URLs", () => {
  it("tells URL client ids from registered ones", () => {
    expect(isUrlClientId(ID)).toBe(true);
    expect(isUrlClientId("http://app.example.com/client.json")).toBe(true);
    expect(isUrlClientId("urn:example:client")).toBe(true);
    expect(isUrlClientId("x3Jd_9-abc")).toBe(false);
  });

  it("accepts an https URL with a path, a port and even a query", () => {
    expect(clientIdUrlProblem(ID)).toBeUndefined();
    expect(clientIdUrlProblem("https://app.example.com:8443/client")).toBeUndefined();
    expect(clientIdUrlProblem("https://app.example.com/client.json?v=2")).toBeUndefined();
  });

  it.each([
    ["http://app.example.com/client.json", "must be an https URL"],
    ["ftp://app.example.com/client.json", "must be an https URL"],
    ["https://app.example.com/", "must contain a path"],
    ["https://app.example.com", "must contain a path"],
    ["https://app.example.com/client.json#x", "must not contain a fragment"],
    ["https://user:pw@app.example.com/client.json", "must not contain user information"],
    ["https://app.example.com/a/../client.json", "must not contain . or .. path segments"],
    ["https://app.example.com/./client.json", "must not contain . or .. path segments"],
    ["https://app.example.com/%2e%2e/client.json", "percent-encoded dots or slashes"],
    [
      "https://App.Example.com/client.json",
      'not in normal form: the client should use "https://app.example.com/client.json"',
    ],
    ["https://app.example.com:443/client.json", "not in normal form"],
    ["https://app.example.com/client.json\r\nX: y", "control characters"],
    [`https://app.example.com/${"a".repeat(2_000)}`, "is too long"],
  ])("refuses %s", (clientId, problem) => {
    expect(clientIdUrlProblem(clientId)).toContain(problem);
  });
});

describe("metadata documents", () => {
  it("yields the name and redirect URIs of a valid document", () => {
    expect(clientFromDocument(ID, body(DOCUMENT))).toEqual({
      client_id: ID,
      client_name: "Example MCP Client",
      redirect_uris: [REDIRECT, "https://app.example.com/callback"],
    });
  });

  it("treats a document without token_endpoint_auth_method as a public client and tolerates extra grants", () => {
    const { token_endpoint_auth_method: _method, ...rest } = DOCUMENT;
    const client = clientFromDocument(
      ID,
      body({ ...rest, grant_types: ["authorization_code", "refresh_token", "client_credentials"] }),
    );
    expect(client.client_name).toBe("Example MCP Client");
  });

  it("cleans control characters out of the name and shortens it", () => {
    const client = clientFromDocument(
      ID,
      body({ ...DOCUMENT, client_name: `Evil\u202e\u0000 ${"x".repeat(200)}` }),
    );
    expect(client.client_name).toMatch(/^Evil x+$/);
    expect(client.client_name.length).toBe(80);
  });

  it.each([
    ["not JSON", "{", "it is not JSON"],
    ["an array", [DOCUMENT], "it is not a JSON object"],
    ["no client_id", { ...DOCUMENT, client_id: undefined }, "it has no client_id"],
    [
      "another client_id",
      { ...DOCUMENT, client_id: "https://app.example.com/other.json" },
      'its client_id is "https://app.example.com/other.json", not the document\'s own address',
    ],
    [
      "a client_id that differs only in spelling",
      { ...DOCUMENT, client_id: "https://APP.example.com/oauth/client.json" },
      "not the document's own address",
    ],
    ["no client_name", { ...DOCUMENT, client_name: undefined }, "it has no client_name"],
    ["a blank client_name", { ...DOCUMENT, client_name: " \u0007 " }, "it has no client_name"],
    ["no redirect_uris", { ...DOCUMENT, redirect_uris: [] }, "its redirect_uris is not a list of URIs"],
    ["a redirect_uris string", { ...DOCUMENT, redirect_uris: REDIRECT }, "its redirect_uris is not a list"],
    [
      "an http redirect to another machine",
      { ...DOCUMENT, redirect_uris: ["http://evil.example/cb"] },
      'its redirect URI "http://evil.example/cb" must use https',
    ],
    [
      "a redirect with a fragment",
      { ...DOCUMENT, redirect_uris: ["https://app.example.com/cb#x"] },
      "must not contain a fragment",
    ],
    [
      "a redirect that parsing would change",
      { ...DOCUMENT, redirect_uris: ["https://app.example.com/a/../cb"] },
      "must not contain . or .. path segments",
    ],
    ["a client_secret", { ...DOCUMENT, client_secret: "s3cret" }, "it contains a client_secret"],
    [
      "a client_secret_expires_at",
      { ...DOCUMENT, client_secret_expires_at: 0 },
      "it contains a client_secret",
    ],
    [
      "a shared-secret auth method",
      { ...DOCUMENT, token_endpoint_auth_method: "client_secret_basic" },
      'its token_endpoint_auth_method is "client_secret_basic"; this server accepts only public clients',
    ],
    [
      "private_key_jwt, which this server cannot check",
      { ...DOCUMENT, token_endpoint_auth_method: "private_key_jwt" },
      "accepts only public clients",
    ],
    [
      "grant_types without the code grant",
      { ...DOCUMENT, grant_types: ["client_credentials"] },
      "grant_types",
    ],
    ["response_types without code", { ...DOCUMENT, response_types: ["token"] }, "response_types"],
  ])("refuses a document with %s", (_what, document, reason) => {
    expect(refusal(() => clientFromDocument(ID, body(document)))).toContain(reason);
  });
});

describe("cache lifetimes", () => {
  const now = Date.UTC(2026, 7, 1, 12);
  const date = new Date(now).toUTCString();

  it.each([
    ["max-age", { "cache-control": "public, max-age=3600" }, 3600],
    [
      "s-maxage over max-age (this is a shared cache)",
      { "cache-control": "max-age=60, s-maxage=7200" },
      7200,
    ],
    ["max-age less Age", { "cache-control": "max-age=3600", age: "600" }, 3000],
    ["Expires less Date", { expires: new Date(now + 1800_000).toUTCString(), date }, 1800],
    ["the floor for a short max-age", { "cache-control": "max-age=5" }, CACHE_SECONDS.min],
    ["the ceiling for a long max-age", { "cache-control": "max-age=31536000" }, CACHE_SECONDS.max],
    ["the fallback without any freshness information", {}, CACHE_SECONDS.fallback],
  ])("follows %s", (_what, headers, expected) => {
    expect(cacheSeconds(headers, now)).toBe(expected);
  });

  it.each([
    ["no-store", { "cache-control": "no-store" }],
    ["no-cache", { "cache-control": "no-cache, max-age=600" }],
    ["private", { "cache-control": "private, max-age=600" }],
    ["max-age=0", { "cache-control": "max-age=0" }],
    ["an Age past max-age", { "cache-control": "max-age=60", age: "120" }],
    ["an Expires in the past", { expires: new Date(now - 1000).toUTCString(), date }],
    ["an Expires that does not parse", { expires: "0", date }],
  ])("does not store a document marked %s", (_what, headers) => {
    expect(cacheSeconds(headers, now)).toBeUndefined();
  });
});

describe("resolving a client_id", () => {
  function source(responses: Array<FetchedResponse | Error>) {
    const requested: string[] = [];
    return {
      requested,
      fetch: async (url: URL): Promise<FetchedResponse> => {
        requested.push(url.href);
        const next = responses.shift();
        if (!next) throw new Error("no more responses");
        if (next instanceof Error) throw next;
        return next;
      },
    };
  }
  const ok = (
    headers: FetchedResponse["headers"] = { "cache-control": "max-age=600" },
    document: unknown = DOCUMENT,
  ) => ({
    status: 200,
    headers,
    body: body(document),
  });

  it("fetches once, then serves the document from the store for as long as its headers allow", async () => {
    const clock = { now: Date.UTC(2026, 7, 1) };
    const store = new MemoryStore(() => clock.now);
    const fake = source([ok(), ok()]);
    const documents = new ClientMetadataDocuments(store, fake, undefined, () => clock.now);
    expect((await documents.resolve(ID)).client_name).toBe("Example MCP Client");
    expect((await documents.resolve(ID)).client_name).toBe("Example MCP Client");
    expect(fake.requested).toEqual([ID]);
    clock.now += 601_000;
    await documents.resolve(ID);
    expect(fake.requested).toEqual([ID, ID]);
    await store.close();
  });

  it("shares one fetch between pages asking at the same moment", async () => {
    const fake = source([ok()]);
    const documents = new ClientMetadataDocuments(new MemoryStore(), fake, undefined);
    const all = await Promise.all([documents.resolve(ID), documents.resolve(ID), documents.resolve(ID)]);
    expect(all.map((client) => client.client_id)).toEqual([ID, ID, ID]);
    expect(fake.requested).toEqual([ID]);
  });

  it("never stores a refused document, an error or a document marked no-store", async () => {
    const store = new MemoryStore();
    const fake = source([
      ok({}, { ...DOCUMENT, client_id: "https://elsewhere.example/x.json" }),
      { status: 404, headers: {}, body: Buffer.alloc(0) },
      new MetadataFetchError("the document did not arrive within 5 s"),
      ok({ "cache-control": "no-store" }),
      ok(),
    ]);
    const documents = new ClientMetadataDocuments(store, fake, undefined);
    await expect(documents.resolve(ID)).rejects.toThrow("not the document's own address");
    await expect(documents.resolve(ID)).rejects.toThrow("it answered HTTP 404");
    await expect(documents.resolve(ID)).rejects.toThrow("the document did not arrive within 5 s");
    await documents.resolve(ID);
    await documents.resolve(ID);
    expect(fake.requested).toHaveLength(5);
    await store.close();
  });

  it("refuses a redirect instead of following it, naming where it pointed", async () => {
    const fake = source([
      { status: 302, headers: { location: "https://other.example/client.json" }, body: Buffer.alloc(0) },
    ]);
    const documents = new ClientMetadataDocuments(new MemoryStore(), fake, undefined);
    await expect(documents.resolve(ID)).rejects.toThrow(
      "it answered with a redirect (HTTP 302 to https://other.example/client.json), and redirects are not followed",
    );
    expect(fake.requested).toEqual([ID]);
  });

  it("refuses a bad client_id without fetching anything", async () => {
    const fake = source([]);
    const documents = new ClientMetadataDocuments(new MemoryStore(), fake, undefined);
    await expect(documents.resolve("http://app.example.com/client.json")).rejects.toThrow(
      "the address must be an https URL",
    );
    expect(fake.requested).toEqual([]);
  });
});
