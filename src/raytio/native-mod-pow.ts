import JsbnModule, { type JsbnBigInteger } from "amazon-cognito-identity-js/lib/BigInteger.js";

/**
 * Cognito SRP sign-in (amazon-cognito-identity-js) computes three modular exponentiations with a
 * 3072-bit modulus, in jsbn, pure JavaScript: 221 ms each on the 2-core bench machine against 31 ms
 * for the same exponentiation on Node's native BigInt (466 vs 56 ms under load). They sit on the
 * path to the first tool call, so the library's modPow is replaced with the native one; everything
 * else in the SRP flow (hashing, padding, the challenge) stays the library's. Neither is constant-
 * time; the sandbox's Cognito checks every proof this produces with its own BigInt SRP.
 */
export function nativeModPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  if (modulus <= 0n) throw new RangeError("modulus must be positive");
  if (exponent < 0n) throw new RangeError("exponent must not be negative");
  let result = 1n % modulus;
  // jsbn reduces a negative base to its positive residue, as SRP needs for B - k·g^x.
  let square = ((base % modulus) + modulus) % modulus;
  for (let rest = exponent; rest > 0n; rest >>= 1n) {
    if (rest & 1n) result = (result * square) % modulus;
    square = (square * square) % modulus;
  }
  return result;
}

// Bundled, esbuild hands over the CommonJS module's `default`; under Node's own ESM loader (tests,
// `npm run dev`) the default import is the whole `exports` object.
const BigInteger = ((JsbnModule as unknown as { default?: typeof JsbnModule }).default ??
  JsbnModule) as typeof JsbnModule;

function toNative(value: JsbnBigInteger): bigint {
  const hex = value.toString(16);
  return hex.startsWith("-") ? -BigInt(`0x${hex.slice(1)}`) : BigInt(`0x${hex}`);
}

/** The library's own modPow, kept for the test that holds the two equal. */
export const jsbnModPow = BigInteger.prototype.modPow;

BigInteger.prototype.modPow = function modPow(this: JsbnBigInteger, exponent, modulus, callback) {
  const result = nativeModPow(toNative(this), toNative(exponent), toNative(modulus));
  callback(null, new BigInteger(result.toString(16), 16));
};

export { BigInteger as JsbnBigInteger };
