import { BlockList, isIP } from "node:net";

/**
 * Whether `NO_PROXY` (or `no_proxy`) sends requests to `target` straight to it, with the rules axios
 * applied before this client replaced it. Neither proxy-from-env nor undici's EnvHttpProxyAgent goes
 * beyond names, suffixes and ports (no address ranges, no canonical forms), and the README documents
 * these rules, so they are matched here and outbound.ts picks the undici dispatcher by the result:
 * - `*` matches everything; entries are separated by commas or white space, in any case;
 * - `example.com` matches that host, `.example.com` and `*.example.com` any name ending so;
 * - `host:port` and `[v6]:port` match that port only;
 * - `10.0.0.0/8` and `fd00::/8` match the addresses in the range;
 * - names are compared in the form a URL gives them (punycode, dotted IPv4, compressed IPv6, no
 *   trailing dot), so `127.1` matches `127.0.0.1` and `::ffff:10.0.0.1` matches `10.0.0.1`;
 * - every loopback name (`localhost`, `127.x.x.x`, `::1`, `0.0.0.0`, `::`) matches every other.
 */
export function bypassesProxy(target: URL, noProxy: string | undefined = noProxySetting()): boolean {
  const setting = (noProxy ?? "").trim().toLowerCase();
  if (!setting) return false;
  const host = canonicalHost(target.hostname);
  const port = Number(target.port) || (target.protocol === "https:" ? 443 : 80);
  return setting.split(/[\s,]+/).some((entry) => entry !== "" && entryMatches(entry, host, port));
}

function noProxySetting(): string | undefined {
  return process.env.no_proxy || process.env.NO_PROXY;
}

function entryMatches(entry: string, host: string, port: number): boolean {
  if (entry === "*") return true;
  const range = /^(.+)\/(\d{1,3})$/.exec(entry);
  if (range) return inRange(host, range[1] ?? "", Number(range[2]));
  const [name, entryPort] = splitPort(entry);
  if (entryPort !== undefined && entryPort !== port) return false;
  const suffix = /^\*?\./.exec(name);
  if (suffix) {
    const tail = canonicalHost(name.slice(suffix[0].length));
    return tail !== "" && (host === tail || host.endsWith(`.${tail}`));
  }
  const wanted = canonicalHost(name);
  return wanted !== "" && (host === wanted || (isLoopback(host) && isLoopback(wanted)));
}

function splitPort(entry: string): [string, number | undefined] {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return [bracketed[1] ?? "", bracketed[2] ? Number(bracketed[2]) : undefined];
  const named = /^([^:]+):(\d+)$/.exec(entry);
  if (named) return [named[1] ?? "", Number(named[2])];
  return [entry, undefined];
}

/** A host name in the one form a URL gives it; "" when it is not a host name at all. */
function canonicalHost(raw: string): string {
  const bare = raw.replace(/^\[(.*)\]$/, "$1").replace(/\.+$/, "");
  if (bare === "") return "";
  let host: string;
  try {
    host = new URL(`http://${isIP(bare) === 6 ? `[${bare}]` : bare}/`).hostname;
  } catch {
    return "";
  }
  const unbracketed = host.replace(/^\[(.*)\]$/, "$1");
  return unmapIPv4(unbracketed);
}

/** `::ffff:a.b.c.d` (written by a URL as `::ffff:xxxx:yyyy`) is the IPv4 address a.b.c.d. */
function unmapIPv4(host: string): string {
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!mapped) return host;
  const high = Number.parseInt(mapped[1] ?? "0", 16);
  const low = Number.parseInt(mapped[2] ?? "0", 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join(".");
}

function inRange(host: string, base: string, prefix: number): boolean {
  const family = isIP(host);
  const network = canonicalHost(base);
  if (family === 0 || isIP(network) !== family) return false;
  const type = family === 4 ? "ipv4" : "ipv6";
  if (prefix > (family === 4 ? 32 : 128)) return false;
  const range = new BlockList();
  range.addSubnet(network, prefix, type);
  return range.check(host, type);
}

function isLoopback(host: string): boolean {
  if (host === "localhost" || host === "0.0.0.0" || host === "::" || host === "::1") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}
