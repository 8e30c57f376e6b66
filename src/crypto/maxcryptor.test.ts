import { generateKeyPairSync, randomBytes, webcrypto } from "node:crypto";
import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { raytioRejectionFrom as rejection } from "../../test/support/raytio-error.js";
import { RaytioError } from "../errors.js";
import {
  AgentKeyring,
  createPasswordEnvelope,
  DEFAULT_RSA_BITS,
  decryptData,
  encryptData,
  exportPrivateKey,
  generateKeyPair,
  importPublicJwk,
  type JsonValue,
  keyIdOf,
  lockPrivateKey,
  openPasswordEnvelope,
  openSealedBytes,
  openSealedPrivateKey,
  openSealedValue,
  type PasswordEnvelope,
  pbkdf2DerivationCount,
  publicJwkOf,
  type RsaKeyPair,
  type SealedValue,
  sealBytes,
  sealPrivateKey,
  sealValue,
  unlockPrivateKey,
} from "./maxcryptor.js";

// Made by an implementation independent of this one (docs/crypto.md, "Test vectors"); kept verbatim.
const VECTORS_URL = new URL("../../docs/crypto-vectors.json", import.meta.url);

interface VectorCase {
  id: string;
  password: string;
  user_private_key: PasswordEnvelope;
  application_private_key: SealedValue;
  record: SealedValue & { n_id: string };
  expect: { ok: true; value: JsonValue } | { ok: false; error: string };
}

const vectors = JSON.parse(readFileSync(VECTORS_URL, "utf8")) as { spec: string; cases: VectorCase[] };
const PASSWORD = "correct horse battery staple";
const FAST = { iterations: 1000 };

let user: RsaKeyPair;
let app: RsaKeyPair;
let stranger: RsaKeyPair;
let userEnvelope: PasswordEnvelope;
let sealedAppKey: SealedValue;

beforeAll(async () => {
  [user, app, stranger] = await Promise.all(
    [1, 2, 3].map(() => generateKeyPair({ bits: 2048 })) as [
      Promise<RsaKeyPair>,
      Promise<RsaKeyPair>,
      Promise<RsaKeyPair>,
    ],
  );
  userEnvelope = await lockPrivateKey(user.privateKey, PASSWORD, FAST);
  sealedAppKey = sealPrivateKey(app.privateKey, user.publicJwk);
});

function flipFirstByte(text: string): string {
  const bytes = Buffer.from(text, "base64");
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  return bytes.toString("base64");
}

describe("independent test vectors (docs/crypto-vectors.json)", () => {
  it("are the maxcryptor-v1 vectors and include failures", () => {
    expect(vectors.spec).toBe("maxcryptor-v1");
    expect(vectors.cases.length).toBeGreaterThan(0);
    expect(vectors.cases.some((c) => !c.expect.ok)).toBe(true);
  });

  it.each(vectors.cases.map((c) => [c.id, c] as const))("%s (AgentKeyring)", async (_id, c) => {
    const keyring = new AgentKeyring({ encryptionPassword: c.password });
    const opening = keyring.openRecord({
      userKey: c.user_private_key,
      applicationId: "vector-app",
      applicationKey: c.application_private_key,
      record: c.record,
    });
    if (c.expect.ok) {
      expect(await opening).toEqual(c.expect.value);
      expect(keyring.stats().pbkdf2Derivations).toBe(1);
    } else {
      expect((await rejection(opening)).code).toBe(c.expect.error);
    }
  });

  it.each(vectors.cases.filter((c) => c.expect.ok).map((c) => [c.id, c] as const))(
    "%s (step by step, and the application key re-sealed by this implementation)",
    async (_id, c) => {
      const userKey = await unlockPrivateKey(c.user_private_key, c.password);
      expect(keyIdOf(userKey)).toBe(c.application_private_key.encrypted_key.kid);
      const appKey = openSealedPrivateKey(c.application_private_key, userKey);
      expect(keyIdOf(appKey)).toBe(c.record.encrypted_key.kid);
      // The vectors carry the application key as raw PKCS#8 bytes; so must we.
      expect(openSealedBytes(c.application_private_key, userKey)).toEqual(exportPrivateKey(appKey));
      expect(openSealedValue(c.record, appKey)).toEqual(c.expect.ok && c.expect.value);

      const resealed = sealPrivateKey(appKey, publicJwkOf(userKey));
      expect(keyIdOf(openSealedPrivateKey(resealed, userKey))).toBe(keyIdOf(appKey));
    },
  );
});

