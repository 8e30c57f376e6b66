import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";

/**
 * The address rate limits are counted against. Each proxy appends the address it received the
 * request from to X-Forwarded-For (nginx `$proxy_add_x_forwarded_for`, AWS ALB), so with `hops`
 * trusted proxies the client is the entry `hops` from the right; anything further left was written by
 * the client and can be anything. A header shorter than the proxy chain means some proxy did not add
 * to it: its leftmost entry is then the furthest address known, as Express's `trust proxy` decides.
 */
export function clientAddress(req: IncomingMessage, hops: number): string {
  const peer = req.socket.remoteAddress ?? "unknown";
  if (hops <= 0) return peer;
  const header = req.headers["x-forwarded-for"];
  const entries = (Array.isArray(header) ? header.join(",") : (header ?? ""))
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  if (entries.length === 0) return peer;
  const chosen = entries[Math.max(0, entries.length - hops)] ?? "";
  // Not an address at all (a proxy misconfigured, or none there): the peer is the only fact left.
  return isIP(chosen) ? chosen : peer;
}
