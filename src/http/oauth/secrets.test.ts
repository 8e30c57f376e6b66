import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  constantTimeEqual,
  digest,
  isValidChallenge,
  newId,
  newSecret,
  seal,
  unseal,
  verifyPkce,
} from "./secrets.js";

const challengeOf = (verifier: string) => createHash("sha256").update(verifier, "ascii").digest("base64url");

describe("secrets handed to clients", () => {
  it("are 256 random bits after their prefix, and never repeat", () => {
    const secrets = Array.from({ length: 50 }, () => newSecret("rmcp_at"));
    for (const secret of secrets) expect(secret).toMatch(/^rmcp_at_[A-Za-z0-9_-]{43}$/);
    expect(new Set(secrets).size).toBe(secrets.length);
  });

  it("ids are 128 random bits, base64url", () => {
    const ids = Array.from({ length: 50 }, () => newId());
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("are stored as their SHA-256 in hex (FIPS 180-2 example)", () => {
    expect(digest("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // UTF-8, so a non-ASCII secret is hashed as the bytes a client sent.
    expect(digest("é")).toBe(
      createHash("sha256")
        .update(Buffer.from([0xc3, 0xa9]))
        .digest("hex"),
    );
  });
});

describe("constantTimeEqual", () => {
  it("is true only for the same text", () => {
    expect(constantTimeEqual("same-text", "same-text")).toBe(true);
    expect(constantTimeEqual("", "")).toBe(true);
    expect(constantTimeEqual("same-text", "same-texT")).toBe(false);
    expect(constantTimeEqual("short", "shorter")).toBe(false);
    expect(constantTimeEqual("shorter", "short")).toBe(false);
    expect(constantTimeEqual("abc", "")).toBe(false);
  });
});

describe("sealed values", () => {
  it("differ every time the same text is sealed, and open only unaltered", () => {
    const first = seal("token-a", "access", "payload");
    const second = seal("token-a", "access", "payload");
    expect(first).not.toBe(second);
    expect(unseal("token-a", "access", second)).toBe("payload");
    expect(first).not.toContain("payload");
    const bytes = Buffer.from(first, "base64url");
    // The IV (0-11), the tag (12-27) and the body (28-) are each covered by the tag.
    for (const index of [0, 11, 12, 27, 28, bytes.length - 1]) {
      const altered = Buffer.from(bytes);
      altered[index] = (altered[index] ?? 0) ^ 1;
      expect(unseal("token-a", "access", altered.toString("base64url")), `byte ${index}`).toBeUndefined();
    }
    expect(unseal("token-a", "access", first.slice(0, 20))).toBeUndefined();
    expect(unseal("token-a", "access", "")).toBeUndefined();
  });

  it("still open after an upgrade: a blob sealed by this version (kept in Redis across a rolling deploy)", () => {
    // Written once by seal("rmcp_at_known-token", "access", …); a change to the key derivation, its salt or
    // the layout would strand every grant in the store.
    const stored = "S29BEfNYI5iUZziBxjM2BBnzOf9OyXFpyn7TwTv9nItqhMxtXsWYakEsJGFdZ3ilztpmxmt2mMDH1Q";
    expect(unseal("rmcp_at_known-token", "access", stored)).toBe('{"email":"person@example.com"}');
  });

  it("round-trip any text, JSON and non-ASCII included", () => {
    for (const text of ["", '{"email":"person@example.com"}', "pässwörd ✓ 🔑"]) {
      expect(unseal("token", "code", seal("token", "code", text))).toBe(text);
    }
  });
});

describe("PKCE (RFC 7636)", () => {
  it("takes a challenge of exactly 43 base64url characters, the length of an S256 digest", () => {
    expect(isValidChallenge(challengeOf("x".repeat(43)))).toBe(true);
    expect(isValidChallenge("A".repeat(43))).toBe(true);
    expect(isValidChallenge(`${"-_".repeat(21)}a`)).toBe(true);
    for (const wrong of [
      "A".repeat(42),
      "A".repeat(44),
      `${"A".repeat(42)}=`,
      `${"A".repeat(42)}+`,
      `${"A".repeat(42)}/`,
      "",
    ]) {
      expect(isValidChallenge(wrong), wrong).toBe(false);
    }
    expect(isValidChallenge(`${"A".repeat(43)}\n`)).toBe(false);
    expect(isValidChallenge(` ${"A".repeat(43)}`)).toBe(false);
  });

  it("accepts verifiers of 43 to 128 unreserved characters whose S256 is the challenge", () => {
    for (const verifier of ["a".repeat(43), "b".repeat(128), `${"A0".repeat(20)}._~-`]) {
      expect(verifyPkce(verifier, challengeOf(verifier)), verifier).toBe(true);
    }
    for (const verifier of [
      "a".repeat(42),
      "b".repeat(129),
      `${"a".repeat(43)}+`,
      `${"a".repeat(43)} `,
      `${"a".repeat(43)}/`,
    ]) {
      // Even when the challenge was computed from that very verifier.
      expect(verifyPkce(verifier, challengeOf(verifier)), verifier).toBe(false);
    }
    expect(verifyPkce(`\n${"a".repeat(43)}`, challengeOf(`\n${"a".repeat(43)}`))).toBe(false);
    expect(verifyPkce("a".repeat(43), challengeOf("a".repeat(44)))).toBe(false);
  });
});
