import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RaytioError } from "../errors.js";
import { decodeBase64, encodeBase64, encodeBase64Url } from "./base64.js";

function decodeError(text: string, field = "ct"): RaytioError {
  try {
    decodeBase64(text, field);
  } catch (error) {
    if (error instanceof RaytioError) return error;
    throw error;
  }
  throw new Error("expected decodeBase64 to throw");
}

describe("decodeBase64", () => {
  // 0xfb 0xff 0xbf encodes to "+/+/" (standard) and "-_-_" (URL-safe): both alphabet-specific characters.
  const bytes = Buffer.from([0xfb, 0xff, 0xbf, 0x01]);

  it.each([
    ["standard, padded", "+/+/AQ=="],
    ["standard, unpadded", "+/+/AQ"],
    ["URL-safe, padded", "-_-_AQ=="],
    ["URL-safe, unpadded", "-_-_AQ"],
  ])("accepts %s", (_name, text) => {
    expect(decodeBase64(text)).toEqual(bytes);
  });

  it("accepts one '=' of padding and the empty string", () => {
    expect(decodeBase64("AQID")).toEqual(Buffer.from([1, 2, 3]));
    expect(decodeBase64("AQI=")).toEqual(Buffer.from([1, 2]));
    expect(decodeBase64("AQI")).toEqual(Buffer.from([1, 2]));
    expect(decodeBase64("")).toEqual(Buffer.alloc(0));
  });

  it.each([
    ["a character outside both alphabets", "AQ*D", "character 3"],
    ["whitespace", "AQ ID", "character 3"],
    ["a line break", "AQID\nAQID", "character 5"],
    ["padding in the middle", "AQ==AQID", "padding"],
    ["three '='", "AQ===", "padding"],
    ["padding that does not match the length", "AQI==", "padding"],
    ["an impossible length", "AQIDB", "length"],
    ["mixed alphabets", "+/-_AQ==", "mixes"],
    ["non-zero spare bits", "AR==", "spare bits"],
    ["non-zero spare bits, unpadded", "AQJ", "spare bits"],
  ])("rejects %s with UNSUPPORTED_ENVELOPE naming the field", (_name, text, reason) => {
    const error = decodeError(text, "encrypted_data.ct");
    expect(error.code).toBe("UNSUPPORTED_ENVELOPE");
    expect(error.message).toContain("encrypted_data.ct is not valid base64");
    expect(error.message).toContain(reason);
    expect(error.details).toEqual({ field: "encrypted_data.ct" });
    expect(error.message).not.toContain(text);
  });

  it("round-trips any bytes through every accepted form", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (array) => {
        const standard = encodeBase64(array);
        const urlSafe = encodeBase64Url(array);
        for (const text of [
          standard,
          standard.replace(/=+$/, ""),
          urlSafe,
          `${urlSafe}${"=".repeat((4 - (urlSafe.length % 4)) % 4)}`,
        ]) {
          expect(decodeBase64(text)).toEqual(Buffer.from(array));
        }
      }),
      { numRuns: 200 },
    );
  });

  it("gives every string one meaning: re-encoding what it decodes gives the same text back", () => {
    // With strict spare bits and no skipped characters, a changed character always changes the bytes.
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."ABab01+/=-_"), maxLength: 12 }), (text) => {
        let decoded: Buffer;
        try {
          decoded = decodeBase64(text);
        } catch {
          return;
        }
        const urlSafe = /[-_]/.test(text);
        const again = urlSafe ? encodeBase64Url(decoded) : encodeBase64(decoded);
        expect(again.replace(/=+$/, "")).toBe(text.replace(/=+$/, ""));
      }),
      { numRuns: 500 },
    );
  });
});

describe("encodeBase64", () => {
  it("writes the standard alphabet with padding, as producers must", () => {
    expect(encodeBase64(Buffer.from([0xfb, 0xff, 0xbf, 0x01]))).toBe("+/+/AQ==");
    const random = randomBytes(31);
    expect(encodeBase64(random)).toBe(random.toString("base64"));
  });

  it("encodes only the viewed bytes of a subarray", () => {
    const whole = Buffer.from([1, 2, 3, 4, 5]);
    expect(encodeBase64(whole.subarray(1, 3))).toBe(Buffer.from([2, 3]).toString("base64"));
    expect(encodeBase64Url(whole.subarray(1, 3))).toBe(Buffer.from([2, 3]).toString("base64url"));
  });
});

describe("decodeBase64's edges", () => {
  it("names the value when no field is given, and refuses what is not a string", () => {
    expect(() => decodeBase64("A")).toThrow(
      "value is not valid base64: its length is impossible for base64.",
    );
    const notText = decodeError(42 as unknown as string, "iv");
    expect(notText.message).toBe("iv is not valid base64: expected a string.");
  });

  it("checks spare bits only in a final partial group", () => {
    // "B" ends a full group here: every one of its bits is data.
    expect(decodeBase64("AAAB")).toEqual(Buffer.from([0, 0, 1]));
    expect(decodeBase64("AAA/")).toEqual(Buffer.from([0, 0, 0x3f]));
  });
});
