import { constants, type KeyObject, publicEncrypt, randomBytes, webcrypto } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { raytioErrorFrom as failure } from "../../test/support/raytio-error.js";
import { parseWadekEnvelope } from "./envelopes.js";
import { generateKeyPair, type RsaKeyPair } from "./maxcryptor.js";
import { keyIdOf, keyIdOfNumbers, unwrapDek, wrapDek } from "./wadek.js";

let alice: RsaKeyPair;
let bob: RsaKeyPair;

beforeAll(async () => {
  [alice, bob] = await Promise.all([generateKeyPair({ bits: 2048 }), generateKeyPair({ bits: 2048 })]);
});

describe("key ids", () => {
  it("matches the RFC 7638 §3.1 example thumbprint", () => {
    const n =
      "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs" +
      "tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5h" +
      "ajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    expect(keyIdOfNumbers({ n, e: "AQAB" })).toBe("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  });

  it("names the public half whether given the public or the private key", () => {
    expect(keyIdOf(alice.privateKey)).toBe(alice.kid);
    expect(keyIdOf(alice.publicKey)).toBe(alice.kid);
    expect(alice.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(bob.kid).not.toBe(alice.kid);
  });
});

describe("wrapDek / unwrapDek", () => {
  it("round-trips a 32-byte DEK and labels the envelope with the recipient's kid", () => {
    const dek = randomBytes(32);
    const envelope = wrapDek(dek, { key: alice.publicKey, kid: alice.kid });
    expect(envelope).toMatchObject({ v: 1, kind: "wadek", alg: "RSA-OAEP-256", kid: alice.kid });
    expect(Buffer.from(envelope.wrapped, "base64")).toHaveLength(256);
    const unwrapped = unwrapDek(
      parseWadekEnvelope(envelope),
      { key: alice.privateKey, kid: alice.kid },
      "Record r",
    );
    expect(unwrapped).toEqual(dek);
  });

  it("is randomised: the same DEK wraps differently every time", () => {
    const dek = randomBytes(32);
    const recipient = { key: alice.publicKey, kid: alice.kid };
    expect(wrapDek(dek, recipient).wrapped).not.toBe(wrapDek(dek, recipient).wrapped);
  });

  it("reports a kid mismatch as WRONG_KEY before touching the key", () => {
    const envelope = parseWadekEnvelope(wrapDek(randomBytes(32), { key: alice.publicKey, kid: alice.kid }));
    // Not a key at all: any RSA attempt would throw a TypeError instead of WRONG_KEY.
    const notAKey = { key: {} as KeyObject, kid: bob.kid };
    const error = failure(() => unwrapDek(envelope, notAKey, "Record r"));
    expect(error.code).toBe("WRONG_KEY");
    expect(error.message).toContain("Record r");
    expect(error.details).toEqual({ expectedKid: bob.kid, envelopeKid: alice.kid });
  });

  it("reports an OAEP failure as DECRYPTION_FAILED naming the step", () => {
    const envelope = parseWadekEnvelope(wrapDek(randomBytes(32), { key: alice.publicKey, kid: alice.kid }));
    // Right label, wrong key: the kid check passes and RSA-OAEP must fail.
    const error = failure(() =>
      unwrapDek(envelope, { key: bob.privateKey, kid: alice.kid }, "Application key (x)"),
    );
    expect(error.code).toBe("DECRYPTION_FAILED");
    expect(error.message).toBe("Application key (x): RSA-OAEP unwrapping of the data key failed.");
    expect(error.cause).toBeUndefined();
  });

  it("rejects an unwrapped key that is not 32 bytes", () => {
    const wrapped = publicEncrypt(
      { key: alice.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
      randomBytes(16),
    );
    const error = failure(() =>
      unwrapDek({ kid: alice.kid, wrapped }, { key: alice.privateKey, kid: alice.kid }, "Record r"),
    );
    expect(error.code).toBe("DECRYPTION_FAILED");
    expect(error.message).toContain("not 32 bytes");
  });

  it("refuses to wrap a DEK of the wrong size", () => {
    expect(failure(() => wrapDek(randomBytes(16), { key: alice.publicKey, kid: alice.kid })).code).toBe(
      "INTERNAL_ERROR",
    );
  });

  it("interoperates with WebCrypto RSA-OAEP (SHA-256, MGF1-SHA-256, no label)", async () => {
    const dek = randomBytes(32);
    const publicKey = await webcrypto.subtle.importKey(
      "jwk",
      alice.publicJwk,
      { name: "RSA-OAEP", hash: "SHA-256" },
      false,
      ["encrypt"],
    );
    const wrapped = Buffer.from(await webcrypto.subtle.encrypt({ name: "RSA-OAEP" }, publicKey, dek));
    expect(
      unwrapDek({ kid: alice.kid, wrapped }, { key: alice.privateKey, kid: alice.kid }, "Record r"),
    ).toEqual(dek);

    const privateKey = await webcrypto.subtle.importKey(
      "pkcs8",
      alice.privateKey.export({ format: "der", type: "pkcs8" }),
      { name: "RSA-OAEP", hash: "SHA-256" },
      false,
      ["decrypt"],
    );
    const ours = Buffer.from(wrapDek(dek, { key: alice.publicKey, kid: alice.kid }).wrapped, "base64");
    expect(Buffer.from(await webcrypto.subtle.decrypt({ name: "RSA-OAEP" }, privateKey, ours))).toEqual(dek);
  });
});
