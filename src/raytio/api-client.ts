import { promisify } from "node:util";
import { brotliDecompress, unzip } from "node:zlib";
import { request as undiciRequest } from "undici";
import type { z } from "zod";
import type { Config } from "../config.js";
import { RaytioError } from "../errors.js";
import type { Logger } from "../logger.js";
import { PACKAGE_NAME, VERSION } from "../version.js";
import type { TokenSource } from "./auth.js";
import { outboundFailure, proxyAdvice, type Route, routeOrError } from "./outbound.js";
import type { PostgrestQuery } from "./postgrest.js";

type Method = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";

const IDEMPOTENT_METHODS = new Set<Method>(["GET", "HEAD", "PUT", "DELETE"]);
/** 429 and these 5xx mean the request was not served; a read may safely be sent again. */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
/** Failures that may pass: a read is sent again; a write only when it cannot have been sent. */
const NETWORK_ERRORS = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "ERR_NETWORK",
]);

export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the call fails and says when to come back. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 3,
  baseDelayMs: 200,
  maxDelayMs: 4_000,
  maxRetryAfterMs: 10_000,
};

export interface RequestOptions<T = unknown> {
  query?: PostgrestQuery | URLSearchParams;
  body?: unknown;
  /** PostgREST `Prefer` preferences, e.g. `return=representation`, `count=exact`. */
  prefer?: readonly string[];
  /** Ask PostgREST for exactly one object (406 PGRST116 otherwise). */
  single?: boolean;
  headers?: Record<string, string>;
  /** Overrides the method's default: e.g. a read-only RPC is safe to retry even though it is a POST. */
  idempotent?: boolean;
  signal?: AbortSignal;
  /** Validates the response body; the API is only trusted as far as the schema says. */
  schema?: z.ZodType<T>;
}

export interface ApiResponse<T> {
  data: T;
  status: number;
  /** Total row count when `count=exact` was requested. */
  total: number | undefined;
}

export interface ApiClientOptions {
  baseUrl: string;
  timeoutMs: number;
  tokens: TokenSource;
  logger: Logger;
  retry?: Partial<RetryPolicy>;
  userAgent?: string;
}

const postgrestErrorFields = (body: unknown): { code?: string; message?: string; hint?: string } => {
  if (body && typeof body === "object") {
    const record = body as Record<string, unknown>;
    return {
      ...(typeof record.code === "string" ? { code: record.code } : {}),
      ...(typeof record.message === "string" ? { message: record.message } : {}),
      ...(typeof record.hint === "string" ? { hint: record.hint } : {}),
    };
  }
  return {};
};

interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body parsed as JSON, or the text itself when it is not JSON; "" when there is none. */
  data: unknown;
}

/** A failure before a complete response arrived, with what decides whether to retry. */
class NetworkError extends Error {
  constructor(
    readonly code: string,
    /** True when the request cannot have reached the API, so even a write may be sent again. */
    readonly notSent: boolean,
    /** What a proxy answered when it would not carry the request. */
    readonly proxyStatus?: number,
  ) {
    super(`network error ${code}`);
  }
}

function networkError(error: unknown): NetworkError {
  if (error instanceof NetworkError) return error;
  const { code, notSent, proxyStatus } = outboundFailure(error);
  return new NetworkError(code, notSent, proxyStatus);
}

const gunzip = promisify(unzip);
const unbrotli = promisify(brotliDecompress);

/** The decoder for a Content-Encoding the client asked for (Accept-Encoding: gzip, br). */
function decoderFor(encoding: unknown): ((body: Buffer) => Promise<Buffer>) | undefined {
  const name = typeof encoding === "string" ? encoding.trim().toLowerCase() : undefined;
  if (name === "gzip" || name === "x-gzip") return gunzip;
  if (name === "br") return unbrotli;
  return undefined;
}

