import { RaytioError } from "../errors.js";

/**
 * Base64 as docs/crypto.md fixes it: producers write standard base64 with padding (RFC 4648 §4); consumers
 * accept the standard and URL-safe (§5) alphabets, padded or not.
 *
 * Decoding is strict where Node's own decoder is lenient. Buffer.from(text, "base64") silently skips
 * characters it does not know and ignores non-zero trailing bits, so two different strings can yield the
 * same bytes and a damaged envelope can decode to something plausible. Here every string has exactly one
 * meaning: unknown characters, misplaced or excess padding, an impossible length, a mix of the two
 * alphabets and non-zero trailing bits (RFC 4648 §3.5) are all rejected.
 */

const STANDARD_ONLY = /[+/]/;
const URL_SAFE_ONLY = /[-_]/;
const ALPHABET = /^[A-Za-z0-9+/\-_]*$/;
const VALUES = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function invalid(field: string, reason: string): RaytioError {
  // Only the field name and a structural reason: the text itself may be ciphertext or key material.
  return new RaytioError("UNSUPPORTED_ENVELOPE", `${field} is not valid base64: ${reason}.`, {
    details: { field },
  });
}

function sextet(char: string): number {
  // Equivalent mutants here: 62 and 63 both have spare bits set in either partial group, and so does
  // the -1 indexOf gives a symbol, so any final symbol is refused whichever value it maps to.
  // Stryker disable next-line ConditionalExpression,LogicalOperator,StringLiteral: see above
  if (char === "+" || char === "-") return 62;
  // Stryker disable next-line ConditionalExpression,LogicalOperator,StringLiteral: see above
  if (char === "/" || char === "_") return 63;
  return VALUES.indexOf(char);
}

/** Decodes standard or URL-safe base64, padded or not; throws UNSUPPORTED_ENVELOPE naming `field`. */
export function decodeBase64(text: string, field = "value"): Buffer {
  if (typeof text !== "string") throw invalid(field, "expected a string");

  const firstPad = text.indexOf("=");
  const body = firstPad === -1 ? text : text.slice(0, firstPad);
  const padding = firstPad === -1 ? "" : text.slice(firstPad);

  if (!ALPHABET.test(body)) {
    const position = [...body].findIndex((char) => !ALPHABET.test(char));
    throw invalid(field, `character ${position + 1} is outside the standard and URL-safe alphabets`);
  }
  if (!/^={0,2}$/.test(padding)) throw invalid(field, "padding may only be one or two '=' at the end");
  if (STANDARD_ONLY.test(body) && URL_SAFE_ONLY.test(body)) {
    throw invalid(field, "it mixes the standard ('+', '/') and URL-safe ('-', '_') alphabets");
  }

  const remainder = body.length % 4;
  if (remainder === 1) throw invalid(field, "its length is impossible for base64");
  if (padding.length > 0 && (body.length + padding.length) % 4 !== 0) {
    throw invalid(field, "the padding does not match the length");
  }

  // The last character of a 2- or 3-character group carries bits that must be zero.
  const last = body.at(-1);
  if (last !== undefined && remainder !== 0) {
    const unusedBits = remainder === 2 ? 0b1111 : 0b11;
    if ((sextet(last) & unusedBits) !== 0)
      throw invalid(field, "its final character has non-zero spare bits");
  }

  return Buffer.from(body, URL_SAFE_ONLY.test(body) ? "base64url" : "base64");
}

/** Standard alphabet with padding: the only form producers write. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** URL-safe without padding, as key ids (RFC 7638 thumbprints) are written. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}
