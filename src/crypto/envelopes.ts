import { z } from "zod";
import { RaytioError } from "../errors.js";
import { decodeBase64 } from "./base64.js";

/**
 * The four Maxcryptor v1 envelopes of docs/crypto.md, as zod schemas over their JSON form, plus parse helpers
 * that also decode every binary field. Each parameter a decryptor needs comes from here; nothing is
 * defaulted. Anything this version does not know (v, kind, alg, enc, kdf.alg, kdf.hash) is
 * UNSUPPORTED_ENVELOPE naming the field, because guessing at a format is how ciphertext gets misread.
 * Unknown extra members are ignored so that a record's `n_id` and similar metadata can travel alongside.
 */

export const ENVELOPE_VERSION = 1;
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;
export const KDF_HASHES = ["SHA-256", "SHA-512"] as const;
export type KdfHash = (typeof KDF_HASHES)[number];

/**
 * Far above any real setting (OWASP asks 210k-600k) yet low enough that an envelope cannot make the
 * server spend minutes of CPU before failing.
 */
export const MAX_PBKDF2_ITERATIONS = 10_000_000;

const base64Text = z.string();

export const PasswordEnvelopeSchema = z.object({
  v: z.literal(ENVELOPE_VERSION),
  kind: z.literal("password"),
  kdf: z.object({
    alg: z.literal("PBKDF2"),
    hash: z.enum(KDF_HASHES),
    iterations: z.number().int().min(1).max(MAX_PBKDF2_ITERATIONS),
    salt: base64Text,
  }),
  enc: z.literal("A256GCM"),
  iv: base64Text,
  ct: base64Text,
});

export const DataEnvelopeSchema = z.object({
  v: z.literal(ENVELOPE_VERSION),
  kind: z.literal("data"),
  enc: z.literal("A256GCM"),
  iv: base64Text,
  ct: base64Text,
  aad: z.string().optional(),
});

export const WadekEnvelopeSchema = z.object({
  v: z.literal(ENVELOPE_VERSION),
  kind: z.literal("wadek"),
  alg: z.literal("RSA-OAEP-256"),
  kid: z.string().min(1),
  wrapped: base64Text,
});

export const SealedValueSchema = z.object({
  encrypted_data: DataEnvelopeSchema,
  encrypted_key: WadekEnvelopeSchema,
});

export type PasswordEnvelope = z.infer<typeof PasswordEnvelopeSchema>;
export type DataEnvelope = z.infer<typeof DataEnvelopeSchema>;
export type WadekEnvelope = z.infer<typeof WadekEnvelopeSchema>;
export type SealedValue = z.infer<typeof SealedValueSchema>;

/** Envelopes with their binary fields decoded, which is what the cipher code works on. */
export interface ParsedPasswordEnvelope {
  hash: KdfHash;
  iterations: number;
  salt: Buffer;
  iv: Buffer;
  /** Ciphertext without the tag. */
  ciphertext: Buffer;
  tag: Buffer;
}

export interface ParsedDataEnvelope {
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
  aad: string | undefined;
}

export interface ParsedWadekEnvelope {
  kid: string;
  wrapped: Buffer;
}

export interface ParsedSealedValue {
  data: ParsedDataEnvelope;
  key: ParsedWadekEnvelope;
}

/** Fields that select a format; an unknown value in one of them is reported before any other problem. */
const SELECTORS = ["v", "kind", "alg", "enc", "kdf.alg", "kdf.hash"];

function selectorRank(path: string): number {
  const rank = SELECTORS.findIndex((selector) => path === selector || path.endsWith(`.${selector}`));
  return rank === -1 ? SELECTORS.length : rank;
}

function describe(issue: z.core.$ZodIssue, field: string): string {
  // Messages are built from the field name and the schema only; zod's own text is not used so that a
  // received value can never leak into an error.
  switch (issue.code) {
    case "invalid_value":
      return `unsupported ${field} (supported: ${issue.values.map((value) => JSON.stringify(value)).join(", ")})`;
    case "invalid_type":
      return `${field} is missing or is not of type ${issue.expected}`;
    case "too_small":
      return issue.origin === "string" ? `${field} is empty` : `${field} is out of range`;
    case "too_big":
      return `${field} is out of range`;
    default:
      return `${field} is invalid`;
  }
}

