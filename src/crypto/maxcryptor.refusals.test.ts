import { generateKeyPairSync, randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  raytioErrorFrom as failure,
  raytioRejectionFrom as rejection,
} from "../../test/support/raytio-error.js";
import {
  AgentKeyring,
  createPasswordEnvelope,
  decryptData,
  encryptData,
  exportPrivateKey,
  generateKeyPair,
  importPrivateKey,
  importPublicJwk,
  lockPrivateKey,
  openPasswordEnvelope,
  openSealedBytes,
  openSealedValue,
  type PasswordEnvelope,
  type RsaKeyPair,
  type SealedValue,
  sealBytes,
  sealPrivateKey,
  sealValue,
} from "./maxcryptor.js";
import { publicJwkNumbers, unwrapDek, wrapDek } from "./wadek.js";

/** Every refusal the API promises: its code, its message and the field or step it names. */
const PASSWORD = "correct horse battery staple";
const FAST = { iterations: 1000 };

let user: RsaKeyPair;
let app: RsaKeyPair;
let userEnvelope: PasswordEnvelope;
let sealedAppKey: SealedValue;

beforeAll(async () => {
  [user, app] = await Promise.all([generateKeyPair({ bits: 2048 }), generateKeyPair({ bits: 2048 })]);
  userEnvelope = await lockPrivateKey(user.privateKey, PASSWORD, FAST);
  sealedAppKey = sealPrivateKey(app.privateKey, user.publicJwk);
});

const ecKeys = () => generateKeyPairSync("ec", { namedCurve: "P-256" });

describe("keys", () => {
  it("refuses a public key where a private one is needed", () => {
    const sealed = sealValue(1, user.publicJwk);
    for (const run of [
      () => exportPrivateKey(user.publicKey),
      () => openSealedBytes(sealed, user.publicKey),
    ]) {
      const error = failure(run);
      expect(error.code).toBe("VALIDATION");
      expect(error.message).toBe("Expected a private key.");
      expect(error.details).toEqual({ field: "privateKey" });
    }
  });

  it("refuses bytes that are not a PKCS#8 RSA private key, naming the key", () => {
    const junk = failure(() => importPrivateKey(randomBytes(64)));
    expect(junk.code).toBe("UNSUPPORTED_ENVELOPE");
    expect(junk.message).toBe("Private key: the plaintext is not a PKCS#8 private key.");
    const ec = ecKeys().privateKey.export({ format: "der", type: "pkcs8" });
    const notRsa = failure(() => importPrivateKey(ec, "Application key"));
    expect(notRsa.message).toBe("Application key: only RSA private keys are supported.");
  });

  it("refuses a public JWK that is not an object or has no usable numbers", () => {
    for (const jwk of [null, "jwk", 7]) {
      const error = failure(() => importPublicJwk(jwk));
      expect(error.message).toBe("Public key is not a JWK object.");
      expect(error.details).toEqual({ field: "jwk" });
    }
    const { n, e } = user.publicJwk;
    for (const jwk of [
      { kty: "RSA", e },
      { kty: "RSA", n },
      { kty: "RSA", n: 1, e },
    ]) {
      const error = failure(() => importPublicJwk(jwk));
      expect(error.message).toBe("Public key: jwk.n and jwk.e must be base64url strings.");
      expect(error.details).toEqual({ field: "jwk.n" });
    }
    // Node reads almost any n and e; what it makes of them is then too small a key.
    const broken = failure(() => importPublicJwk({ kty: "RSA", n: "AA", e: "" }));
    expect(broken.message).toBe("Public key: the modulus must be at least 2048 bits.");
    expect(broken.details).toEqual({ field: "jwk.n" });
  });

  it("says which JWK member is unsupported", () => {
    const jwk = user.publicJwk;
    const cases: Array<[unknown, string, string]> = [
      [{ ...jwk, kty: "EC" }, 'Public key: unsupported jwk.kty (supported: "RSA").', "jwk.kty"],
      [{ ...jwk, alg: "RSA1_5" }, 'Public key: unsupported jwk.alg (supported: "RSA-OAEP-256").', "jwk.alg"],
      [{ ...jwk, use: "sig" }, 'Public key: unsupported jwk.use (supported: "enc").', "jwk.use"],
      [{ ...jwk, kid: "other" }, "Public key: jwk.kid is not the RFC 7638 thumbprint of the key.", "jwk.kid"],
    ];
    for (const [candidate, message, field] of cases) {
      const error = failure(() => importPublicJwk(candidate));
      expect(error.message).toBe(message);
      expect(error.details?.field).toBe(field);
    }
    // Without a kid, the thumbprint is computed; alg and use may be left out.
    const { kid: _kid, alg: _alg, use: _use, ...bare } = jwk;
    expect(importPublicJwk(bare).kid).toBe(jwk.kid);
  });

  it("refuses a key size it would not generate", async () => {
    for (const bits of [1024, 2047, 2049, 2048.5]) {
      const error = await rejection(generateKeyPair({ bits }));
      expect(error.message).toBe("RSA keys must be a whole number of bytes and at least 2048 bits.");
      expect(error.details).toEqual({ field: "bits" });
    }
  });

  it("computes key ids only for RSA keys", () => {
    const error = failure(() => publicJwkNumbers(ecKeys().publicKey));
    expect(error.code).toBe("UNSUPPORTED_ENVELOPE");
    expect(error.message).toBe("Only RSA keys (kty RSA, RSA-OAEP-256) are supported.");
    expect(error.details).toEqual({ field: "kty" });
    expect(publicJwkNumbers(user.publicKey)).toEqual({ n: user.publicJwk.n, e: user.publicJwk.e });
    expect(publicJwkNumbers(user.privateKey)).toEqual({ n: user.publicJwk.n, e: user.publicJwk.e });
  });

  it("seals to a private key's public half", () => {
    const sealed = sealValue({ a: 1 }, app.privateKey);
    expect(sealed.encrypted_key.kid).toBe(app.kid);
    expect(openSealedValue(sealed, app.privateKey)).toEqual({ a: 1 });
  });
});

