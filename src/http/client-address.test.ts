import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { clientAddress, rateLimitKey } from "./client-address.js";

const request = (forwarded: string | undefined, peer = "192.0.2.1") =>
  ({
    headers: forwarded === undefined ? {} : { "x-forwarded-for": forwarded },
    socket: { remoteAddress: peer },
  }) as unknown as IncomingMessage;

describe("clientAddress", () => {
  it("ignores X-Forwarded-For unless proxies are trusted", () => {
    expect(clientAddress(request("203.0.113.7"), 0)).toBe("192.0.2.1");
  });

  it("takes the entry the trusted proxy appended, not one the client sent", () => {
    // The client sent "10.0.0.5"; the one proxy appended the address it saw.
    expect(clientAddress(request("10.0.0.5, 203.0.113.7"), 1)).toBe("203.0.113.7");
    expect(clientAddress(request("10.0.0.6,203.0.113.7"), 1)).toBe("203.0.113.7");
    expect(clientAddress(request("203.0.113.7"), 1)).toBe("203.0.113.7");
  });

  it("counts hops from the right through a chain of proxies", () => {
    expect(clientAddress(request("10.9.9.9, 203.0.113.7, 198.51.100.2"), 2)).toBe("203.0.113.7");
    expect(clientAddress(request("2001:db8::7, 198.51.100.2"), 2)).toBe("2001:db8::7");
    // Fewer entries than proxies: the leftmost is the furthest address known.
    expect(clientAddress(request("203.0.113.7"), 3)).toBe("203.0.113.7");
  });

  it("falls back to the peer when the header is missing or not an address", () => {
    expect(clientAddress(request(undefined), 1)).toBe("192.0.2.1");
    expect(clientAddress(request(" , "), 1)).toBe("192.0.2.1");
    expect(clientAddress(request("10.0.0.1, rate:limit:key"), 1)).toBe("192.0.2.1");
  });
});

describe("rateLimitKey", () => {
  it("groups IPv6 addresses by their /64, however they are written", () => {
    const key = rateLimitKey("2001:db8:1:2::1");
    expect(key).toBe("2001:db8:1:2::/64");
    for (const other of [
      "2001:db8:1:2::2",
      "2001:0db8:0001:0002:ffff:ffff:ffff:fffe",
      "2001:DB8:1:2:aaaa:bbbb:cccc:dddd",
      "2001:db8:1:2::7%eth0",
    ])
      expect(rateLimitKey(other)).toBe(key);
    expect(rateLimitKey("2001:db8:1:3::1")).not.toBe(key);
    expect(rateLimitKey("::1")).toBe("0:0:0:0::/64");
    expect(rateLimitKey("64:ff9b::192.0.2.1")).toBe("64:ff9b:0:0::/64");
  });

  it("counts an IPv4-mapped address as the IPv4 address it carries", () => {
    expect(rateLimitKey("::ffff:127.0.0.1")).toBe("127.0.0.1");
    expect(rateLimitKey("::FFFF:192.0.2.1")).toBe("192.0.2.1");
    expect(rateLimitKey("192.0.2.1")).toBe("192.0.2.1");
    expect(clientAddress(request(undefined, "::ffff:192.0.2.9"), 0)).toBe("192.0.2.9");
    expect(clientAddress(request("::ffff:203.0.113.7"), 1)).toBe("203.0.113.7");
  });
});
