// amazon-cognito-identity-js ships no declaration for its jsbn big integer (not part of its API);
// src/raytio/native-mod-pow.ts replaces its modPow, and needs only this much of it.
declare module "amazon-cognito-identity-js/lib/BigInteger.js" {
  export interface JsbnBigInteger {
    toString(radix: number): string;
    modPow(
      exponent: JsbnBigInteger,
      modulus: JsbnBigInteger,
      callback: (error: Error | null, result: JsbnBigInteger) => void,
    ): void;
  }
  const BigInteger: { new (value: string, radix: number): JsbnBigInteger; prototype: JsbnBigInteger };
  export default BigInteger;
}
