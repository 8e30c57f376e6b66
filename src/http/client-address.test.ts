import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { clientAddress } from "./client-address.js";

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