describe("key pairs", () => {
  it("exposes the public half as the spec's JWK with a thumbprint kid", () => {
    expect(Object.keys(user.publicJwk).sort()).toEqual(["alg", "e", "kid", "kty", "n", "use"]);
    expect(user.publicJwk).toMatchObject({
      kty: "RSA",
      alg: "RSA-OAEP-256",
      use: "enc",
      e: "AQAB",
      kid: user.kid,
    });
    expect(user.privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(exportPrivateKey(user.privateKey)[0]).toBe(0x30);
  });

  it("defaults to 4096-bit keys and refuses anything under 2048", async () => {
    expect((await rejection(generateKeyPair({ bits: 1024 }))).code).toBe("VALIDATION");
    // Generating a 4096-bit key takes seconds; the default is checked without paying for it.
    expect(DEFAULT_RSA_BITS).toBe(4096);
  });

  it("validates public JWKs: kty, alg, use, size and that kid is the thumbprint", async () => {
    expect(importPublicJwk(user.publicJwk).kid).toBe(user.kid);
    const field = (jwk: unknown) => {
      try {
        importPublicJwk(jwk);
      } catch (error) {
        return error instanceof RaytioError ? [error.code, error.details?.field] : ["?"];
      }
      return ["ok"];
    };
    expect(field({ ...user.publicJwk, kty: "EC" })).toEqual(["UNSUPPORTED_ENVELOPE", "jwk.kty"]);
    expect(field({ ...user.publicJwk, alg: "RSA1_5" })).toEqual(["UNSUPPORTED_ENVELOPE", "jwk.alg"]);
    expect(field({ ...user.publicJwk, use: "sig" })).toEqual(["UNSUPPORTED_ENVELOPE", "jwk.use"]);
    expect(field({ ...user.publicJwk, kid: app.kid })).toEqual(["WRONG_KEY", "jwk.kid"]);
    const small = generateKeyPairSync("rsa", { modulusLength: 1024 });
    expect(field(small.publicKey.export({ format: "jwk" }))).toEqual(["UNSUPPORTED_ENVELOPE", "jwk.n"]);
  });
});

describe("password envelopes", () => {
  it("default to PBKDF2-SHA-256, 600,000 iterations, 16-byte salt, A256GCM with a 12-byte IV", async () => {
    // One real 600k derivation (~0.3 s) to pin the defaults that new envelopes must use.
    const envelope = await createPasswordEnvelope(Buffer.from("x"), PASSWORD);
    expect(envelope).toMatchObject({ v: 1, kind: "password", enc: "A256GCM" });
    expect(envelope.kdf).toMatchObject({ alg: "PBKDF2", hash: "SHA-256", iterations: 600_000 });
    expect(Buffer.from(envelope.kdf.salt, "base64")).toHaveLength(16);
    expect(Buffer.from(envelope.iv, "base64")).toHaveLength(12);
    expect(Buffer.from(envelope.ct, "base64")).toHaveLength(1 + 16);
  });

  it("open with the parameters in the envelope, not the defaults (SHA-512, odd counts)", async () => {
    for (const options of [
      { hash: "SHA-512" as const, iterations: 1234 },
      { hash: "SHA-256" as const, iterations: 1 },
    ]) {
      const envelope = await createPasswordEnvelope(Buffer.from("secret bytes"), PASSWORD, options);
      expect(envelope.kdf).toMatchObject(options);
      expect((await openPasswordEnvelope(envelope, PASSWORD)).toString()).toBe("secret bytes");
    }
  });

  it("normalise the password to NFC: a decomposed é opens what the composed é locked", async () => {
    const composed = "caf\u00e9";
    const decomposed = "cafe\u0301";
    expect(composed).not.toBe(decomposed);
    const envelope = await createPasswordEnvelope(Buffer.from("k"), composed, FAST);
    expect((await openPasswordEnvelope(envelope, decomposed)).toString()).toBe("k");
    const other = await createPasswordEnvelope(Buffer.from("k"), decomposed, FAST);
    expect((await openPasswordEnvelope(other, composed)).toString()).toBe("k");
  });

  it("are made with a fresh salt and IV every time", async () => {
    const a = await createPasswordEnvelope(Buffer.from("k"), PASSWORD, FAST);
    const b = await createPasswordEnvelope(Buffer.from("k"), PASSWORD, FAST);
    expect(a.kdf.salt).not.toBe(b.kdf.salt);
    expect(a.iv).not.toBe(b.iv);
  });

  it("follow the spec byte for byte: WebCrypto opens them with the spec's recipe", async () => {
    const envelope = await lockPrivateKey(user.privateKey, "pa\u0301ssword", {
      hash: "SHA-512",
      iterations: 1500,
    });
    const { subtle } = webcrypto;
    const material = await subtle.importKey(
      "raw",
      Buffer.from("pa\u0301ssword".normalize("NFC")),
      "PBKDF2",
      false,
      ["deriveKey"],
    );
    const key = await subtle.deriveKey(
      { name: "PBKDF2", hash: "SHA-512", salt: Buffer.from(envelope.kdf.salt, "base64"), iterations: 1500 },
      material,
      { name: "AES-GCM", length: 256 },
      false,
      ["decrypt"],
    );
    const plaintext = await subtle.decrypt(
      { name: "AES-GCM", iv: Buffer.from(envelope.iv, "base64") },
      key,
      Buffer.from(envelope.ct, "base64"),
    );
    expect(Buffer.from(plaintext)).toEqual(exportPrivateKey(user.privateKey));
  });

  it("refuse empty or malformed passwords when locking", async () => {
    expect((await rejection(createPasswordEnvelope(Buffer.from("k"), "", FAST))).code).toBe("VALIDATION");
    expect((await rejection(createPasswordEnvelope(Buffer.from("k"), "a\ud800b", FAST))).code).toBe(
      "VALIDATION",
    );
    expect(
      (await rejection(createPasswordEnvelope(Buffer.from("k"), PASSWORD, { iterations: 0 }))).code,
    ).toBe("VALIDATION");
  });
});

describe("sealed values", () => {
  it("seal JSON as UTF-8 JSON text under a fresh DEK and IV", async () => {
    const value = { name: "Aroha", tags: ["ü", "漢字"], n: 1.5, ok: true, none: null };
    const a = sealValue(value, app.publicJwk);
    const b = sealValue(value, app.publicKey);
    expect(a.encrypted_data.iv).not.toBe(b.encrypted_data.iv);
    expect(a.encrypted_key.wrapped).not.toBe(b.encrypted_key.wrapped);
    expect(a.encrypted_key.kid).toBe(app.kid);
    expect(openSealedValue(a, app.privateKey)).toEqual(value);
    expect(openSealedBytes(a, app.privateKey).toString("utf8")).toBe(JSON.stringify(value));

    // Independently: unwrap with WebCrypto and decrypt with WebCrypto.
    const { subtle } = webcrypto;
    const rsa = await subtle.importKey(
      "pkcs8",
      exportPrivateKey(app.privateKey),
      { name: "RSA-OAEP", hash: "SHA-256" },
      false,
      ["decrypt"],
    );
    const dek = await subtle.decrypt(
      { name: "RSA-OAEP" },
      rsa,
      Buffer.from(a.encrypted_key.wrapped, "base64"),
    );
    const aes = await subtle.importKey("raw", dek, "AES-GCM", false, ["decrypt"]);
    const text = await subtle.decrypt(
      { name: "AES-GCM", iv: Buffer.from(a.encrypted_data.iv, "base64") },
      aes,
      Buffer.from(a.encrypted_data.ct, "base64"),
    );
    expect(JSON.parse(Buffer.from(text).toString("utf8"))).toEqual(value);
  });

  it("bind aad when given and omit the member when not", () => {
    const bound = sealValue("v", app.publicJwk, { aad: "n-42" });
    expect(bound.encrypted_data.aad).toBe("n-42");
    expect(openSealedValue(bound, app.privateKey)).toBe("v");
    expect("aad" in sealValue("v", app.publicJwk).encrypted_data).toBe(false);
    const moved = { ...bound, encrypted_data: { ...bound.encrypted_data, aad: "n-43" } };
    expect(() => openSealedValue(moved, app.privateKey)).toThrow(
      expect.objectContaining({ code: "DECRYPTION_FAILED" }),
    );
    const stripped = { ...bound, encrypted_data: { ...bound.encrypted_data, aad: undefined } };
    expect(() => openSealedValue(stripped, app.privateKey)).toThrow(
      expect.objectContaining({ code: "DECRYPTION_FAILED" }),
    );
  });

  it("data envelopes round-trip under their DEK and fail closed under another", () => {
    const dek = randomBytes(32);
    const envelope = encryptData(Buffer.from("plain"), dek, { aad: "ctx" });
    expect(envelope).toMatchObject({ v: 1, kind: "data", enc: "A256GCM", aad: "ctx" });
    expect(decryptData(envelope, dek).toString()).toBe("plain");
    expect(() => decryptData(envelope, randomBytes(32))).toThrow(
      expect.objectContaining({ code: "DECRYPTION_FAILED" }),
    );
  });

  it("seal raw bytes as they are", () => {
    const bytes = Buffer.from([0, 255, 1, 254]);
    expect(openSealedBytes(sealBytes(bytes, app.publicJwk), app.privateKey)).toEqual(bytes);
  });

  it("report a value sealed to someone else as WRONG_KEY", () => {
    const sealed = sealValue("v", stranger.publicJwk);
    expect(() => openSealedValue(sealed, app.privateKey)).toThrow(
      expect.objectContaining({ code: "WRONG_KEY" }),
    );
  });

  it("refuse what is not JSON", () => {
    expect(() => sealValue(undefined as unknown as JsonValue, app.publicJwk)).toThrow(
      expect.objectContaining({ code: "VALIDATION" }),
    );
  });
});

describe("AgentKeyring", () => {
  const appId = "app-1";

  it("opens 1,000 records of one application with exactly one PBKDF2 and one application-key unwrap", async () => {
    const keyring = new AgentKeyring({ encryptionPassword: PASSWORD });
    const records = Array.from({ length: 1000 }, (_, i) => ({
      n_id: `rec-${i}`,
      ...sealValue({ i, name: `person ${i}` }, app.publicJwk, i % 2 === 0 ? { aad: `rec-${i}` } : {}),
    }));
    const before = pbkdf2DerivationCount();
    const open = (record: unknown) =>
      keyring.openRecord({
        userKey: userEnvelope,
        applicationId: appId,
        applicationKey: sealedAppKey,
        record,
      });

    // Concurrent first requests must share one derivation rather than racing to start their own.
    const firstBatch = await Promise.all(records.slice(0, 50).map(open));
    const rest: JsonValue[] = [];
    for (const record of records.slice(50)) rest.push(await open(record));

    expect([...firstBatch, ...rest]).toEqual(records.map((_, i) => ({ i, name: `person ${i}` })));
    expect(keyring.stats()).toEqual({
      pbkdf2Derivations: 1,
      userKeysOpened: 1,
      applicationKeysOpened: 1,
      recordsOpened: 1000,
      cachedUserKeys: 1,
      cachedApplicationKeys: 1,
    });
    expect(pbkdf2DerivationCount() - before).toBe(1);
  });

  it("keys the user-key cache by envelope, so a second envelope is derived once more", async () => {
    const keyring = new AgentKeyring({ encryptionPassword: PASSWORD });
    expect(keyIdOf(await keyring.openUserKey(userEnvelope))).toBe(user.kid);
    // Same envelope in the URL-safe alphabet with members reordered: the same bytes, so the same entry.
    const reordered = {
      ct: Buffer.from(userEnvelope.ct, "base64").toString("base64url"),
      iv: userEnvelope.iv,
      enc: userEnvelope.enc,
      kdf: userEnvelope.kdf,
      kind: userEnvelope.kind,
      v: userEnvelope.v,
    };
    await keyring.openUserKey(reordered);
    expect(keyring.stats().pbkdf2Derivations).toBe(1);
    await keyring.openUserKey(await lockPrivateKey(user.privateKey, PASSWORD, FAST));
    expect(keyring.stats()).toMatchObject({ pbkdf2Derivations: 2, cachedUserKeys: 2 });
  });

  it("caches application keys per application id and re-opens when that application's sealed key changes", async () => {
    const keyring = new AgentKeyring({ encryptionPassword: PASSWORD });
    const record = { n_id: "r", ...sealValue("v", app.publicJwk) };
    const input = { userKey: userEnvelope, applicationId: appId, applicationKey: sealedAppKey, record };
    expect(keyring.hasApplicationKey(appId)).toBe(false);
    await keyring.openRecord(input);
    await keyring.openRecord({ ...input, applicationId: "app-2" });
    expect(keyring.hasApplicationKey(appId)).toBe(true);
    expect(keyring.stats()).toMatchObject({ applicationKeysOpened: 2, cachedApplicationKeys: 2 });
    await keyring.openRecord({ ...input, applicationKey: sealPrivateKey(app.privateKey, user.publicJwk) });
    expect(keyring.stats()).toMatchObject({
      applicationKeysOpened: 3,
      cachedApplicationKeys: 2,
      pbkdf2Derivations: 1,
    });
    keyring.forget();
    expect(keyring.stats()).toMatchObject({ cachedApplicationKeys: 0, cachedUserKeys: 0 });
  });

  it("remembers a wrong password instead of paying for PBKDF2 again", async () => {
    const keyring = new AgentKeyring({ encryptionPassword: "not the password" });
    for (let i = 0; i < 3; i++)
      expect((await rejection(keyring.openUserKey(userEnvelope))).code).toBe("DECRYPTION_FAILED");
    expect(keyring.stats()).toMatchObject({ pbkdf2Derivations: 1, userKeysOpened: 0 });
  });

  it("does not count or cache envelopes it cannot parse", async () => {
    const keyring = new AgentKeyring({ encryptionPassword: PASSWORD });
    const error = await rejection(
      keyring.openUserKey({ ...userEnvelope, kdf: { ...userEnvelope.kdf, hash: "MD5" } }),
    );
    expect(error.code).toBe("UNSUPPORTED_ENVELOPE");
    expect(error.message).toMatch(/^User key: .*kdf\.hash/);
    expect(error.details).toMatchObject({ field: "kdf.hash", step: "user_key" });
    expect(keyring.stats()).toMatchObject({ pbkdf2Derivations: 0, cachedUserKeys: 0 });
  });

  it("reports a record sealed to another key as WRONG_KEY", async () => {
    const keyring = new AgentKeyring({ encryptionPassword: PASSWORD });
    const record = { n_id: "r-9", ...sealValue("v", user.publicJwk) };
    const error = await rejection(
      keyring.openRecord({
        userKey: userEnvelope,
        applicationId: appId,
        applicationKey: sealedAppKey,
        record,
      }),
    );
    expect(error.code).toBe("WRONG_KEY");
    expect(error.message).toContain("Record r-9");
    expect(error.details).toMatchObject({
      step: "record",
      recordId: "r-9",
      envelopeKid: user.kid,
      expectedKid: app.kid,
    });
  });

  it("prints as counts, never the password", () => {
    const keyring = new AgentKeyring({ encryptionPassword: PASSWORD });
    for (const text of [
      inspect(keyring, { showHidden: true, depth: 9 }),
      JSON.stringify(keyring),
      String(keyring),
    ]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(Buffer.from(PASSWORD).toString("hex"));
    }
    expect(inspect(keyring)).toBe("AgentKeyring { userKeys: 0, applicationKeys: 0 }");
  });
});

describe("failures say which step failed and never carry secrets", () => {
  const value = { given_name: "Aroha", secret_note: "the eagle lands at dawn" };

  function secrets(): string[] {
    const base64 = [
      exportPrivateKey(user.privateKey).toString("base64"),
      exportPrivateKey(app.privateKey).toString("base64"),
      userEnvelope.ct,
      userEnvelope.kdf.salt,
      sealedAppKey.encrypted_data.ct,
      sealedAppKey.encrypted_key.wrapped,
    ];
    const windows = base64.flatMap((text) => {
      const out: string[] = [];
      for (let i = 0; i + 16 <= text.length; i += 4) out.push(text.slice(i, i + 16));
      return out;
    });
    return [
      PASSWORD,
      "correct horse",
      Buffer.from(PASSWORD).toString("hex"),
      "Aroha",
      "eagle lands",
      exportPrivateKey(app.privateKey).toString("hex").slice(0, 64),
      ...windows,
    ];
  }

  function expectClean(error: RaytioError): void {
    expect(error.cause).toBeUndefined();
    const haystack = [
      error.message,
      error.stack ?? "",
      String(error),
      JSON.stringify(error.details ?? {}),
      inspect(error),
    ].join("\n");
    for (const secret of secrets()) expect(haystack).not.toContain(secret);
  }

  async function attempt(
    overrides: Partial<{ password: string; userKey: unknown; applicationKey: unknown; record: unknown }>,
  ): Promise<RaytioError> {
    const record = { n_id: "rec-7", ...sealValue(value, app.publicJwk) };
    const keyring = new AgentKeyring({ encryptionPassword: overrides.password ?? PASSWORD });
    return rejection(
      keyring.openRecord({
        userKey: overrides.userKey ?? userEnvelope,
        applicationId: "app-7",
        applicationKey: overrides.applicationKey ?? sealedAppKey,
        record: overrides.record ?? record,
      }),
    );
  }

  it("wrong encryption password → user key, check RAYTIO_AGENT_ENCRYPTION_PASSWORD", async () => {
    const error = await attempt({ password: "correct horse battery stapler" });
    expect(error.code).toBe("DECRYPTION_FAILED");
    expect(error.message).toMatch(/^User key: .*\(check RAYTIO_AGENT_ENCRYPTION_PASSWORD\)\.$/);
    expect(error.details).toEqual({ step: "user_key" });
    expectClean(error);
  });

  it("altered user key envelope → user key", async () => {
    const error = await attempt({ userKey: { ...userEnvelope, ct: flipFirstByte(userEnvelope.ct) } });
    expect(error.code).toBe("DECRYPTION_FAILED");
    expect(error.message).toContain("check RAYTIO_AGENT_ENCRYPTION_PASSWORD");
    expectClean(error);
  });

  it("altered application key ciphertext → application key", async () => {
    const applicationKey = {
      ...sealedAppKey,
      encrypted_data: { ...sealedAppKey.encrypted_data, ct: flipFirstByte(sealedAppKey.encrypted_data.ct) },
    };
    const error = await attempt({ applicationKey });
    expect(error.code).toBe("DECRYPTION_FAILED");
    expect(error.message).toMatch(/^Application key \(application app-7\): AES-GCM authentication failed/);
    expect(error.details).toEqual({ step: "application_key", applicationId: "app-7" });
    expectClean(error);
  });

  it("altered application key wrapping → application key", async () => {
    const applicationKey = {
      ...sealedAppKey,
      encrypted_key: {
        ...sealedAppKey.encrypted_key,
        wrapped: flipFirstByte(sealedAppKey.encrypted_key.wrapped),
      },
    };
    const error = await attempt({ applicationKey });
    expect(error.code).toBe("DECRYPTION_FAILED");
    expect(error.message).toBe(
      "Application key (application app-7): RSA-OAEP unwrapping of the data key failed.",
    );
    expectClean(error);
  });

  it("altered record → record", async () => {
    const sealed = sealValue(value, app.publicJwk);
    const record = {
      n_id: "rec-7",
      ...sealed,
      encrypted_data: { ...sealed.encrypted_data, ct: flipFirstByte(sealed.encrypted_data.ct) },
    };
    const error = await attempt({ record });
    expect(error.code).toBe("DECRYPTION_FAILED");
    expect(error.message).toMatch(/^Record rec-7: AES-GCM authentication failed/);
    expect(error.details).toEqual({ step: "record", recordId: "rec-7", applicationId: "app-7" });
    expectClean(error);
  });

  it("record wrapped to a different key → WRONG_KEY, record", async () => {
    const error = await attempt({ record: { n_id: "rec-7", ...sealValue(value, stranger.publicJwk) } });
    expect(error.code).toBe("WRONG_KEY");
    expect(error.message).toMatch(/^Record rec-7 is encrypted to key /);
    expectClean(error);
  });

  it("application key sealed to someone else → WRONG_KEY, application key", async () => {
    const error = await attempt({ applicationKey: sealPrivateKey(app.privateKey, stranger.publicJwk) });
    expect(error.code).toBe("WRONG_KEY");
    expect(error.message).toMatch(/^Application key \(application app-7\) is encrypted to key /);
    expectClean(error);
  });

  it("unsupported or malformed envelopes → UNSUPPORTED_ENVELOPE naming the field, not the value", async () => {
    const sealed = sealValue(value, app.publicJwk);
    const cases: Array<[Parameters<typeof attempt>[0], string]> = [
      [{ userKey: { ...userEnvelope, kdf: { ...userEnvelope.kdf, hash: PASSWORD } } }, "kdf.hash"],
      [{ userKey: { ...userEnvelope, ct: `${userEnvelope.ct}*` } }, "ct"],
      [
        {
          applicationKey: {
            ...sealedAppKey,
            encrypted_data: { ...sealedAppKey.encrypted_data, enc: "A128GCM" },
          },
        },
        "encrypted_data.enc",
      ],
      [
        { record: { n_id: "rec-7", ...sealed, encrypted_key: { ...sealed.encrypted_key, alg: "RSA-OAEP" } } },
        "encrypted_key.alg",
      ],
      [
        { record: { n_id: "rec-7", ...sealed, encrypted_data: { ...sealed.encrypted_data, v: 2 } } },
        "encrypted_data.v",
      ],
    ];
    for (const [overrides, field] of cases) {
      const error = await attempt(overrides);
      expect(error.code).toBe("UNSUPPORTED_ENVELOPE");
      expect(error.details?.field).toBe(field);
      expect(error.message).toContain(field);
      expectClean(error);
    }
  });

  it("the standalone functions fail the same way", async () => {
    const errors = [
      await rejection(openPasswordEnvelope(userEnvelope, "wrong")),
      await rejection(unlockPrivateKey(userEnvelope, "wrong")),
      await rejection(
        Promise.resolve().then(() => openSealedValue(sealValue(value, app.publicJwk), user.privateKey)),
      ),
      await rejection(Promise.resolve().then(() => openSealedPrivateKey(sealedAppKey, app.privateKey))),
    ];
    expect(errors.map((error) => error.code)).toEqual([
      "DECRYPTION_FAILED",
      "DECRYPTION_FAILED",
      "WRONG_KEY",
      "WRONG_KEY",
    ]);
    for (const error of errors) expectClean(error);
  });
});
