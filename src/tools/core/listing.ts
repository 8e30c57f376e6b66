/** The budget measure used throughout: bytes of compact JSON divided by four. */
export function approximateTokens(value: unknown): number {
  return Math.ceil(Buffer.byteLength(JSON.stringify(value), "utf8") / 4);
}
