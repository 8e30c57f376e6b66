/**
 * Reads a JWT's payload without verifying it. The server is a client of the API: it only needs `exp`
 * to schedule refreshes and `sub` to know who it is; the API verifies signatures.
 */
export function decodeJwtPayload(token: string): unknown {
  const payload = token.split(".")[1];
  if (payload === undefined) return undefined;
  try {
    return JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}
