import { getProxyForUrl } from "proxy-from-env";
import { Agent, type Dispatcher, ProxyAgent } from "undici";
import { RaytioError } from "../errors.js";
import { bypassesProxy } from "./no-proxy.js";

/**
 * How requests to one origin leave this process: every outgoing request (the API client, the token
 * endpoint and Cognito sign-in) goes through an undici dispatcher chosen here, so all of them honour
 * the same proxy settings. The environment is read the way axios read it (this client replaced axios):
 * `HTTPS_PROXY`/`HTTP_PROXY` by the target's scheme, then `ALL_PROXY`, in either case, with the
 * exceptions `NO_PROXY` lists (see bypassesProxy).
 *
 * undici's own EnvHttpProxyAgent would choose for us, but it reads neither `ALL_PROXY` nor the `NO_PROXY`
 * forms the README documents beyond plain names (CIDR ranges, bracketed IPv6, `127.1`-style and
 * IPv4-mapped addresses, the loopback equivalences). So proxy-from-env names the proxy, no-proxy.ts
 * decides the exceptions, and undici's Agent and ProxyAgent do the connecting, pooling and tunnelling.
 */
export interface Route {
  readonly dispatcher: Dispatcher;
  /** The proxy's origin, without credentials: safe to name in errors. */
  readonly via: string | undefined;
}

/**
 * One dispatcher per way out (and per timeout), shared by every client in the process (the HTTP
 * transport has one API client per session): connections stay open between calls, so a tool call
 * costs one request on a warm connection rather than a TCP (and TLS, and CONNECT) handshake. undici
 * closes a connection idle for 4 s, or sooner when the server's Keep-Alive header says so, before a
 * server or load balancer drops it under a request.
 */
const dispatchers = new Map<string, Dispatcher>();

function shared(key: string, create: () => Dispatcher): Dispatcher {
  let dispatcher = dispatchers.get(key);
  if (!dispatcher) {
    dispatcher = create();
    dispatchers.set(key, dispatcher);
  }
  return dispatcher;
}

function parseProxy(setting: string, target: URL): URL {
  try {
    const proxy = new URL(setting);
    if (proxy.protocol === "http:" || proxy.protocol === "https:") return proxy;
  } catch {
    // Reported below without the value, which may carry credentials.
  }
  const scheme = target.protocol.replace(":", "").toUpperCase();
  throw new RaytioError(
    "CONFIG_INVALID",
    `The proxy named by ${scheme}_PROXY (or ALL_PROXY) is not an http:// or https:// URL. Fix or unset it, or list the host in NO_PROXY.`,
  );
}

/** Basic credentials from the proxy URL; a user name alone is sent too, as axios did. */
function proxyToken(proxy: URL): string | undefined {
  if (!proxy.username && !proxy.password) return undefined;
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return `Basic ${Buffer.from(credentials, "utf8").toString("base64")}`;
}

/**
 * The route to `target` under the current environment. `connectTimeoutMs` bounds each new connection
 * (TCP, TLS and any CONNECT), as the request timeout bounds the answer. Throws CONFIG_INVALID for a
 * proxy setting that is not an http(s) URL.
 */
export function routeTo(target: URL, connectTimeoutMs: number): Route {
  const setting = getProxyForUrl(target.href);
  if (!setting || bypassesProxy(target)) {
    return {
      dispatcher: shared(
        `direct ${connectTimeoutMs}`,
        () => new Agent({ connect: { timeout: connectTimeoutMs } }),
      ),
      via: undefined,
    };
  }
  const proxy = parseProxy(setting, target);
  const token = proxyToken(proxy);
  return {
    dispatcher: shared(`${proxy.href} ${connectTimeoutMs}`, () => {
      return new ProxyAgent({
        // The credentials travel as the token; the URL itself is only where the proxy listens.
        uri: proxy.origin,
        ...(token ? { token } : {}),
        // An https origin is reached through a CONNECT tunnel, so TLS runs from this process to the
        // origin and the proxy sees only its host name. A plain-http origin is sent to the proxy as an
        // absolute URL, which is what forward proxies expect: many allow CONNECT to port 443 only.
        proxyTunnel: false,
        proxyTls: { timeout: connectTimeoutMs },
        requestTls: { timeout: connectTimeoutMs },
      });
    }),
    via: proxy.origin,
  };
}

/** Routing and its refusal as a value, so a client can be built before the environment is used. */
export function routeOrError(target: URL, connectTimeoutMs: number): Route | RaytioError {
  try {
    return routeTo(target, connectTimeoutMs);
  } catch (error) {
    if (error instanceof RaytioError) return error;
    throw error;
  }
}

/** A failure before a complete answer arrived, reduced to what decides retries and messages. */
export interface OutboundFailure {
  /** A Node socket code (ECONNREFUSED, ECONNRESET, a TLS certificate code) or ECONNABORTED for a timeout. */
  code: string;
  /** True when the request cannot have reached the server (no connection was made). */
  notSent: boolean;
  /** What a proxy answered when it would not carry the request. */
  proxyStatus?: number;
}

const NOT_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN"]);

/**
 * undici's codes in the vocabulary the messages and retry rules already use. A timeout reads as
 * ECONNABORTED, as it did on node:http; a socket closed under a request as ECONNRESET.
 */
const UNDICI_CODES: Readonly<Record<string, string>> = {
  UND_ERR_HEADERS_TIMEOUT: "ECONNABORTED",
  UND_ERR_BODY_TIMEOUT: "ECONNABORTED",
  UND_ERR_SOCKET: "ECONNRESET",
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: "ECONNRESET",
  UND_ERR_CLOSED: "ECONNRESET",
};

/**
 * undici reports a proxy's refusal only in its message: "Proxy response (407) !== 200 when HTTP
 * Tunneling" for CONNECT, "Proxy Authentication Required (407)" for a forwarded request. The status
 * is read from there; test/proxy.test.ts fails if a new undici words it differently.
 */
const PROXY_REFUSAL = /^Proxy (?:response|Authentication Required) \((\d{3})\)/;

export function outboundFailure(error: unknown): OutboundFailure {
  const record = (error ?? {}) as { code?: unknown; message?: unknown; cause?: unknown };
  const message = typeof record.message === "string" ? record.message : "";
  const refusal = PROXY_REFUSAL.exec(message);
  if (refusal) return { code: "EPROXY", notSent: true, proxyStatus: Number(refusal[1]) };
  let code = typeof record.code === "string" ? record.code : "ERR_NETWORK";
  // A certificate problem behind a proxy arrives wrapped; its cause names it.
  if (code === "UND_ERR_PRX_TLS") {
    const cause = (record.cause ?? {}) as { code?: unknown };
    code = typeof cause.code === "string" ? cause.code : code;
  }
  if (code === "UND_ERR_CONNECT_TIMEOUT") return { code: "ETIMEDOUT", notSent: true };
  return { code: UNDICI_CODES[code] ?? code, notSent: NOT_SENT_CODES.has(code) };
}

/** The second sentence of a proxy refusal: what to change. `host` names what the proxy refused to reach. */
export function proxyAdvice(status: number, host: string): string {
  return status === 407
    ? "It wants credentials: give them in the proxy URL (http://user:password@host:port)."
    : `Check that the proxy allows ${host}, or list the host in NO_PROXY.`;
}
