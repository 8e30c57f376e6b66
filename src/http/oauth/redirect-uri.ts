/**
 * Redirect URIs are where authorization codes go, so registration accepts only shapes that cannot be
 * bent: https anywhere, plain http only to this machine's loopback (native apps, RFC 8252 §7.3), no
 * fragment (RFC 6749 §3.1.2), no user:password@ (it hides the real host from the person reading the
 * consent page). Authorize and token compare the whole string exactly.
 */
const MAX_LENGTH = 2_000;
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

export function redirectUriProblem(uri: string): string | undefined {
  if (uri.length > MAX_LENGTH) return "is too long";
  if (uri.includes("#")) return "must not contain a fragment";
  if (!URL.canParse(uri)) return "is not a URL";
  const url = new URL(uri);
  if (url.username || url.password || /^[a-z][a-z0-9+.-]*:\/\/[^/?]*@/i.test(uri)) {
    return "must not contain user information";
  }
  if (url.protocol === "https:") return url.hostname ? undefined : "has no host";
  if (url.protocol === "http:") {
    return LOOPBACK.has(url.hostname)
      ? undefined
      : "must use https (plain http is allowed only for localhost, 127.0.0.1 and [::1])";
  }
  return "must use https (or http to a loopback address)";
}

export function isLoopback(uri: string): boolean {
  return URL.canParse(uri) && LOOPBACK.has(new URL(uri).hostname);
}