describe("password envelopes", () => {
  it("refuse parameters outside the supported ones when locking", async () => {
    const cases: Array<[object, string, string]> = [
      [{ iterations: 0 }, "PBKDF2 iterations must be a whole number from 1 to 10000000.", "iterations"],
      [
        { iterations: 10_000_001 },
        "PBKDF2 iterations must be a whole number from 1 to 10000000.",
        "iterations",
      ],
      [{ iterations: 1.5 }, "PBKDF2 iterations must be a whole number from 1 to 10000000.", "iterations"],
      [{ ...FAST, hash: "SHA-1" }, "Unsupported kdf.hash (supported: SHA-256, SHA-512).", "kdf.hash"],
    ];
    for (const [options, message, field] of cases) {
      const error = await rejection(createPasswordEnvelope(Buffer.from("x"), PASSWORD, options));
      expect(error.code).toBe("VALIDATION");
      expect(error.message).toBe(message);
      expect(error.details).toEqual({ field });
    }
  });

  it("refuse an empty or malformed password, naming the field", async () => {
    const empty = await rejection(createPasswordEnvelope(Buffer.from("x"), "", FAST));
    expect(empty.message).toBe("The encryption password must not be empty.");
    expect(empty.details).toEqual({ field: "password" });
    const lone = await rejection(openPasswordEnvelope(userEnvelope, "a\uD800b"));
    expect(lone.message).toBe("The encryption password must be a well-formed Unicode string.");
    expect(lone.details).toEqual({ field: "password" });
  });

  it("say which step a malformed envelope failed in", async () => {
    const error = await rejection(openPasswordEnvelope({ ...userEnvelope, enc: "A128GCM" }, PASSWORD));
    expect(error.message).toMatch(/^User key: password envelope: unsupported enc/);
    expect(error.details).toMatchObject({ step: "user_key", field: "enc" });
  });
});

