import { describe, expect, it } from "vitest";
import { isLoopback, normalisedRedirectUri, redirectUriProblem, unstableShape } from "./redirect-uri.js";

/** The cases service.test.ts ("redirect URI rules") does not already hold. */
describe("redirectUriProblem", () => {
  it("takes up to 2,000 characters", () => {
    const base = "https://app.example.com/";
    expect(redirectUriProblem(base + "a".repeat(2_000 - base.length))).toBeUndefined();
    expect(redirectUriProblem(base + "a".repeat(2_001 - base.length))).toBe("is too long");
  });

  it.each([
    ["a password", "https://:secret@app.example.com/cb"],
    ["a user and password", "https://user:secret@app.example.com/cb"],
    ["an empty user", "https://@app.example.com/cb"],
  ])("refuses user information: %s", (_, uri) => {
    expect(redirectUriProblem(uri)).toBe("must not contain user information");
  });

  it("keeps an @ after the host (in the path or query) legitimate", () => {
    expect(redirectUriProblem("https://app.example.com/cb/@team")).toBeUndefined();
    expect(redirectUriProblem("https://app.example.com/cb?who=a@b.example")).toBeUndefined();
  });

  it.each([
    ["ftp://app.example.com/cb", "must use https (or http to a loopback address)"],
    ["ws://127.0.0.1:3000/cb", "must use https (or http to a loopback address)"],
    [
      "http://127.0.0.2:3000/cb",
      "must use https (plain http is allowed only for localhost, 127.0.0.1 and [::1])",
    ],
    [
      "http://localhost.example.com/cb",
      "must use https (plain http is allowed only for localhost, 127.0.0.1 and [::1])",
    ],
    ["not a url", "is not a URL"],
    ["https://app.example.com/cb?x=1#", "must not contain a fragment"],
  ])("%s: %s", (uri, problem) => {
    expect(redirectUriProblem(uri)).toBe(problem);
  });

  it("names the normal form to register instead", () => {
    expect(redirectUriProblem("https://app.example.com/a b")).toBe(
      'is not in normal form: register "https://app.example.com/a%20b" instead',
    );
    expect(redirectUriProblem("https://app.example.com/a%20b")).toBeUndefined();
  });
});

describe("unstableShape", () => {
  it.each([
    ["\u0000", "https://app.example.com/c\u0000b"],
    ["\u001f", "https://app.example.com/c\u001fb"],
    ["DEL", "https://app.example.com/c\u007fb"],
  ])("refuses a control character (%s)", (_, uri) => {
    expect(unstableShape(uri)).toBe("must not contain control characters (such as CR or LF)");
  });

  it("allows characters just outside the control ranges", () => {
    expect(unstableShape("https://app.example.com/c b~")).toBeUndefined();
  });

  it.each([
    "https://app.example.com/cb%5cadmin",
    "https://app.example.com/cb%5Cadmin",
    "https://app.example.com/%2E%2E/admin",
    "https://app.example.com/cb%2Fadmin",
  ])("refuses %s", (uri) => {
    expect(unstableShape(uri)).toBe("must not contain percent-encoded dots or slashes in its path");
  });

  it("reads percent-encoding only in the path, not in the host, query or fragment", () => {
    expect(unstableShape("https://app.example.com/cb?next=%2e%2e%2f")).toBeUndefined();
    expect(unstableShape("https://app.example.com/cb#%2e%2e")).toBeUndefined();
    expect(unstableShape("custom:%2e%2e")).toBe(
      "must not contain percent-encoded dots or slashes in its path",
    );
  });

  it.each([
    ["a leading dot segment", "./cb"],
    ["a leading dot-dot segment", "../cb"],
    ["a lone dot", "."],
    ["a trailing dot segment", "https://app.example.com/cb/."],
  ])("refuses %s", (_, uri) => {
    expect(unstableShape(uri)).toBe("must not contain . or .. path segments");
  });

  it("allows names that only start with dots", () => {
    for (const uri of [
      "https://app.example.com/cb/.well-known",
      "https://app.example.com/cb/...",
      "https://app.example.com/cb/..x",
      "https://app.example.com/cb.",
      "https://app.example.com/cb?x=/../",
    ]) {
      expect(unstableShape(uri), uri).toBeUndefined();
    }
  });
});

describe("isLoopback", () => {
  it("is true for the three loopback names only", () => {
    for (const uri of ["http://localhost:3000/cb", "http://127.0.0.1/cb", "http://[::1]:8080/cb"]) {
      expect(isLoopback(uri), uri).toBe(true);
    }
    for (const uri of ["https://app.example.com/cb", "http://127.0.0.2/cb", "not a url", ""]) {
      expect(isLoopback(uri), uri).toBe(false);
    }
  });
});

describe("normalisedRedirectUri", () => {
  it("is the URL as the browser will send it", () => {
    expect(normalisedRedirectUri("https://app.example.com/cb")).toBe("https://app.example.com/cb");
    expect(normalisedRedirectUri("HTTPS://APP.example.com")).toBe("https://app.example.com/");
  });
});
