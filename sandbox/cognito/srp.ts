/**
 * Server side of the SRP-6a variant that Cognito User Pools speak (USER_SRP_AUTH + PASSWORD_VERIFIER).
 *
 * Every encoding choice below mirrors amazon-cognito-identity-js's AuthenticationHelper, because the
 * client is the only specification Cognito publishes: hashes run over hex-decoded `padHex` strings,
 * integers sent on the wire are parsed back from hex before hashing, and the session key is a
 * 16-byte HKDF-SHA256 output.
 */
import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";

/** RFC 5054 3072-bit group prime, the `initN` constant of AuthenticationHelper. */
export const N = BigInt(
  "0x" +
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C" +
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);
export const g = 2n;

const INFO = Buffer.from("Caldera Derived Key", "utf8");

/**
 * Even-length hex of a non-negative integer, with a leading `00` when the top bit is set, i.e. the
 * hex of Java's BigInteger.toByteArray(). Negative values never occur on the server because every
 * value it hashes is reduced mod N first.
 */
export function padHex(n: bigint): string {
  if (n < 0n) throw new RangeError("padHex: negative values are not used by the server");
  let hex = n.toString(16);
  if (hex.length % 2 !== 0) hex = `0${hex}`;
  return /^[89a-f]/.test(hex) ? `00${hex}` : hex;
}

/** SHA-256 as lowercase hex; strings are hashed as UTF-8, as @aws-crypto/sha256-js does. */
export function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** SHA-256 over the bytes that a hex string encodes. */
export function hexHash(hex: string): string {
  return sha256Hex(Buffer.from(hex, "hex"));
}

function hexToBigInt(hex: string): bigint {
  return BigInt(`0x${hex}`);
}

/** Parses a hex integer as the client sends it (no `0x`, any case, possibly odd length). */
export function parseHexInteger(hex: string): bigint | undefined {
  if (!/^[0-9a-fA-F]{1,2048}$/.test(hex)) return undefined;
  return hexToBigInt(hex);
}

export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  if (b < 0n) b += modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    e >>= 1n;
    b = (b * b) % modulus;
  }
  return result;
}

export const k = hexToBigInt(hexHash(padHex(N) + padHex(g)));

/** A fresh 16-byte salt as hex, the shape Cognito returns in SALT. */
export function generateSalt(): string {
  return randomBytes(16).toString("hex");
}

/**
 * x = H(padHex(salt) ‖ H(poolName ‖ userIdForSrp ‖ ":" ‖ password)).
 * The salt goes through a BigInt round trip because the client parses SALT as an integer and
 * re-pads it, which drops leading zero bytes from the string we sent.
 */
export function computeX(poolName: string, userIdForSrp: string, password: string, saltHex: string): bigint {
  const inner = sha256Hex(`${poolName}${userIdForSrp}:${password}`);
  return hexToBigInt(hexHash(padHex(hexToBigInt(saltHex)) + inner));
}

/** v = g^x mod N: what the server stores instead of the password. */
export function computeVerifier(
  poolName: string,
  userIdForSrp: string,
  password: string,
  saltHex: string,
): bigint {
  return modPow(g, computeX(poolName, userIdForSrp, password, saltHex), N);
}

export interface ServerEphemeral {
  /** Secret exponent; never leaves the server. */
  b: bigint;
  /** B = (k·v + g^b) mod N, sent as SRP_B. */
  B: bigint;
}

export function generateServerEphemeral(verifier: bigint): ServerEphemeral {
  for (;;) {
    // 128 random bytes, the same size the client uses for its own secret.
    const b = hexToBigInt(randomBytes(128).toString("hex"));
    const B = (k * verifier + modPow(g, b, N)) % N;
    // The client aborts on B ≡ 0; astronomically unlikely, but cheap to rule out.
    if (B !== 0n) return { b, B };
  }
}

/** u = H(padHex(A) ‖ padHex(B)). */
export function computeU(A: bigint, B: bigint): bigint {
  return hexToBigInt(hexHash(padHex(A) + padHex(B)));
}

/** Thrown when the client's values would let an attacker force a known session key. */
export class SrpParameterError extends Error {
  override readonly name = "SrpParameterError";
}

/**
 * S = (A · v^u)^b mod N, then the 16-byte HKDF-SHA256 key with salt padHex(u).
 * Node's HKDF with a 16-byte output is exactly the client's single HMAC block over
 * "Caldera Derived Key" ‖ 0x01, truncated.
 */
export function computeSessionKey(params: { A: bigint; B: bigint; b: bigint; verifier: bigint }): Buffer {
  const { A, B, b, verifier } = params;
  if (A % N === 0n) throw new SrpParameterError("SRP_A mod N must not be 0");
  const u = computeU(A, B);
  if (u === 0n) throw new SrpParameterError("u must not be 0");
  const S = modPow((A % N) * modPow(verifier, u, N), b, N);
  const key = hkdfSync("sha256", Buffer.from(padHex(S), "hex"), Buffer.from(padHex(u), "hex"), INFO, 16);
  return Buffer.from(key);
}

/** base64(HMAC-SHA256(key, poolName ‖ userIdForSrp ‖ secretBlock ‖ timestamp)). */
export function computeClaimSignature(params: {
  key: Buffer;
  poolName: string;
  userIdForSrp: string;
  secretBlockBase64: string;
  timestamp: string;
}): string {
  return createHmac("sha256", params.key)
    .update(Buffer.from(params.poolName, "utf8"))
    .update(Buffer.from(params.userIdForSrp, "utf8"))
    .update(Buffer.from(params.secretBlockBase64, "base64"))
    .update(Buffer.from(params.timestamp, "utf8"))
    .digest("base64");
}

/** Constant-time check of PASSWORD_CLAIM_SIGNATURE against the expected value. */
export function verifyClaimSignature(expectedBase64: string, claimedBase64: string): boolean {
  const expected = Buffer.from(expectedBase64, "base64");
  const claimed = Buffer.from(claimedBase64, "base64");
  // Both are SHA-256 MACs; a length mismatch reveals nothing secret.
  if (claimed.length !== expected.length) return false;
  return timingSafeEqual(expected, claimed);
}

/** Constant-time equality of two verifiers, used by USER_PASSWORD_AUTH. */
export function verifiersEqual(a: bigint, b: bigint): boolean {
  const width = padHex(N).length;
  const ab = Buffer.from(padHex(a).padStart(width, "0"), "hex");
  const bb = Buffer.from(padHex(b).padStart(width, "0"), "hex");
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