describe("data keys and sealed values", () => {
  it("refuse a data key that is not 32 bytes", () => {
    const envelope = encryptData(Buffer.from("x"), randomBytes(32));
    for (const run of [
      () => encryptData(Buffer.from("x"), randomBytes(16)),
      () => decryptData(envelope, randomBytes(31)),
      () => wrapDek(randomBytes(16), { key: user.publicKey, kid: user.kid }),
    ]) {
      const error = failure(run);
      expect(error.code).toBe("INTERNAL_ERROR");
      expect(error.message).toBe("A data key must be 32 bytes.");
    }
  });

  it("refuse to seal what has no JSON form", () => {
    const error = failure(() => sealValue(undefined as never, user.publicJwk));
    expect(error.code).toBe("VALIDATION");
    expect(error.message).toBe("Only JSON values can be sealed.");
    expect(error.details).toEqual({ field: "value" });
  });

  it("seal text as UTF-8", () => {
    const sealed = sealValue("pässwörd ✓", user.publicJwk);
    expect(openSealedBytes(sealed, user.privateKey).toString("utf8")).toBe('"pässwörd ✓"');
  });

  it("name authentic plaintext that is not UTF-8 JSON, with the label given", () => {
    for (const bytes of [Buffer.from("not json"), Buffer.from([0xff, 0xfe, 0x22])]) {
      const sealed = sealBytes(bytes, user.publicJwk);
      const error = failure(() => openSealedValue(sealed, user.privateKey, { label: "Record abc" }));
      expect(error.code).toBe("UNSUPPORTED_ENVELOPE");
      expect(error.message).toBe("Record abc: the decrypted plaintext is not UTF-8 JSON.");
      expect(error.details).toEqual({ step: "value" });
      const unlabelled = failure(() => openSealedValue(sealed, user.privateKey));
      expect(unlabelled.message).toBe("Sealed value: the decrypted plaintext is not UTF-8 JSON.");
    }
  });

  it("label every failure with what was being opened", () => {
    const sealed = sealValue({ a: 1 }, user.publicJwk);
    const wrong = failure(() => openSealedValue(sealed, app.privateKey, { label: "Record abc" }));
    expect(wrong.code).toBe("WRONG_KEY");
    expect(wrong.message).toMatch(/^Record abc is encrypted to key /);
    const malformed = failure(() =>
      openSealedValue({ ...sealed, encrypted_data: null }, user.privateKey, { label: "Record abc" }),
    );
    expect(malformed.message).toMatch(/^Record abc: sealed value: /);
    expect(malformed.details).toMatchObject({ step: "value" });
  });

  it("bind aad: the same bytes open only with the aad they were sealed with", () => {
    const sealed = sealValue({ a: 1 }, user.publicJwk, { aad: "record:1" });
    expect(openSealedValue(sealed, user.privateKey)).toEqual({ a: 1 });
    const moved = { ...sealed, encrypted_data: { ...sealed.encrypted_data, aad: "record:2" } };
    expect(failure(() => openSealedValue(moved, user.privateKey)).code).toBe("DECRYPTION_FAILED");
    const stripped = { ...sealed, encrypted_data: { ...sealed.encrypted_data, aad: undefined } };
    expect(failure(() => openSealedValue(stripped, user.privateKey)).code).toBe("DECRYPTION_FAILED");
  });
});

describe("a foreign key id", () => {
  it("is named in full up to 64 characters and clipped beyond", () => {
    const envelope = wrapDek(randomBytes(32), { key: user.publicKey, kid: user.kid });
    const recipient = { key: user.privateKey, kid: user.kid };
    const cases: Array<[string, string]> = [
      ["k".repeat(64), "k".repeat(64)],
      ["k".repeat(65), `${"k".repeat(64)}…`],
    ];
    for (const [kid, shown] of cases) {
      const error = failure(() =>
        unwrapDek({ kid, wrapped: Buffer.from(envelope.wrapped, "base64") }, recipient, "Record 1"),
      );
      expect(error.message).toBe(
        `Record 1 is encrypted to key ${shown}, not to the key used to open it (${user.kid}).`,
      );
      expect(error.details).toEqual({ expectedKid: user.kid, envelopeKid: shown });
    }
  });
});

