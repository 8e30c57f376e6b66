import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { JsbnBigInteger, jsbnModPow, nativeModPow } from "./native-mod-pow.js";

/** RFC 5054's 3072-bit group, the modulus Cognito's SRP uses. */
const N_HEX =
  "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF";

function bruteForce(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n % modulus;
  for (let i = 0n; i < exponent; i += 1n) result = (((result * base) % modulus) + modulus) % modulus;
  return result;
}

const hex = (bytes: number) => randomBytes(bytes).toString("hex");

function viaLibrary(
  modPow: typeof jsbnModPow,
  base: InstanceType<typeof JsbnBigInteger>,
  exponent: string,
  modulus: string,
): string {
  let out = "";
  modPow.call(base, new JsbnBigInteger(exponent, 16), new JsbnBigInteger(modulus, 16), (error, result) => {
    if (error) throw error;
    out = result.toString(16);
  });
  return out;
}

describe("nativeModPow", () => {
  it("agrees with repeated multiplication, negative bases reduced to their positive residue", () => {
    for (const modulus of [1n, 2n, 7n, 97n, 1000n])
      for (const base of [-13n, -1n, 0n, 1n, 5n, 123n])
        for (const exponent of [0n, 1n, 2n, 5n, 17n])
          expect(nativeModPow(base, exponent, modulus)).toBe(bruteForce(base, exponent, modulus));
  });

  it("refuses what has no answer", () => {
    expect(() => nativeModPow(2n, 3n, 0n)).toThrow(RangeError);
    expect(() => nativeModPow(2n, -1n, 7n)).toThrow(RangeError);
  });
});

describe("the Cognito library's modPow", () => {
  it("is the native one now", () => {
    expect(JsbnBigInteger.prototype.modPow).not.toBe(jsbnModPow);
  });

  it("answers what the library's own jsbn answers, for SRP-sized numbers, a negative base included", () => {
    for (let i = 0; i < 4; i += 1) {
      const exponent = hex(i === 0 ? 32 : 128);
      for (const sign of ["", "-"]) {
        const base = new JsbnBigInteger(`${sign}${hex(384)}`, 16);
        expect(viaLibrary(JsbnBigInteger.prototype.modPow, base, exponent, N_HEX)).toBe(
          viaLibrary(jsbnModPow, base, exponent, N_HEX),
        );
      }
    }
    const two = new JsbnBigInteger("2", 16);
    expect(viaLibrary(JsbnBigInteger.prototype.modPow, two, "0", N_HEX)).toBe("1");
  });
});
