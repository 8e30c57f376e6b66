import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { type ErrorCode, RaytioError } from "../errors.js";
import {
  AgentKeyring,
  createPasswordEnvelope,
  generateKeyPair,
  type JsonValue,
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

// Small parameters keep this file to a few seconds: 2048-bit keys made once, 1,000 PBKDF2 iterations.
const FAST = { iterations: 1000 };
const PASSWORD = "property password";

let user: RsaKeyPair;
let app: RsaKeyPair;
let userEnvelope: PasswordEnvelope;
let sealedAppKey: SealedValue;

beforeAll(async () => {
  [user, app] = await Promise.all([generateKeyPair({ bits: 2048 }), generateKeyPair({ bits: 2048 })]);
  userEnvelope = await lockPrivateKey(user.privateKey, PASSWORD, FAST);
  sealedAppKey = sealPrivateKey(app.privateKey, user.publicJwk);
});

function codeOf(run: () => unknown): ErrorCode | "ok" {
  try {
    run();
    return "ok";
  } catch (error) {
    if (error instanceof RaytioError) return error.code;
    throw error;
  }
}

async function asyncCodeOf(run: () => Promise<unknown>): Promise<ErrorCode | "ok"> {
  try {
    await run();
    return "ok";
  } catch (error) {
    if (error instanceof RaytioError) return error.code;
    throw error;
  }
}

/** Flips one bit of the decoded bytes and re-encodes, so the text stays valid base64 of the altered bytes. */
function flipDecodedBit(text: string, bit: number): string {
  const bytes = Buffer.from(text, "base64");
  const index = bit % (bytes.length * 8);
  bytes[index >> 3] = (bytes[index >> 3] ?? 0) ^ (1 << (index & 7));
  return bytes.toString("base64");
}

/** Flips one of the low 7 bits of one character of the text itself (it stays ASCII). */
function flipTextBit(text: string, bit: number): string {
  const index = bit % (text.length * 7);
  const position = Math.floor(index / 7);
  const code = text.charCodeAt(position) ^ (1 << (index % 7));
  return text.slice(0, position) + String.fromCharCode(code) + text.slice(position + 1);
}

type SealedField = "data.iv" | "data.ct" | "data.tag" | "data.aad" | "key.wrapped";

function tamperSealed(
  sealed: SealedValue,
  field: SealedField,
  bit: number,
  flip = flipDecodedBit,
): SealedValue {
  const data = { ...sealed.encrypted_data };
  const key = { ...sealed.encrypted_key };
  switch (field) {
    case "data.iv":
      data.iv = flip(data.iv, bit);
      break;
    case "data.ct":
      data.ct = flip(data.ct, bit);
      break;
    case "data.tag": {
      // Aim at the last 16 bytes, the GCM tag, so tag bits are covered as often as ciphertext bits.
      const ct = Buffer.from(data.ct, "base64");
      const index = (ct.length - 16) * 8 + (bit % 128);
      ct[index >> 3] = (ct[index >> 3] ?? 0) ^ (1 << (index & 7));
      data.ct = ct.toString("base64");
      break;
    }
    case "data.aad":
      data.aad = flipTextBit(data.aad ?? "", bit);
      break;
    case "key.wrapped":
      key.wrapped = flip(key.wrapped, bit);
      break;
  }
  return { encrypted_data: data, encrypted_key: key };
}

describe("round trips", () => {
  it("open(seal(x)) = x for any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.option(fc.string(), { nil: undefined }), (value, aad) => {
        const sealed = sealValue(value as JsonValue, app.publicJwk, aad === undefined ? {} : { aad });
        // JSON itself maps -0 to 0; that is the value's JSON meaning, not a loss in the envelope.
        expect(openSealedValue(sealed, app.privateKey)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 150 },
    );
  });

  it("open(seal(bytes)) = bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        expect(openSealedBytes(sealBytes(bytes, app.publicKey), app.privateKey)).toEqual(Buffer.from(bytes));
      }),
      { numRuns: 100 },
    );
  });

  it("password envelopes open with the password in any Unicode normalisation form", async () => {
    const password = fc
      .string({ unit: "grapheme", minLength: 1, maxLength: 24 })
      .chain((base) =>
        fc.constantFrom(base, `${base}e\u0301`, `${base}\u00c5`, `${base}\u212b`, `${base}\ufb01`),
      );
    await fc.assert(
      fc.asyncProperty(password, fc.uint8Array({ minLength: 1, maxLength: 64 }), async (secret, bytes) => {
        const envelope = await createPasswordEnvelope(bytes, secret, FAST);
        for (const form of ["NFC", "NFD"] as const) {
          expect(await openPasswordEnvelope(envelope, secret.normalize(form))).toEqual(Buffer.from(bytes));
        }
      }),
      { numRuns: 40 },
    );
  });

  it("a different password never opens the envelope", async () => {
    const envelope = await createPasswordEnvelope(Buffer.from("k"), PASSWORD, FAST);
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "grapheme", maxLength: 24 }), async (guess) => {
        fc.pre(guess.normalize("NFC") !== PASSWORD);
        expect(await asyncCodeOf(() => openPasswordEnvelope(envelope, guess))).toBe("DECRYPTION_FAILED");
      }),
      { numRuns: 40 },
    );
  });
});

