import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from "node:https";
import type { Duplex } from "node:stream";
import { type ConnectionOptions, connect as tlsConnect } from "node:tls";
import { getProxyForUrl } from "proxy-from-env";
import { RaytioError } from "../errors.js";
import { bypassesProxy } from "./no-proxy.js";

/**
 * How requests to one origin leave this process: straight to it, or through the forward proxy the
 * environment names. The environment is read the way axios read it (this client replaced axios):
 * `HTTPS_PROXY`/`HTTP_PROXY` by the target's scheme, then `ALL_PROXY`, in either case, with the
 * exceptions `NO_PROXY` lists (see bypassesProxy).
 */
export interface Route {
  /** Pools connections across calls; for an https origin behind a proxy, it opens CONNECT tunnels. */
  readonly agent: HttpAgent;
  readonly send: typeof httpRequest;
  /** Where the request's socket goes: the origin, or the proxy for plain-HTTP proxying. */
  readonly protocol: string;
  readonly hostname: string;
  readonly port: string;
  /** A plain-HTTP forward proxy takes the absolute URL in the request line. */
  readonly absoluteForm: boolean;
  readonly headers: Readonly<Record<string, string>>;
  /** The proxy's origin, without credentials: safe to name in errors. */
  readonly via: string | undefined;
}

/**
 * Connections stay open between calls, so a tool call costs one request on a warm connection rather
 * than a TCP (and TLS, and CONNECT) handshake. One agent per route serves every client in the process
 * (the HTTP transport has one per session), with the options of Node's own global agents: an idle
 * connection is closed after 5 s, before a server or load balancer drops it under a request.
 */
const AGENT_OPTIONS = { keepAlive: true, scheduling: "lifo", timeout: 5_000 } as const;
const agents = new Map<string, HttpAgent>();

function sharedAgent(key: string, create: () => HttpAgent): HttpAgent {
  let agent = agents.get(key);
  if (!agent) {
    agent = create();
    agents.set(key, agent);
  }
  return agent;
}

/** An IPv6 literal is bracketed in a URL but not in a host name. */
const hostnameOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, "$1");

function proxyAuthorization(proxy: URL): Record<string, string> {
  if (!proxy.username && !proxy.password) return {};
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { "Proxy-Authorization": `Basic ${Buffer.from(credentials, "utf8").toString("base64")}` };
}

/** A proxy that would not carry the request: the status it answered with, for the error message. */
export class ProxyRefusal extends Error {
  readonly code = "EPROXY";
  constructor(readonly status: number) {
    super(`the proxy answered HTTP ${status}`);
  }
}

/**
 * An https agent whose connections are TLS sessions with the origin inside a CONNECT tunnel through
 * the proxy, so the proxy sees only the host name and never the token or the data. The tunnelled
 * sockets are pooled like direct ones.
 */
class TunnelAgent extends HttpsAgent {
  constructor(private readonly proxy: URL) {
    super(AGENT_OPTIONS);
  }

  override createConnection(
    options: RequestOptions,
    callback?: (error: Error | null, socket: Duplex) => void,
  ): undefined {
    // Node's agent takes an error alone (no socket) when a connection could not be made.
    const done = (callback ?? (() => {})) as (error: Error | null, socket?: Duplex) => void;
    const host = options.hostname ?? options.host ?? "localhost";
    const authority = `${host.includes(":") ? `[${host}]` : host}:${options.port ?? 443}`;
    const proxy = endpointOf(this.proxy);
    const connect = proxy.send({
      hostname: proxy.hostname,
      port: proxy.port,
      method: "CONNECT",
      path: authority,
      headers: { Host: authority, ...proxyAuthorization(this.proxy) } satisfies OutgoingHttpHeaders,
      agent: false,
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    });
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      done(error);
    };
    connect.once("connect", (response: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (response.statusCode !== 200) {
        socket.destroy();
        fail(new ProxyRefusal(response.statusCode ?? 0));
        return;
      }
      if (head.length > 0) socket.unshift(head);
      settled = true;
      // The agent's options carry the origin's name for SNI and certificate checks, as for a direct connection.
      const { timeout: _socketTimeout, ...tlsOptions } = options;
      done(null, tlsConnect({ ...tlsOptions, socket } as ConnectionOptions));
    });
    connect.once("timeout", () =>
      connect.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })),
    );
    connect.once("error", fail);
    connect.end();
    return undefined;
  }
}

function parseProxy(setting: string, origin: URL): URL {
  try {
    const proxy = new URL(setting);
    if (proxy.protocol === "http:" || proxy.protocol === "https:") return proxy;
  } catch {
    // Reported below without the value, which may carry credentials.
  }
  const scheme = origin.protocol.replace(":", "").toUpperCase();
  throw new RaytioError(
    "CONFIG_INVALID",
    `The proxy named by ${scheme}_PROXY (or ALL_PROXY) is not an http:// or https:// URL. Fix or unset it, or list the Raytio host in NO_PROXY.`,
  );
}

/** Where a connection to `url`'s host goes: TCP, or TLS for https; an empty port is the scheme's. */
function endpointOf(url: URL): Pick<Route, "send" | "protocol" | "hostname" | "port"> {
  return {
    send: url.protocol === "https:" ? httpsRequest : httpRequest,
    protocol: url.protocol,
    hostname: hostnameOf(url),
    port: url.port,
  };
}

/** The pooled agent for plain connections of one protocol (straight to the API, or to a forward proxy). */
function directAgent(protocol: string): HttpAgent {
  return sharedAgent(protocol, () =>
    protocol === "https:" ? new HttpsAgent(AGENT_OPTIONS) : new HttpAgent(AGENT_OPTIONS),
  );
}

/** The route to `origin` under the current environment. Throws CONFIG_INVALID for an unusable proxy URL. */
export function routeTo(origin: URL): Route {
  const setting = getProxyForUrl(origin.href);
  if (!setting || bypassesProxy(origin)) {
    return {
      ...endpointOf(origin),
      agent: directAgent(origin.protocol),
      absoluteForm: false,
      headers: {},
      via: undefined,
    };
  }
  const proxy = parseProxy(setting, origin);
  if (origin.protocol === "https:") {
    return {
      ...endpointOf(origin),
      agent: sharedAgent(`tunnel ${proxy.href}`, () => new TunnelAgent(proxy)),
      absoluteForm: false,
      headers: {},
      via: proxy.origin,
    };
  }
  return {
    ...endpointOf(proxy),
    agent: directAgent(proxy.protocol),
    absoluteForm: true,
    headers: proxyAuthorization(proxy),
    via: proxy.origin,
  };
}
