import { describe, expect, it } from "vitest";
import { raytioErrorFrom as failure } from "../../test/support/raytio-error.js";
import type { RaytioError } from "../errors.js";
import {
  parseDataEnvelope,
  parsePasswordEnvelope,
  parseSealedValue,
  parseWadekEnvelope,
} from "./envelopes.js";

const IV = Buffer.alloc(12, 7).toString("base64");
const CT = Buffer.alloc(40, 9).toString("base64");
const SALT = Buffer.alloc(16, 3).toString("base64");
const WRAPPED = Buffer.alloc(256, 5).toString("base64");

const password = () => ({
  v: 1,
  kind: "password",
  kdf: { alg: "PBKDF2", hash: "SHA-256", iterations: 1000, salt: SALT },
  enc: "A256GCM",
  iv: IV,
  ct: CT,
});
const data = () => ({ v: 1, kind: "data", enc: "A256GCM", iv: IV, ct: CT });
const wadek = () => ({ v: 1, kind: "wadek", alg: "RSA-OAEP-256", kid: "some-kid", wrapped: WRAPPED });
const sealed = () => ({ n_id: "rec-1", encrypted_data: data(), encrypted_key: wadek() });

function expectUnsupported(run: () => unknown, field: string): RaytioError {
  const error = failure(run);
  expect(error.code).toBe("UNSUPPORTED_ENVELOPE");
  expect(error.message).toContain(field);
  expect(error.details?.field).toBe(field);
  return error;
}

describe("parsing valid envelopes", () => {
  it("decodes a password envelope and splits the tag from the ciphertext", () => {
    const parsed = parsePasswordEnvelope(password());
    expect(parsed.hash).toBe("SHA-256");
    expect(parsed.iterations).toBe(1000);
    expect(parsed.salt).toEqual(Buffer.alloc(16, 3));
    expect(parsed.iv).toEqual(Buffer.alloc(12, 7));
    expect(parsed.ciphertext).toHaveLength(24);
    expect(parsed.tag).toHaveLength(16);
  });

  it("accepts SHA-512 and whatever iteration count and salt the envelope carries", () => {
    const envelope = password();
    envelope.kdf = {
      ...envelope.kdf,
      hash: "SHA-512",
      iterations: 210_000,
      salt: Buffer.alloc(32, 1).toString("base64"),
    };
    const parsed = parsePasswordEnvelope(envelope);
    expect(parsed).toMatchObject({ hash: "SHA-512", iterations: 210_000 });
    expect(parsed.salt).toHaveLength(32);
  });

  it("reads aad when present and leaves it undefined when absent", () => {
    expect(parseDataEnvelope({ ...data(), aad: "n-1" }).aad).toBe("n-1");
    expect(parseDataEnvelope(data()).aad).toBeUndefined();
  });

  it("accepts URL-safe unpadded binary fields", () => {
    const envelope = { ...wadek(), wrapped: Buffer.alloc(255, 0xfb).toString("base64url") };
    expect(parseWadekEnvelope(envelope).wrapped).toEqual(Buffer.alloc(255, 0xfb));
  });

  it("parses a record (sealed value plus n_id)", () => {
    const parsed = parseSealedValue(sealed());
    expect(parsed.key.kid).toBe("some-kid");
    expect(parsed.data.iv).toHaveLength(12);
  });
});

