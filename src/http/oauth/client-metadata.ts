import { z } from "zod";
import type { Logger } from "../../logger.js";
import type { StateStore } from "../store.js";
import { type FetchedResponse, MetadataFetchError } from "./metadata-fetch.js";
import { normalisedRedirectUri, redirectUriProblem, unstableShape } from "./redirect-uri.js";
import { digest } from "./secrets.js";

/**
 * Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, the registration MCP
 * 2026-07-28 prefers): a client names itself with an https URL, and the document at that URL lists its
 * name and redirect URIs. Nothing is registered here; a validated document is cached in the state store
 * (Redis when replicas share one) for as long as its HTTP cache headers allow, within fixed bounds.
 */
export const MAX_DOCUMENT_BYTES = 5 * 1024;

/**
 * Cache lifetime bounds (the draft lets the server set them): at least a minute, so one busy sign-in
 * page cannot make this server fetch on every view; at most a day, so a client's changed redirect URIs
 * or name reach its users the same day. Without any freshness information, five minutes.
 */
export const CACHE_SECONDS = { min: 60, max: 86_400, fallback: 300 } as const;

export interface MetadataDocumentClient {
  client_id: string;
  client_name: string;
  redirect_uris: string[];
}

/** Why a document cannot be used, phrased to follow "…, which cannot be used: ". */
export class MetadataDocumentError extends Error {}

/** Strips control characters so a client name cannot break the consent page's layout or a log line. */
export function cleanName(name: string | undefined): string | undefined {
  const cleaned = name
    ?.replace(/\p{Cc}|\p{Cf}/gu, "")
    .trim()
    .slice(0, 80);
  return cleaned ? cleaned : undefined;
}

/**
 * A client_id naming a document rather than a registration. Registered ids are letters, digits, `-`
 * and `_`, so anything with a scheme is unambiguous; a non-https one is refused with a reason rather
 * than reported as an unknown registration.
 */
export function isUrlClientId(clientId: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(clientId);
}

/** The draft's rules for the URL (§3), plus one of ours: it must already be in normal form. */
export function clientIdUrlProblem(clientId: string): string | undefined {
  if (clientId.length > 2_000) return "is too long";
  if (!/^https:/i.test(clientId)) return "must be an https URL";
  if (clientId.includes("#")) return "must not contain a fragment";
  const unstable = unstableShape(clientId);
  if (unstable) return unstable;
  if (!URL.canParse(clientId)) return "is not a URL";
  const url = new URL(clientId);
  if (url.username || url.password || /^https:\/\/[^/?]*@/i.test(clientId)) {
    return "must not contain user information";
  }
  if (url.pathname === "/") return "must contain a path, such as https://example.com/client.json";
  // The document's client_id must equal this string exactly, and the fetch goes to the parsed form.
  if (url.href !== clientId)
    return `is not in normal form: the client should use ${JSON.stringify(url.href)}`;
  return undefined;
}

const stringList = z.array(z.string());

/** Parses and checks a fetched document against the draft and MCP 2026-07-28's required fields. */
export function clientFromDocument(clientId: string, body: Buffer): MetadataDocumentClient {
  let document: unknown;
  try {
    document = JSON.parse(body.toString("utf8"));
  } catch {
    throw new MetadataDocumentError("it is not JSON");
  }
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    throw new MetadataDocumentError("it is not a JSON object");
  }
  const fields = document as Record<string, unknown>;
  if (typeof fields.client_id !== "string") throw new MetadataDocumentError("it has no client_id");
  if (fields.client_id !== clientId) {
    throw new MetadataDocumentError(
      `its client_id is ${JSON.stringify(fields.client_id.slice(0, 200))}, not the document's own address`,
    );
  }
  if ("client_secret" in fields || "client_secret_expires_at" in fields) {
    throw new MetadataDocumentError(
      "it contains a client_secret, which a published document must never hold",
    );
  }
  const method = fields.token_endpoint_auth_method;
  // Absent means a public client here: the draft forbids the shared-secret default RFC 7591 would imply.
  if (method !== undefined && method !== "none") {
    throw new MetadataDocumentError(
      `its token_endpoint_auth_method is ${JSON.stringify(String(method).slice(0, 60))}; this server accepts only public clients ("none")`,
    );
  }
  const name = typeof fields.client_name === "string" ? cleanName(fields.client_name) : undefined;
  if (!name) throw new MetadataDocumentError("it has no client_name");
  const redirects = stringList.min(1).safeParse(fields.redirect_uris);
  if (!redirects.success) throw new MetadataDocumentError("its redirect_uris is not a list of URIs");
  for (const uri of redirects.data) {
    const problem = redirectUriProblem(uri);
    if (problem) {
      throw new MetadataDocumentError(`its redirect URI ${JSON.stringify(uri.slice(0, 200))} ${problem}`);
    }
  }
  // Lists written for many authorization servers may name more; the ones this flow uses must be there.
  const grants = stringList.optional().safeParse(fields.grant_types);
  if (!grants.success || (grants.data && !grants.data.includes("authorization_code"))) {
    throw new MetadataDocumentError("its grant_types does not include authorization_code");
  }
  const responses = stringList.optional().safeParse(fields.response_types);
  if (!responses.success || (responses.data && !responses.data.includes("code"))) {
    throw new MetadataDocumentError('its response_types does not include "code"');
  }
  return {
    client_id: clientId,
    client_name: name,
    redirect_uris: [...new Set(redirects.data.map(normalisedRedirectUri))],
  };
}