/** JSON when the body is JSON; PostgREST answers JSON, but a proxy in front of it may not. */
function parseBody(body: Buffer): unknown {
  const raw = body.toString("utf8");
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  if (text === "") return "";
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The one HTTP client for the Raytio API. It authenticates every request, renews the token once on a
 * 401, retries only what is safe to retry, and turns every failure into a RaytioError whose message
 * never carries a header, token or request body.
 */
export class RaytioApiClient {
  private readonly retry: RetryPolicy;
  private readonly origin: URL;
  /** The base URL's own path, which every API path is appended to. */
  private readonly basePath: string;
  private readonly baseHeaders: Readonly<Record<string, string>>;
  /** How requests leave the process, or why they cannot: an unusable proxy setting fails each call. */
  private readonly route: Route | RaytioError;

  /** The client every transport uses: the configured base URL and timeout, identified as this package. */
  static fromConfig(config: Config, tokens: TokenSource, logger: Logger): RaytioApiClient {
    return new RaytioApiClient({
      baseUrl: config.apiBaseUrl,
      timeoutMs: config.httpTimeoutSeconds * 1000,
      tokens,
      logger,
      userAgent: `${PACKAGE_NAME}/${VERSION}`,
    });
  }

  constructor(private readonly options: ApiClientOptions) {
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.origin = new URL(options.baseUrl);
    this.basePath = this.origin.pathname.replace(/\/+$/, "");
    this.route = routeOrError(this.origin, options.timeoutMs);
    this.baseHeaders = {
      Accept: "application/json",
      "Accept-Encoding": "gzip, br",
      "User-Agent": options.userAgent ?? "raytio-mcp-server",
    };
  }

  get<T>(path: string, options: RequestOptions<T> = {}): Promise<ApiResponse<T>> {
    return this.request("GET", path, options);
  }

  post<T>(path: string, options: RequestOptions<T> = {}): Promise<ApiResponse<T>> {
    return this.request("POST", path, options);
  }

  put<T>(path: string, options: RequestOptions<T> = {}): Promise<ApiResponse<T>> {
    return this.request("PUT", path, options);
  }

  patch<T>(path: string, options: RequestOptions<T> = {}): Promise<ApiResponse<T>> {
    return this.request("PATCH", path, options);
  }

  delete<T>(path: string, options: RequestOptions<T> = {}): Promise<ApiResponse<T>> {
    return this.request("DELETE", path, options);
  }

  async request<T>(method: Method, path: string, options: RequestOptions<T>): Promise<ApiResponse<T>> {
    const idempotent = options.idempotent ?? IDEMPOTENT_METHODS.has(method);
    const route = this.route;
    if (route instanceof RaytioError) throw route;
    let token = await this.options.tokens.getIdToken();
    let renewed = false;

    for (let attempt = 0; ; attempt += 1) {
      throwIfAborted(options.signal);
      let response: HttpResponse;
      try {
        response = await this.send(route, method, path, options, token);
      } catch (error) {
        if (options.signal?.aborted) throw cancelled();
        const failure = networkError(error);
        const code = failure.code;
        if (failure.proxyStatus !== undefined) throw proxyRefused(route, method, path, failure.proxyStatus);
        const retryable = NETWORK_ERRORS.has(code) && (idempotent || failure.notSent);
        if (retryable && attempt < this.retry.maxRetries) {
          await this.pause(this.backoff(attempt), options.signal);
          continue;
        }
        throw new RaytioError(
          "API_UNAVAILABLE",
          `The Raytio API could not be reached (${code}) for ${method} ${path}` +
            (route.via ? ` through the proxy ${route.via}.` : ".") +
            (idempotent
              ? ""
              : " The write may or may not have been applied: read the data back before retrying."),
          { details: { method, path, networkError: code, ...viaDetails(route) } },
        );
      }

      if (response.status === 401 && !renewed) {
        // The token was rejected before the request ran, so even a write is safe to send again.
        renewed = true;
        token = await this.options.tokens.renewAfterRejection(token);
        continue;
      }

      if (RETRYABLE_STATUS.has(response.status) && idempotent && attempt < this.retry.maxRetries) {
        const retryAfter = parseRetryAfter(response.headers["retry-after"]);
        if (retryAfter === undefined || retryAfter <= this.retry.maxRetryAfterMs) {
          this.options.logger.debug("Retrying Raytio API request", {
            method,
            path,
            status: response.status,
            attempt,
          });
          await this.pause(retryAfter ?? this.backoff(attempt), options.signal);
          continue;
        }
      }

      if (response.status >= 200 && response.status < 300) return this.success(response, options);
      // A forward proxy answers for itself with 407; the API never does.
      if (response.status === 407 && route.via) throw proxyRefused(route, method, path, 407);
      throw this.failure(method, path, response, idempotent);
    }
  }

  /**
   * One HTTP exchange. Status handling is the caller's (a 4xx is data for the error mapper) and
   * redirects are not followed. Resolves once the whole body has arrived; rejects with a NetworkError.
   */
  private async send(
    route: Route,
    method: Method,
    path: string,
    options: RequestOptions<unknown>,
    token: string,
  ): Promise<HttpResponse> {
    const headers: Record<string, string> = {
      ...this.baseHeaders,
      ...options.headers,
      Authorization: `Bearer ${token}`,
    };
    if (options.prefer && options.prefer.length > 0) headers.Prefer = options.prefer.join(", ");
    if (options.single) headers.Accept = "application/vnd.pgrst.object+json";
    let body: Buffer | undefined;
    if (options.body !== undefined) {
      body = Buffer.from(JSON.stringify(options.body), "utf8");
      headers["Content-Type"] ??= "application/json";
    }
    const search = options.query?.toString();
    const target = `${this.basePath}/${path.replace(/^\/+/, "")}${search ? `?${search}` : ""}`;
    try {
      const response = await undiciRequest(`${this.origin.origin}${target}`, {
        dispatcher: route.dispatcher,
        method,
        headers,
        ...(body ? { body } : {}),
        // Like a socket timeout: the answer may take longer as long as bytes keep arriving.
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      // A connection closed before the whole body arrived (a truncated answer) rejects here.
      const raw = Buffer.from(await response.body.arrayBuffer());
      const decoder = decoderFor(response.headers["content-encoding"]);
      let decoded: Buffer = raw;
      if (decoder && raw.length > 0) {
        decoded = await decoder(raw).catch(() => {
          throw new NetworkError("ERR_BAD_RESPONSE", false);
        });
      }
      return { status: response.statusCode, headers: response.headers, data: parseBody(decoded) };
    } catch (error) {
      throw networkError(error);
    }
  }

  private success<T>(response: HttpResponse, options: RequestOptions<T>): ApiResponse<T> {
    const total = parseContentRangeTotal(response.headers["content-range"]);
    const body = response.status === 204 || response.data === "" ? null : response.data;
    if (!options.schema) return { data: body as T, status: response.status, total };
    const parsed = options.schema.safeParse(body);
    if (!parsed.success) {
      const where = parsed.error.issues
        .slice(0, 3)
        .map((issue) => issue.path.join(".") || "(root)")
        .join(", ");
      throw new RaytioError(
        "API_ERROR",
        `The Raytio API returned a response this server does not understand (at ${where}). The API may have changed; please report it.`,
      );
    }
    return { data: parsed.data, status: response.status, total };
  }

  private failure(method: Method, path: string, response: HttpResponse, idempotent: boolean): RaytioError {
    const { code, message, hint } = postgrestErrorFields(response.data);
    const status = response.status;
    const details = { method, path, status, ...(code ? { apiCode: code } : {}) };
    if (status === 401) {
      return new RaytioError(
        "AUTH_FAILED",
        "The Raytio API rejected the credentials even after signing in again. Check that RAYTIO_API_BASE_URL and the sign-in settings belong to the same Raytio environment, and that the account may use the API.",
        { details },
      );
    }
    if (status === 404 || (status === 406 && code === "PGRST116")) {
      return new RaytioError(
        "NOT_FOUND",
        "The requested record does not exist or is not visible to this account.",
        {
          details,
        },
      );
    }
    if (RETRYABLE_STATUS.has(status)) {
      const retryAfter = parseRetryAfter(response.headers["retry-after"]);
      const when = retryAfter === undefined ? "shortly" : `in ${Math.ceil(retryAfter / 1000)} s`;
      const writeNote = idempotent
        ? ""
        : " The write was not retried automatically: read the data back before retrying.";
      return new RaytioError(
        "API_UNAVAILABLE",
        `The Raytio API is unavailable (HTTP ${status}). Try again ${when}.${writeNote}`,
        {
          details,
        },
      );
    }
    const summary = [message, hint].filter(Boolean).join(" ");
    return new RaytioError(
      "API_ERROR",
      `The Raytio API refused ${method} ${path} (HTTP ${status}${code ? ` ${code}` : ""})${summary ? `: ${summary}` : "."}`,
      { details },
    );
  }

  private backoff(attempt: number): number {
    const exponential = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** attempt);
    // Full jitter keeps many clients from retrying in lockstep after a shared outage.
    return Math.round(exponential / 2 + Math.random() * (exponential / 2));
  }

  private pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(cancelled());
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}

const viaDetails = (route: Route) => (route.via ? { proxy: route.via } : {});

function proxyRefused(route: Route, method: Method, path: string, status: number): RaytioError {
  return new RaytioError(
    "API_UNAVAILABLE",
    `The proxy ${route.via} would not carry ${method} ${path} to the Raytio API (HTTP ${status}). ${proxyAdvice(status, "the Raytio API host")}`,
    { details: { method, path, proxyStatus: status, ...viaDetails(route) } },
  );
}

function cancelled(): RaytioError {
  return new RaytioError("CANCELLED", "The request was cancelled by the client.");
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelled();
}

export function parseRetryAfter(value: unknown, now: number = Date.now()): number | undefined {
  if (typeof value !== "string" || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function parseContentRangeTotal(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const total = value.split("/")[1];
  if (total === undefined || total === "*") return undefined;
  const parsed = Number(total);
  return Number.isInteger(parsed) ? parsed : undefined;
}