describe("unknown format selectors are UNSUPPORTED_ENVELOPE naming the field", () => {
  it.each([
    ["v", { ...password(), v: 2 }],
    ["v", { ...password(), v: "1" }],
    ["kind", { ...password(), kind: "passphrase" }],
    ["enc", { ...password(), enc: "A128GCM" }],
    ["kdf.alg", { ...password(), kdf: { ...password().kdf, alg: "scrypt" } }],
    ["kdf.hash", { ...password(), kdf: { ...password().kdf, hash: "SHA-1" } }],
    ["kdf.hash", { ...password(), kdf: { ...password().kdf, hash: "sha-256" } }],
  ])("password envelope: %s", (field, envelope) => {
    const error = expectUnsupported(() => parsePasswordEnvelope(envelope), field);
    expect(error.message).toMatch(new RegExp(`unsupported ${field.replace(".", "\\.")} \\(supported: `));
  });

  it.each([
    ["v", { ...data(), v: 0 }],
    ["kind", { ...data(), kind: "wadek" }],
    ["enc", { ...data(), enc: "XC20P" }],
  ])("data envelope: %s", (field, envelope) => {
    expectUnsupported(() => parseDataEnvelope(envelope), field);
  });

  it.each([
    ["v", { ...wadek(), v: 2 }],
    ["kind", { ...wadek(), kind: "data" }],
    ["alg", { ...wadek(), alg: "RSA-OAEP" }],
    ["alg", { ...wadek(), alg: "RSA1_5" }],
  ])("wadek envelope: %s", (field, envelope) => {
    expectUnsupported(() => parseWadekEnvelope(envelope), field);
  });

  it.each([
    ["encrypted_data.enc", { ...sealed(), encrypted_data: { ...data(), enc: "A128CBC-HS256" } }],
    ["encrypted_data.v", { ...sealed(), encrypted_data: { ...data(), v: 3 } }],
    ["encrypted_key.alg", { ...sealed(), encrypted_key: { ...wadek(), alg: "ECDH-ES" } }],
    ["encrypted_key.kind", { ...sealed(), encrypted_key: { ...wadek(), kind: "password" } }],
  ])("sealed value: %s", (field, envelope) => {
    expectUnsupported(() => parseSealedValue(envelope), field);
  });

  it("reports the version before anything else that is wrong", () => {
    expectUnsupported(() => parseDataEnvelope({ v: 9, kind: "nope", enc: "nope" }), "v");
    expectUnsupported(
      () => parsePasswordEnvelope({ ...password(), v: 2, kdf: { alg: "x", hash: "y" } }),
      "v",
    );
  });
});

describe("malformed envelopes", () => {
  it.each([
    ["iv", { ...data(), iv: Buffer.alloc(16).toString("base64") }, "12 bytes"],
    ["iv", { ...data(), iv: undefined }, "missing"],
    ["ct", { ...data(), ct: Buffer.alloc(15).toString("base64") }, "tag"],
    ["ct", { ...data(), ct: "not base64!" }, "not valid base64"],
    ["ct", { ...data(), ct: 42 }, "missing or is not of type string"],
    ["aad", { ...data(), aad: 7 }, "aad"],
  ])("data envelope with a bad %s", (field, envelope, reason) => {
    const error = expectUnsupported(() => parseDataEnvelope(envelope), field);
    expect(error.message).toContain(reason);
  });

  it.each([
    ["kdf.iterations", { ...password(), kdf: { ...password().kdf, iterations: 0 } }],
    ["kdf.iterations", { ...password(), kdf: { ...password().kdf, iterations: 1.5 } }],
    ["kdf.iterations", { ...password(), kdf: { ...password().kdf, iterations: 1e12 } }],
    ["kdf.salt", { ...password(), kdf: { ...password().kdf, salt: "" } }],
  ])("password envelope with a bad %s", (field, envelope) => {
    expectUnsupported(() => parsePasswordEnvelope(envelope), field);
  });

  it.each([
    ["kid", { ...wadek(), kid: "" }],
    ["wrapped", { ...wadek(), wrapped: "" }],
  ])("wadek envelope with an empty %s", (field, envelope) => {
    expectUnsupported(() => parseWadekEnvelope(envelope), field);
  });

  it.each([null, "{}", [], 42])("rejects %j, which is not an object", (input) => {
    expect(failure(() => parseDataEnvelope(input)).code).toBe("UNSUPPORTED_ENVELOPE");
  });

  it("names fields but never echoes the values it rejects", () => {
    const secret = "hunter2-correct-horse";
    const envelopes: Array<[() => unknown, string]> = [
      [() => parseDataEnvelope({ ...data(), enc: secret }), "enc"],
      [() => parseDataEnvelope({ ...data(), ct: `${secret}!` }), "ct"],
      [() => parseDataEnvelope({ ...data(), iv: { secret } }), "iv"],
      [() => parsePasswordEnvelope({ ...password(), kdf: { ...password().kdf, hash: secret } }), "kdf.hash"],
      [() => parseWadekEnvelope({ ...wadek(), alg: secret }), "alg"],
    ];
    for (const [run, field] of envelopes) {
      const error = expectUnsupported(run, field);
      expect(`${error.message} ${JSON.stringify(error.details)}`).not.toContain(secret);
    }
  });
});