function header(headers: FetchedResponse["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

function deltaSeconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*"?\d+"?\s*$/.test(value)) return undefined;
  return Number(value.replace(/"/g, ""));
}

/**
 * How long a document may be kept, from its cache headers (RFC 9111, as a shared cache: one document
 * serves everyone who signs in with that client). Undefined when it must not be stored at all.
 */
export function cacheSeconds(headers: FetchedResponse["headers"], now: number): number | undefined {
  const directives = new Map<string, string | undefined>();
  for (const part of (header(headers, "cache-control") ?? "").split(",")) {
    const [name, value] = part.split("=", 2);
    if (name?.trim()) directives.set(name.trim().toLowerCase(), value?.trim());
  }
  if (["no-store", "no-cache", "private"].some((name) => directives.has(name))) return undefined;
  let lifetime = deltaSeconds(directives.get("s-maxage")) ?? deltaSeconds(directives.get("max-age"));
  const expires = header(headers, "expires");
  if (lifetime === undefined && expires !== undefined) {
    const date = Date.parse(header(headers, "date") ?? "");
    // An Expires that does not parse means "already expired" (RFC 9111 §5.3).
    lifetime = Math.floor((Date.parse(expires) - (Number.isNaN(date) ? now : date)) / 1000);
    if (Number.isNaN(lifetime)) lifetime = 0;
  }
  if (lifetime === undefined) return CACHE_SECONDS.fallback;
  const remaining = lifetime - (deltaSeconds(header(headers, "age")) ?? 0);
  if (remaining <= 0) return undefined;
  return Math.min(CACHE_SECONDS.max, Math.max(CACHE_SECONDS.min, remaining));
}

const cachedSchema = z.object({
  client_id: z.string(),
  client_name: z.string(),
  redirect_uris: z.array(z.string()),
});

const cacheKey = (clientId: string) => `oauth:cimd:${digest(clientId)}`;

export interface DocumentSource {
  fetch(url: URL): Promise<FetchedResponse>;
}

export class ClientMetadataDocuments {
  /** One fetch per document at a time on this replica, however many pages ask for it at once. */
  readonly #inFlight = new Map<string, Promise<MetadataDocumentClient>>();

  constructor(
    private readonly store: StateStore,
    private readonly source: DocumentSource,
    private readonly logger: Logger | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  async resolve(clientId: string): Promise<MetadataDocumentClient> {
    const problem = clientIdUrlProblem(clientId);
    if (problem) throw new MetadataDocumentError(`the address ${problem}`);
    const text = await this.store.get(cacheKey(clientId));
    if (text !== undefined) {
      const cached = cachedSchema.safeParse(JSON.parse(text));
      if (cached.success) return cached.data;
    }
    let pending = this.#inFlight.get(clientId);
    if (!pending) {
      pending = this.#fetch(clientId).finally(() => this.#inFlight.delete(clientId));
      this.#inFlight.set(clientId, pending);
    }
    return pending;
  }

  async #fetch(clientId: string): Promise<MetadataDocumentClient> {
    try {
      const response = await this.source.fetch(new URL(clientId));
      if (response.status >= 300 && response.status < 400) {
        // The draft forbids following redirects: the document must live at the address it names.
        const location = header(response.headers, "location");
        throw new MetadataDocumentError(
          `it answered with a redirect (HTTP ${response.status}${location ? ` to ${location.slice(0, 200)}` : ""}), and redirects are not followed`,
        );
      }
      if (response.status !== 200) throw new MetadataDocumentError(`it answered HTTP ${response.status}`);
      const client = clientFromDocument(clientId, response.body);
      // Errors and invalid documents are never cached (the draft says so); only this point stores.
      const ttl = cacheSeconds(response.headers, this.now());
      if (ttl !== undefined) await this.store.set(cacheKey(clientId), JSON.stringify(client), ttl);
      this.logger?.info("Fetched a client metadata document", { client: clientId, cacheSeconds: ttl ?? 0 });
      return client;
    } catch (error) {
      if (!(error instanceof MetadataDocumentError || error instanceof MetadataFetchError)) throw error;
      this.logger?.warn("Refused a client metadata document", { client: clientId, reason: error.message });
      throw error instanceof MetadataDocumentError ? error : new MetadataDocumentError(error.message);
    }
  }
}
