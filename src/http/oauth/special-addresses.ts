import { BlockList, isIP } from "node:net";

/**
 * Which IP addresses a client metadata document may be fetched from. The CIMD draft (§6, SSRF) says
 * the authorization server must not fetch from special-use addresses (RFC 6890 and the IANA
 * special-purpose registries that continue it): a `client_id` is chosen by whoever sends the person to
 * the sign-in page, so without this check it could make the server read its own loopback services, the
 * cloud metadata endpoint (169.254.169.254) or anything on the operator's private network.
 *
 * Matching uses Node's own BlockList. Two of its habits shape this file: an IPv4 rule also matches the
 * IPv4-mapped IPv6 form (`::ffff:10.0.0.1`), which is wanted; and an IPv6 rule covering `::ffff:0:0/96`
 * would match plain IPv4 addresses too, so IPv4 and IPv6 rules live in separate lists and each address
 * is checked only against its own family's rules. An address BlockList cannot read is refused, never
 * let through.
 */
export type AddressCategory =
  | "loopback"
  | "private"
  | "carrier-grade NAT"
  | "link-local"
  | "unique local"
  | "site-local"
  | "this network"
  | "unspecified"
  | "multicast"
  | "documentation"
  | "benchmarking"
  | "IETF protocol assignment"
  | "6to4 relay"
  | "discard-only"
  | "reserved"
  | "scoped"
  | "not an IP address";

type Rule = readonly [category: AddressCategory, prefix: string, bits: number];

/** IANA IPv4 Special-Purpose Address Registry, less the blocks it marks globally reachable. */
const IPV4_RULES: readonly Rule[] = [
  ["this network", "0.0.0.0", 8],
  ["private", "10.0.0.0", 8],
  ["carrier-grade NAT", "100.64.0.0", 10],
  ["loopback", "127.0.0.0", 8],
  ["link-local", "169.254.0.0", 16],
  ["private", "172.16.0.0", 12],
  ["IETF protocol assignment", "192.0.0.0", 24],
  ["documentation", "192.0.2.0", 24],
  ["6to4 relay", "192.88.99.0", 24],
  ["private", "192.168.0.0", 16],
  ["benchmarking", "198.18.0.0", 15],
  ["documentation", "198.51.100.0", 24],
  ["documentation", "203.0.113.0", 24],
  ["multicast", "224.0.0.0", 4],
  ["reserved", "240.0.0.0", 4],
];

/** IANA IPv6 Special-Purpose Address Registry and the non-unicast parts of the address space. */
const IPV6_RULES: readonly Rule[] = [
  ["unspecified", "::", 128],
  ["loopback", "::1", 128],
  ["discard-only", "100::", 64],
  ["reserved", "64:ff9b:1::", 48],
  ["IETF protocol assignment", "2001::", 23],
  ["documentation", "2001:db8::", 32],
  ["documentation", "3fff::", 20],
  ["unique local", "fc00::", 7],
  ["link-local", "fe80::", 10],
  ["site-local", "fec0::", 10],
  ["multicast", "ff00::", 8],
];

/**
 * Prefixes that carry an IPv4 address inside an IPv6 one: a connection to them reaches that IPv4
 * address (through a NAT64 translator or a 6to4 relay), so the embedded address decides.
 */
const EMBEDDING = [
  // RFC 6052 well-known NAT64 prefix: the IPv4 address is the last 32 bits.
  { prefix: [0x64, 0xff9b, 0, 0, 0, 0], at: 96 },
  // RFC 3056 6to4: the IPv4 address follows the 2002::/16 prefix.
  { prefix: [0x2002], at: 16 },
] as const;

function listOf(rules: readonly Rule[], family: "ipv4" | "ipv6"): Map<AddressCategory, BlockList> {
  const lists = new Map<AddressCategory, BlockList>();
  for (const [category, prefix, bits] of rules) {
    let list = lists.get(category);
    if (!list) {
      list = new BlockList();
      lists.set(category, list);
    }
    list.addSubnet(prefix, bits, family);
  }
  return lists;
}

/** The IPv6 subnet holding every IPv4 address of `ipv4/bits` embedded after `prefix` (16-bit groups). */
function embedded(prefix: readonly number[], at: number, ipv4: string, bits: number): [string, number] {
  const octets = ipv4.split(".").map(Number);
  const high = ((octets[0] ?? 0) << 8) | (octets[1] ?? 0);
  const low = ((octets[2] ?? 0) << 8) | (octets[3] ?? 0);
  const groups = [...prefix, high, low];
  while (groups.length < 8) groups.push(0);
  return [groups.map((group) => group.toString(16)).join(":"), at + bits];
}

const IPV4 = listOf(IPV4_RULES, "ipv4");
const IPV6 = listOf(IPV6_RULES, "ipv6");
const EMBEDDED = listOf(
  EMBEDDING.flatMap(({ prefix, at }) =>
    IPV4_RULES.map(([category, ipv4, bits]): Rule => [category, ...embedded(prefix, at, ipv4, bits)]),
  ),
  "ipv6",
);
const MAPPED = new BlockList();
MAPPED.addSubnet("::ffff:0:0", 96, "ipv6");
/** Global unicast (2000::/3) and the NAT64 prefix are the only IPv6 space a public host can be in. */
const GLOBAL_IPV6 = new BlockList();
GLOBAL_IPV6.addSubnet("2000::", 3, "ipv6");
GLOBAL_IPV6.addSubnet("64:ff9b::", 96, "ipv6");

function firstMatch(
  lists: Map<AddressCategory, BlockList>,
  address: string,
  family: "ipv4" | "ipv6",
): AddressCategory | undefined {
  for (const [category, list] of lists) if (list.check(address, family)) return category;
  return undefined;
}

/** The special-use category of an address, or undefined for a public (globally reachable) one. */
export function specialUseCategory(address: string): AddressCategory | undefined {
  // A zone index (fe80::1%eth0) names an interface of this machine: never a public host.
  if (address.includes("%")) return "scoped";
  const family = isIP(address);
  if (family === 4) return firstMatch(IPV4, address, "ipv4");
  if (family !== 6) return "not an IP address";
  // IPv4-mapped (::ffff:10.0.0.1) is the IPv4 address itself on a dual-stack socket.
  if (MAPPED.check(address, "ipv6")) return firstMatch(IPV4, address, "ipv6");
  const special = firstMatch(IPV6, address, "ipv6") ?? firstMatch(EMBEDDED, address, "ipv6");
  if (special) return special;
  return GLOBAL_IPV6.check(address, "ipv6") ? undefined : "reserved";
}

/** Whether a connection to `address` is allowed; loopback only when `allowLoopback` (tests). */
export function addressRefusal(
  address: string,
  options: { allowLoopback: boolean },
): AddressCategory | undefined {
  const category = specialUseCategory(address);
  if (category === "loopback" && options.allowLoopback) return undefined;
  return category;
}
