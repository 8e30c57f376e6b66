import {
  constants,
  createHash,
  createPublicKey,
  type KeyObject,
  privateDecrypt,
  publicEncrypt,
} from "node:crypto";
import { RaytioError } from "../errors.js";
import { encodeBase64, encodeBase64Url } from "./base64.js";
import type { ParsedWadekEnvelope, WadekEnvelope } from "./envelopes.js";

/**
 * WADEK: a 32-byte data key wrapped with RSA-OAEP (SHA-256, MGF1-SHA-256, no label) to a recipient's
 * public key, labelled with the recipient's key id so that a record sent to another key is recognised
 * as such without spending an RSA operation on it.
 */

export const DEK_BYTES = 32;
export const WADEK_ALG = "RSA-OAEP-256";

/** The RSA public numbers a key id is computed from (base64url, as in a JWK). */
export interface RsaPublicNumbers {
  n: string;
  e: string;
}

/** A private key together with the id of its public half, computed once when the key is loaded. */
export interface KeyWithId {
  key: KeyObject;
  kid: string;
}

/** RFC 7638 thumbprint: base64url (no padding) of SHA-256 over `{"e":..,"kty":"RSA","n":..}`. */
export function keyIdOfNumbers(numbers: RsaPublicNumbers): string {
  // Members in lexicographic order, no whitespace: the exact input RFC 7638 hashes.
  const input = JSON.stringify({ e: numbers.e, kty: "RSA", n: numbers.n });
  return encodeBase64Url(createHash("sha256").update(input, "utf8").digest());
}

// Computing a key id means exporting the modulus and hashing it; doing that once per key rather than once
// per record keeps the per-record cost down to the RSA operation itself.
const keyIds = new WeakMap<KeyObject, string>();

/** The public half of a key as a JWK (Node's createPublicKey refuses a key that is already public). */
export function publicJwkNumbers(key: KeyObject): RsaPublicNumbers {
  const jwk = (key.type === "public" ? key : createPublicKey(key)).export({ format: "jwk" });
  if (key.asymmetricKeyType !== "rsa" || typeof jwk.n !== "string" || typeof jwk.e !== "string") {
    throw new RaytioError("UNSUPPORTED_ENVELOPE", "Only RSA keys (kty RSA, RSA-OAEP-256) are supported.", {
      details: { field: "kty" },
    });
  }
  return { n: jwk.n, e: jwk.e };
}

/** Key id of an RSA KeyObject, public or private (the id always names the public half). */
export function keyIdOf(key: KeyObject): string {
  const cached = keyIds.get(key);
  if (cached !== undefined) return cached;
  const kid = keyIdOfNumbers(publicJwkNumbers(key));
  keyIds.set(key, kid);
  return kid;
}

/** Records a key id already known for `key` (e.g. computed for its other half at generation). */
export function rememberKeyId(key: KeyObject, kid: string): void {
  keyIds.set(key, kid);
}

/** Wraps a fresh DEK to `recipient`; the caller supplies the recipient's key id. */
export function wrapDek(dek: Uint8Array, recipient: KeyWithId): WadekEnvelope {
  if (dek.length !== DEK_BYTES)
    throw new RaytioError("INTERNAL_ERROR", `A data key must be ${DEK_BYTES} bytes.`);
  const wrapped = publicEncrypt(
    { key: recipient.key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
    dek,
  );
  return { v: 1, kind: "wadek", alg: WADEK_ALG, kid: recipient.kid, wrapped: encodeBase64(wrapped) };
}

/**
 * Unwraps a DEK with `recipient`'s private key. A `kid` that is not the recipient's is WRONG_KEY and no
 * RSA work is done; an OAEP failure or a key of the wrong length is DECRYPTION_FAILED. `label` names
 * what is being opened ("record 123", "the key of application abc") so the message says which step failed.
 */
export function unwrapDek(envelope: ParsedWadekEnvelope, recipient: KeyWithId, label: string): Buffer {
  if (envelope.kid !== recipient.kid) {
    // Key ids are public hashes, so naming them is safe; a foreign kid is clipped in case it is junk.
    const envelopeKid = envelope.kid.length > 64 ? `${envelope.kid.slice(0, 64)}…` : envelope.kid;
    throw new RaytioError(
      "WRONG_KEY",
      `${label} is encrypted to key ${envelopeKid}, not to the key used to open it (${recipient.kid}).`,
      { details: { expectedKid: recipient.kid, envelopeKid } },
    );
  }
  let dek: Buffer;
  try {
    dek = privateDecrypt(
      { key: recipient.key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
      envelope.wrapped,
    );
  } catch {
    // The OpenSSL error is dropped on purpose: the message and code here are all a caller needs, and
    // nothing downstream should be tempted to log a low-level cause next to key handles.
    throw new RaytioError("DECRYPTION_FAILED", `${label}: RSA-OAEP unwrapping of the data key failed.`);
  }
  if (dek.length !== DEK_BYTES) {
    dek.fill(0);
    throw new RaytioError("DECRYPTION_FAILED", `${label}: the unwrapped data key is not ${DEK_BYTES} bytes.`);
  }
  return dek;
}
