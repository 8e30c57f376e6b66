import { describe, expect, it } from "vitest";
import { bypassesProxy } from "./no-proxy.js";

const bypasses = (url: string, noProxy: string | undefined) => bypassesProxy(new URL(url), noProxy);

describe("NO_PROXY", () => {
  it("proxies everything when unset or empty, and nothing when it is *", () => {
    expect(bypasses("https://api.rayt.io/", undefined)).toBe(false);
    expect(bypasses("https://api.rayt.io/", " ")).toBe(false);
    expect(bypasses("https://api.rayt.io/", "*")).toBe(true);
  });

  it("matches a name exactly, in any case, with or without a trailing dot", () => {
    expect(bypasses("https://api.rayt.io/", "API.Rayt.IO")).toBe(true);
    expect(bypasses("https://api.rayt.io./", "api.rayt.io")).toBe(true);
    expect(bypasses("https://api.rayt.io/", "rayt.io")).toBe(false);
    expect(bypasses("https://notapi.rayt.io/", "api.rayt.io")).toBe(false);
  });

  it("matches every name under a .suffix or *.suffix, and the suffix's own name", () => {
    for (const entry of [".rayt.io", "*.rayt.io"]) {
      expect(bypasses("https://api.rayt.io/", entry)).toBe(true);
      expect(bypasses("https://rayt.io/", entry)).toBe(true);
      expect(bypasses("https://notrayt.io/", entry)).toBe(false);
    }
  });

  it("reads a list separated by commas and white space, and matches a port only when given", () => {
    expect(bypasses("https://api.rayt.io/", "example.com,\tinternal  api.rayt.io")).toBe(true);
    expect(bypasses("https://api.rayt.io/", "api.rayt.io:443")).toBe(true);
    expect(bypasses("https://api.rayt.io/", "api.rayt.io:8443")).toBe(false);
    expect(bypasses("http://api.rayt.io/", "api.rayt.io:80")).toBe(true);
    expect(bypasses("http://[::1]:8080/", "[::1]:8080")).toBe(true);
    expect(bypasses("http://[::1]:8080/", "[::1]:9090")).toBe(false);
  });

  it("matches addresses in a CIDR range, IPv4 and IPv6", () => {
    expect(bypasses("http://10.1.2.3/", "10.0.0.0/8")).toBe(true);
    expect(bypasses("http://11.1.2.3/", "10.0.0.0/8")).toBe(false);
    expect(bypasses("http://[fd12::5]/", "fd00::/8")).toBe(true);
    expect(bypasses("http://[fe80::5]/", "fd00::/8")).toBe(false);
    expect(bypasses("http://api.rayt.io/", "10.0.0.0/8")).toBe(false);
    expect(bypasses("http://10.1.2.3/", "10.0.0.0/99")).toBe(false);
  });

  it("compares addresses in their canonical form", () => {
    expect(bypasses("http://127.1/", "127.0.0.1")).toBe(true);
    expect(bypasses("http://[::ffff:10.0.0.1]/", "10.0.0.1")).toBe(true);
    expect(bypasses("http://10.0.0.1/", "::ffff:10.0.0.1")).toBe(true);
    expect(bypasses("http://[0:0:0:0:0:0:0:1]/", "::1")).toBe(true);
    expect(bypasses("https://xn--bcher-kva.example/", "bücher.example")).toBe(true);
  });

  it("treats every loopback name as the same host", () => {
    for (const entry of ["localhost", "127.0.0.1", "::1", "[::1]"]) {
      expect(bypasses("http://localhost:3000/", entry)).toBe(true);
      expect(bypasses("http://127.0.0.1:3000/", entry)).toBe(true);
      expect(bypasses("http://[::1]:3000/", entry)).toBe(true);
    }
    expect(bypasses("http://10.0.0.1/", "localhost")).toBe(false);
  });

  it("ignores entries that are not host names", () => {
    expect(bypasses("https://api.rayt.io/", "http://api.rayt.io, ,")).toBe(false);
  });
});