function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: string, prefix: string): z.infer<S> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new RaytioError("UNSUPPORTED_ENVELOPE", `${prefix || what} is not a JSON object.`, {
      details: { field: prefix || what },
    });
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;

  const ranked = result.error.issues
    .map((issue, index) => {
      const field = [prefix, ...issue.path.map(String)].filter(Boolean).join(".");
      return { issue, field, rank: selectorRank(field), index };
    })
    .sort((a, b) => a.rank - b.rank || a.index - b.index);
  const first = ranked[0];
  if (first === undefined) throw new RaytioError("UNSUPPORTED_ENVELOPE", `${what} is invalid.`);
  const supported = first.issue.code === "invalid_value" ? { supported: first.issue.values } : {};
  throw new RaytioError("UNSUPPORTED_ENVELOPE", `${what}: ${describe(first.issue, first.field)}.`, {
    details: { field: first.field, ...supported },
  });
}

function joinField(prefix: string, field: string): string {
  return prefix ? `${prefix}.${field}` : field;
}

function splitTag(ct: Buffer, field: string): { ciphertext: Buffer; tag: Buffer } {
  if (ct.length < GCM_TAG_BYTES) {
    throw new RaytioError(
      "UNSUPPORTED_ENVELOPE",
      `${field} is shorter than the ${GCM_TAG_BYTES}-byte GCM tag.`,
      {
        details: { field },
      },
    );
  }
  return {
    ciphertext: ct.subarray(0, ct.length - GCM_TAG_BYTES),
    tag: ct.subarray(ct.length - GCM_TAG_BYTES),
  };
}

function decodeIv(text: string, field: string): Buffer {
  const iv = decodeBase64(text, field);
  if (iv.length !== GCM_IV_BYTES) {
    throw new RaytioError("UNSUPPORTED_ENVELOPE", `${field} must be ${GCM_IV_BYTES} bytes.`, {
      details: { field },
    });
  }
  return iv;
}

/** Validates a `password` envelope and decodes its binary fields. */
export function parsePasswordEnvelope(input: unknown, prefix = ""): ParsedPasswordEnvelope {
  const envelope = parseWith(PasswordEnvelopeSchema, input, "password envelope", prefix);
  const salt = decodeBase64(envelope.kdf.salt, joinField(prefix, "kdf.salt"));
  if (salt.length === 0) {
    throw new RaytioError("UNSUPPORTED_ENVELOPE", "password envelope: kdf.salt is empty.", {
      details: { field: joinField(prefix, "kdf.salt") },
    });
  }
  return {
    hash: envelope.kdf.hash,
    iterations: envelope.kdf.iterations,
    salt,
    iv: decodeIv(envelope.iv, joinField(prefix, "iv")),
    ...splitTag(decodeBase64(envelope.ct, joinField(prefix, "ct")), joinField(prefix, "ct")),
  };
}

/** Validates a `data` envelope and decodes its binary fields. */
export function parseDataEnvelope(input: unknown, prefix = ""): ParsedDataEnvelope {
  const envelope = parseWith(DataEnvelopeSchema, input, "data envelope", prefix);
  return {
    iv: decodeIv(envelope.iv, joinField(prefix, "iv")),
    ...splitTag(decodeBase64(envelope.ct, joinField(prefix, "ct")), joinField(prefix, "ct")),
    aad: envelope.aad,
  };
}

/** Validates a `wadek` envelope and decodes the wrapped key. */
export function parseWadekEnvelope(input: unknown, prefix = ""): ParsedWadekEnvelope {
  const envelope = parseWith(WadekEnvelopeSchema, input, "wadek envelope", prefix);
  const wrapped = decodeBase64(envelope.wrapped, joinField(prefix, "wrapped"));
  if (wrapped.length === 0) {
    throw new RaytioError("UNSUPPORTED_ENVELOPE", "wadek envelope: wrapped is empty.", {
      details: { field: joinField(prefix, "wrapped") },
    });
  }
  return { kid: envelope.kid, wrapped };
}

/** Validates a sealed value (`{encrypted_data, encrypted_key}`, extra members such as `n_id` ignored). */
export function parseSealedValue(input: unknown, prefix = ""): ParsedSealedValue {
  const sealed = parseWith(SealedValueSchema, input, "sealed value", prefix);
  return {
    data: parseDataEnvelope(sealed.encrypted_data, joinField(prefix, "encrypted_data")),
    key: parseWadekEnvelope(sealed.encrypted_key, joinField(prefix, "encrypted_key")),
  };
}