describe("AgentKeyring", () => {
  const recordOf = (nId: unknown) => ({ ...sealValue({ ok: true }, app.publicJwk), n_id: nId });

  it("needs an application id", async () => {
    const keyring = new AgentKeyring({ encryptionPassword: PASSWORD });
    for (const applicationId of ["", 7 as unknown as string]) {
      const error = await rejection(keyring.openApplicationKey(applicationId, sealedAppKey, userEnvelope));
      expect(error.code).toBe("VALIDATION");
      expect(error.message).toBe("An application id is required to open its key.");
      expect(error.details).toEqual({ field: "applicationId" });
    }
    expect((await keyring.openApplicationKey("app-1", sealedAppKey, userEnvelope)).type).toBe("private");
  });

  it("names a record by its n_id, clipped at 100 characters, and plainly 'Record' without one", async () => {
    const keyring = new AgentKeyring({ encryptionPassword: PASSWORD });
    const input = { userKey: userEnvelope, applicationId: "app-1", applicationKey: sealedAppKey };
    const cases: Array<[unknown, string, object]> = [
      ["r".repeat(100), `Record ${"r".repeat(100)}:`, { recordId: "r".repeat(100), applicationId: "app-1" }],
      ["r".repeat(101), `Record ${"r".repeat(100)}…:`, { recordId: "r".repeat(101), applicationId: "app-1" }],
      [42, "Record:", {}],
    ];
    for (const [nId, label, details] of cases) {
      const record = recordOf(nId);
      const broken = { ...record, encrypted_data: { ...record.encrypted_data, enc: "A128GCM" } };
      const error = await rejection(keyring.openRecord({ ...input, record: broken }));
      expect(error.message.startsWith(label), error.message).toBe(true);
      expect(error.details).toMatchObject({ step: "record", ...details });
      if (typeof nId !== "string") expect(error.details).not.toHaveProperty("recordId");
    }
    const nothing = await rejection(keyring.openRecord({ ...input, record: null }));
    expect(nothing.message).toBe("Record: sealed value is not a JSON object.");
  });

  it("labels an application key failure with the application, clipped", async () => {
    const keyring = new AgentKeyring({ encryptionPassword: PASSWORD });
    const id = "a".repeat(101);
    const error = await rejection(
      keyring.openApplicationKey(id, { ...sealedAppKey, encrypted_key: null }, userEnvelope),
    );
    expect(error.message.startsWith(`Application key (application ${"a".repeat(100)}…): `)).toBe(true);
    expect(error.details).toMatchObject({ step: "application_key", applicationId: id });
  });

  it("opens a key again after a failure that was not a wrong password", async () => {
    const keyring = new AgentKeyring({ encryptionPassword: PASSWORD });
    // Authentic bytes that are not a private key: a failure of this envelope, not of the password.
    const notAKey = await createPasswordEnvelope(Buffer.from("not a key"), PASSWORD, FAST);
    expect((await rejection(keyring.openUserKey(notAKey))).code).toBe("UNSUPPORTED_ENVELOPE");
    await Promise.resolve();
    expect(keyring.stats().cachedUserKeys).toBe(0);
    expect((await keyring.openUserKey(userEnvelope)).type).toBe("private");
    // A wrong password stays cached: it stays wrong.
    const other = new AgentKeyring({ encryptionPassword: "wrong password" });
    expect((await rejection(other.openUserKey(userEnvelope))).code).toBe("DECRYPTION_FAILED");
    await Promise.resolve();
    expect(other.stats().cachedUserKeys).toBe(1);
  });

  it("forgets an application key that failed to open, so a fixed one opens next time", async () => {
    const keyring = new AgentKeyring({ encryptionPassword: PASSWORD });
    const notAKey = sealBytes(Buffer.from("not a key"), user.publicJwk);
    expect((await rejection(keyring.openApplicationKey("app-1", notAKey, userEnvelope))).code).toBe(
      "UNSUPPORTED_ENVELOPE",
    );
    await Promise.resolve();
    expect(keyring.hasApplicationKey("app-1")).toBe(false);
    expect((await keyring.openApplicationKey("app-1", sealedAppKey, userEnvelope)).type).toBe("private");
    expect(keyring.hasApplicationKey("app-1")).toBe(true);
  });
});
