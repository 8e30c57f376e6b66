import type { IncomingMessage, ServerResponse } from "node:http";

/** Small helpers for node:http responses shared by the OAuth and MCP endpoints. */

export class BodyTooLargeError extends Error {}

/** The body stopped arriving: the client disconnected, or the request timeout closed the connection. */
export class RequestAbortedError extends Error {}

export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > maxBytes) throw new BodyTooLargeError();
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) throw new BodyTooLargeError();
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw error;
    throw new RequestAbortedError("The request body did not arrive", { cause: error });
  }
  return Buffer.concat(chunks);
}

/** True when `value` nests arrays and objects deeper than `max` (walked without recursion). */
export function jsonNestingExceeds(value: unknown, max: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 0]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, depth] = next;
    if (item === null || typeof item !== "object") continue;
    if (depth >= max) return true;
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return false;
}

/** Form-encoded or JSON bodies, both read as URLSearchParams (OAuth clients send either). */
export function formOf(req: IncomingMessage, body: Buffer): URLSearchParams {
  const type = String(req.headers["content-type"] ?? "").toLowerCase();
  if (type.startsWith("application/json")) {
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    const params = new URLSearchParams();
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
      for (const [key, value] of Object.entries(parsed)) {
        if (typeof value === "string") params.set(key, value);
        else if (typeof value === "number" || typeof value === "boolean") params.set(key, String(value));
      }
    }
    return params;
  }
  return new URLSearchParams(body.toString("utf8"));
}

/** Token-bearing responses must never be cached (RFC 6749 §5.1). */
export const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" } as const;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", ...NO_STORE, ...headers });
  res.end(JSON.stringify(body));
}

export function sendOAuthError(
  res: ServerResponse,
  status: number,
  error: string,
  description: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error, error_description: description }, headers);
}

/** The MCP transport's own error shape, for problems found before a request reaches it. */
export function sendJsonRpcError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { jsonrpc: "2.0", error: { code, message }, id: null }, headers);
}

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Browser pages of the authorization server: never cached, never framed, no scripts at all. */
export function pageHeaders(formTarget: string | undefined): Record<string, string> {
  const formAction = ["'self'", formTarget].filter(Boolean).join(" ");
  return {
    "Content-Type": "text/html; charset=utf-8",
    ...NO_STORE,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    // Chrome applies form-action to the redirect after a form post, so the client's origin is allowed too.
    "Content-Security-Policy": `default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
  };
}
