import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../logger.js";
import { newRequestId, type RequestContext, runInRequest } from "../request-context.js";
import { telemetry } from "../telemetry.js";
import { clientAddress } from "./client-address.js";

/**
 * One access-log line per HTTP request, whatever answered it: the OAuth and MCP endpoints, the Host and
 * Origin gates (403), the bearer check (401), size limits (413), rate limits (429), drain (503). The
 * line is written when the response ends (for a stream, when it closes) with the method, the route
 * (one of the server's own paths, or "other": never the raw path, which could carry anything), the
 * status, the duration, the OAuth client and a hash of the person, once the request proved who they
 * are. Each request runs in a request context whose id every log line it causes carries, and which the
 * response returns as X-Request-Id.
 */

/** A person in the log without their Raytio id: the same person gives the same hash on every replica. */
export function personHash(subject: string): string {
  return createHash("sha256").update(`raytio-mcp person:${subject}`).digest("hex").slice(0, 16);
}

/** An id a trusted proxy passed on, when it looks like one; anything else is replaced. */
const FORWARDED_ID = /^[A-Za-z0-9._:-]{8,64}$/;

export interface AccessLogOptions {
  logger: Logger;
  /** The server's own paths: any other is logged as "other". */
  routes: ReadonlySet<string>;
  /** MCP_TRUST_PROXY: the client address, and whether X-Request-Id from the proxy is kept. */
  trustProxy: number;
}

export function withAccessLog(
  options: AccessLogOptions,
  listener: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { logger, routes, trustProxy } = options;
  return (req, res) => {
    const started = performance.now();
    const forwarded = trustProxy > 0 ? req.headers["x-request-id"] : undefined;
    const context: RequestContext = {
      requestId: typeof forwarded === "string" && FORWARDED_ID.test(forwarded) ? forwarded : newRequestId(),
    };
    res.setHeader("X-Request-Id", context.requestId);
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const route = routes.has(path) ? path : "other";
    const method = /^[A-Z]{1,10}$/.test(req.method ?? "") ? (req.method as string) : "other";
    res.once("close", () => {
      const seconds = (performance.now() - started) / 1000;
      // Headers never sent: the client left (or a timeout closed the connection) before any answer.
      const status = res.headersSent ? res.statusCode : 0;
      telemetry().httpRequest(route, method, status, seconds);
      runInRequest(context, () =>
        (status >= 500 ? logger.warn : logger.info)("HTTP request", {
          method,
          route,
          status,
          duration_ms: Math.round(seconds * 10_000) / 10,
          ip: clientAddress(req, trustProxy),
          ...(context.clientId ? { client_id: context.clientId } : {}),
          ...(context.subject ? { person: personHash(context.subject) } : {}),
        }),
      );
    });
    runInRequest(context, () => listener(req, res));
  };
}