describe("what a refusal says", () => {
  it("names the field that selects a format first, at any depth", () => {
    const bad = {
      ...sealed(),
      encrypted_data: { ...data(), iv: 7 },
      encrypted_key: { ...wadek(), alg: "RSA1_5" },
    };
    const error = expectUnsupported(() => parseSealedValue(bad), "encrypted_key.alg");
    expect(error.message).toBe('sealed value: unsupported encrypted_key.alg (supported: "RSA-OAEP-256").');
    expect(error.details).toEqual({ field: "encrypted_key.alg", supported: ["RSA-OAEP-256"] });
    // Among fields that select nothing, the first zod reports.
    const plain = expectUnsupported(() => parseDataEnvelope({ ...data(), iv: 7, ct: 8 }), "iv");
    expect(plain.message).toBe("data envelope: iv is missing or is not of type string.");
    expect(plain.details).toEqual({ field: "iv" });
  });

  it("says a number is out of range and a string is empty", () => {
    const low = expectUnsupported(
      () => parsePasswordEnvelope({ ...password(), kdf: { ...password().kdf, iterations: 0 } }),
      "kdf.iterations",
    );
    expect(low.message).toBe("password envelope: kdf.iterations is out of range.");
    const high = expectUnsupported(
      () => parsePasswordEnvelope({ ...password(), kdf: { ...password().kdf, iterations: 10_000_001 } }),
      "kdf.iterations",
    );
    expect(high.message).toBe("password envelope: kdf.iterations is out of range.");
    expect(expectUnsupported(() => parseWadekEnvelope({ ...wadek(), kid: "" }), "kid").message).toBe(
      "wadek envelope: kid is empty.",
    );
    // The highest count accepted.
    expect(
      parsePasswordEnvelope({ ...password(), kdf: { ...password().kdf, iterations: 10_000_000 } }).iterations,
    ).toBe(10_000_000);
  });

  it("names what is not an object, with its place in the record", () => {
    for (const input of [null, "text", [data()], 42]) {
      const error = failure(() => parseDataEnvelope(input));
      expect(error.message).toBe("data envelope is not a JSON object.");
      expect(error.details).toEqual({ field: "data envelope" });
      const placed = failure(() => parseWadekEnvelope(input, "encrypted_key"));
      expect(placed.message).toBe("encrypted_key is not a JSON object.");
      expect(placed.details).toEqual({ field: "encrypted_key" });
    }
  });

  it("places the binary fields it decodes under their prefix", () => {
    const cases: Array<[() => unknown, string]> = [
      [
        () => parseSealedValue({ ...sealed(), encrypted_data: { ...data(), iv: "AAAA" } }),
        "encrypted_data.iv",
      ],
      [
        () => parseSealedValue({ ...sealed(), encrypted_data: { ...data(), ct: "AAAA" } }),
        "encrypted_data.ct",
      ],
      [
        () => parseSealedValue({ ...sealed(), encrypted_key: { ...wadek(), wrapped: "A" } }),
        "encrypted_key.wrapped",
      ],
      [
        () => parsePasswordEnvelope({ ...password(), kdf: { ...password().kdf, salt: "A" } }, "user_key"),
        "user_key.kdf.salt",
      ],
      [() => parsePasswordEnvelope({ ...password(), iv: "AAAA" }, "user_key"), "user_key.iv"],
      [() => parsePasswordEnvelope({ ...password(), ct: "AAAA" }, "user_key"), "user_key.ct"],
      [() => parsePasswordEnvelope({ ...password(), kdf: { ...password().kdf, salt: "A" } }), "kdf.salt"],
    ];
    for (const [run, field] of cases) expectUnsupported(run, field);
  });
});