describe("any single flipped bit fails closed", () => {
  const sealedFields: SealedField[] = ["data.iv", "data.ct", "data.tag", "data.aad", "key.wrapped"];

  it("in a sealed value's IV, ciphertext, tag, aad or wrapped key (decoded bytes): DECRYPTION_FAILED", () => {
    const sealed = sealValue({ secret: "value" }, app.publicJwk, { aad: "rec-1" });
    fc.assert(
      fc.property(fc.constantFrom(...sealedFields), fc.nat(), (field, bit) => {
        expect(codeOf(() => openSealedValue(tamperSealed(sealed, field, bit), app.privateKey))).toBe(
          "DECRYPTION_FAILED",
        );
      }),
      { numRuns: 300 },
    );
  });

  it("in the base64 text itself: never opens (DECRYPTION_FAILED, or UNSUPPORTED_ENVELOPE if no longer base64)", () => {
    // A flipped character may leave the alphabet, mix alphabets or set spare bits (all UNSUPPORTED_ENVELOPE)
    // or be another valid character (different bytes, so DECRYPTION_FAILED). Strict decoding rules out the
    // third possibility of a lenient decoder: a different text that decodes to the same bytes.
    const sealed = sealValue({ secret: "value" }, app.publicJwk, { aad: "rec-1" });
    const fields: SealedField[] = ["data.iv", "data.ct", "key.wrapped"];
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.nat(), (field, bit) => {
        const code = codeOf(() =>
          openSealedValue(tamperSealed(sealed, field, bit, flipTextBit), app.privateKey),
        );
        expect(["DECRYPTION_FAILED", "UNSUPPORTED_ENVELOPE"]).toContain(code);
      }),
      { numRuns: 300 },
    );
  });

  it("in a wadek kid: WRONG_KEY", () => {
    const sealed = sealValue("v", app.publicJwk);
    fc.assert(
      fc.property(fc.nat(), (bit) => {
        const tampered = {
          ...sealed,
          encrypted_key: { ...sealed.encrypted_key, kid: flipTextBit(sealed.encrypted_key.kid, bit) },
        };
        expect(codeOf(() => openSealedValue(tampered, app.privateKey))).toBe("WRONG_KEY");
      }),
      { numRuns: 100 },
    );
  });

  it("in a password envelope's salt, IV, ciphertext or tag: DECRYPTION_FAILED", async () => {
    const envelope = await createPasswordEnvelope(Buffer.from("pkcs8 stand-in"), PASSWORD, FAST);
    const tagBits = (ct: string, bit: number) => {
      const bytes = Buffer.from(ct, "base64");
      const index = (bytes.length - 16) * 8 + (bit % 128);
      bytes[index >> 3] = (bytes[index >> 3] ?? 0) ^ (1 << (index & 7));
      return bytes.toString("base64");
    };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("salt", "iv", "ct", "tag"), fc.nat(), async (field, bit) => {
        const tampered = { ...envelope, kdf: { ...envelope.kdf } };
        if (field === "salt") tampered.kdf.salt = flipDecodedBit(envelope.kdf.salt, bit);
        if (field === "iv") tampered.iv = flipDecodedBit(envelope.iv, bit);
        if (field === "ct") tampered.ct = flipDecodedBit(envelope.ct, bit);
        if (field === "tag") tampered.ct = tagBits(envelope.ct, bit);
        expect(await asyncCodeOf(() => openPasswordEnvelope(tampered, PASSWORD))).toBe("DECRYPTION_FAILED");
      }),
      { numRuns: 80 },
    );
  });

  it("anywhere in the chain a keyring opens: DECRYPTION_FAILED at the step that was altered", async () => {
    const record = { n_id: "rec-1", ...sealValue({ secret: "value" }, app.publicJwk) };
    const steps = ["application key", "record"] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...steps),
        fc.constantFrom(...sealedFields),
        fc.nat(),
        async (step, field, bit) => {
          const keyring = new AgentKeyring({ encryptionPassword: PASSWORD });
          const input = {
            userKey: userEnvelope,
            applicationId: "app",
            applicationKey: sealedAppKey as unknown,
            record: record as unknown,
          };
          if (step === "application key")
            input.applicationKey = tamperSealed(sealedAppKey, field === "data.aad" ? "data.ct" : field, bit);
          else
            input.record = {
              n_id: "rec-1",
              ...tamperSealed(record, field === "data.aad" ? "data.iv" : field, bit),
            };
          try {
            await keyring.openRecord(input);
            expect.unreachable("a tampered chain opened");
          } catch (error) {
            expect(error).toBeInstanceOf(RaytioError);
            expect((error as RaytioError).code).toBe("DECRYPTION_FAILED");
            expect(
              (error as RaytioError).message.startsWith(
                step === "record" ? "Record rec-1:" : "Application key",
              ),
            ).toBe(true);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
