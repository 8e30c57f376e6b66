import { describe, expect, it } from "vitest";
import { addressRefusal, specialUseCategory } from "./special-addresses.js";

describe("special-use address classification", () => {
  it.each([
    ["0.0.0.0", "this network"],
    ["0.1.2.3", "this network"],
    ["10.0.0.1", "private"],
    ["10.255.255.255", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.254", "private"],
    ["192.168.1.10", "private"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["100.127.255.254", "carrier-grade NAT"],
    ["127.0.0.1", "loopback"],
    ["127.45.6.7", "loopback"],
    ["169.254.169.254", "link-local"],
    ["192.0.0.8", "IETF protocol assignment"],
    ["192.0.2.1", "documentation"],
    ["198.51.100.7", "documentation"],
    ["203.0.113.200", "documentation"],
    ["192.88.99.1", "6to4 relay"],
    ["198.18.0.1", "benchmarking"],
    ["198.19.255.255", "benchmarking"],
    ["224.0.0.251", "multicast"],
    ["239.255.255.250", "multicast"],
    ["240.0.0.1", "reserved"],
    ["255.255.255.255", "reserved"],
  ])("IPv4 %s is %s", (address, category) => {
    expect(specialUseCategory(address)).toBe(category);
  });

  it.each([
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["0:0:0:0:0:0:0:1", "loopback"],
    ["fe80::1", "link-local"],
    ["febf:ffff::1", "link-local"],
    ["fec0::1", "site-local"],
    ["fc00::1", "unique local"],
    ["fd12:3456:789a::1", "unique local"],
    ["ff02::1", "multicast"],
    ["2001:db8::1", "documentation"],
    ["3fff::1", "documentation"],
    ["2001::1", "IETF protocol assignment"],
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "IETF protocol assignment"],
    ["100::1", "discard-only"],
    ["64:ff9b:1::1", "reserved"],
    // IPv4-compatible (deprecated) and anything else outside global unicast.
    ["::10.0.0.1", "reserved"],
    ["::8.8.8.8", "reserved"],
    ["4000::1", "reserved"],
  ])("IPv6 %s is %s", (address, category) => {
    expect(specialUseCategory(address)).toBe(category);
  });

  it.each([
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:10.1.2.3", "private"],
    ["::ffff:a01:203", "private"],
    ["::ffff:169.254.169.254", "link-local"],
    ["::ffff:100.64.0.1", "carrier-grade NAT"],
    ["0:0:0:0:0:ffff:c0a8:101", "private"],
  ])("IPv4-mapped %s is its IPv4 address's category (%s)", (address, category) => {
    expect(specialUseCategory(address)).toBe(category);
  });

  it.each([
    ["64:ff9b::10.0.0.1", "private"],
    ["64:ff9b::7f00:1", "loopback"],
    ["64:ff9b::a9fe:a9fe", "link-local"],
    ["2002:a00:1::1", "private"],
    ["2002:c0a8:101::", "private"],
    ["2002:7f00:1::1", "loopback"],
  ])("an IPv4 address inside NAT64 or 6to4 (%s) is judged by that address (%s)", (address, category) => {
    expect(specialUseCategory(address)).toBe(category);
  });

  it.each([
    "8.8.8.8",
    "1.1.1.1",
    "93.184.215.14",
    "172.32.0.1",
    "100.128.0.1",
    "192.169.0.1",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
  ])("public %s is allowed", (address) => {
    expect(specialUseCategory(address)).toBeUndefined();
  });

  it("refuses what it cannot read rather than letting it through", () => {
    expect(specialUseCategory("fe80::1%eth0")).toBe("scoped");
    expect(specialUseCategory("localhost")).toBe("not an IP address");
    expect(specialUseCategory("")).toBe("not an IP address");
    expect(specialUseCategory("10.0.0.1.")).toBe("not an IP address");
    expect(specialUseCategory("0x7f.1")).toBe("not an IP address");
  });

  it("allows loopback, and only loopback, when tests ask for it", () => {
    const testing = { allowLoopback: true };
    expect(addressRefusal("127.0.0.1", testing)).toBeUndefined();
    expect(addressRefusal("::1", testing)).toBeUndefined();
    expect(addressRefusal("::ffff:127.0.0.1", testing)).toBeUndefined();
    expect(addressRefusal("10.0.0.1", testing)).toBe("private");
    expect(addressRefusal("169.254.169.254", testing)).toBe("link-local");
    expect(addressRefusal("127.0.0.1", { allowLoopback: false })).toBe("loopback");
    expect(addressRefusal("8.8.8.8", { allowLoopback: false })).toBeUndefined();
  });
});
