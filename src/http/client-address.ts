import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";

/**
 * The address rate limits are counted against. Each proxy appends the address it received the
 * request from to X-Forwarded-For (nginx `$proxy_add_x_forwarded_for`, AWS ALB), so with `hops`
 * trusted proxies the client is the entry `hops` from the right; anything further left was written by
 * the client and can be anything. A header shorter than the proxy chain means some proxy did not add
 * to it: its leftmost entry is then the furthest address known, as Express's `trust proxy` decides.
 * An IPv4 address seen through an IPv6 socket (`::ffff:192.0.2.1`) is given in its IPv4 form.
 */
export function clientAddress(req: IncomingMessage, hops: number): string {
  const peer = unmapped(req.socket.remoteAddress ?? "unknown");
  if (hops <= 0) return peer;
  const header = req.headers["x-forwarded-for"];
  const entries = (Array.isArray(header) ? header.join(",") : (header ?? ""))
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  if (entries.length === 0) return peer;
  const chosen = entries[Math.max(0, entries.length - hops)] ?? "";
  // Not an address at all (a proxy misconfigured, or none there): the peer is the only fact left.
  return isIP(chosen) ? unmapped(chosen) : peer;
}

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** `::ffff:192.0.2.1` is 192.0.2.1: the same host must not count twice. */
export function unmapped(address: string): string {
  const match = MAPPED_V4.exec(address);
  return match?.[1] && isIP(match[1]) === 4 ? match[1] : address;
}

/** The eight 16-bit groups of an IPv6 address (any zone id dropped), or undefined. */
function ipv6Groups(address: string): number[] | undefined {
  const bare = address.split("%")[0] ?? "";
  if (isIP(bare) !== 6) return undefined;
  let text = bare;
  // An embedded IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) is two groups.
  const tail = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", rest] = text.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = rest === undefined || rest === "" ? [] : rest.split(":");
  const missing = 8 - left.length - right.length;
  const groups = [...left, ...Array<string>(rest === undefined ? 0 : missing).fill("0"), ...right];
  return groups.length === 8 ? groups.map((group) => Number.parseInt(group, 16)) : undefined;
}

/**
 * The key an address's rate limits and connection count are kept under. One IPv6 host is normally
 * given a whole /64 (SLAAC, privacy addresses), so counting each address apart would hand one host
 * millions of fresh limits: IPv6 addresses are grouped by their /64. IPv4-mapped addresses count as the
 * IPv4 address they carry.
 */
export function rateLimitKey(address: string): string {
  const plain = unmapped(address);
  const groups = ipv6Groups(plain);
  if (!groups) return plain;
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(":")}::/64`;
}
