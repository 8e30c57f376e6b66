/**
 * Redirect URIs are where authorization codes go, so registration accepts only shapes that cannot be
 * bent: https anywhere, plain http only to this machine's loopback (native apps, RFC 8252 §7.3), no
 * fragment (RFC 6749 §3.1.2), no user:password@ (it hides the real host from the person reading the
 * consent page). A URI must also read the same before and after URL parsing: otherwise the consent page
 * shows one address (`/cb/../admin`, a second line after a CR/LF) while the browser goes to another.
 * Authorize and token compare the whole string exactly.
 */
const MAX_LENGTH = 2_000;
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** What makes a URI change when parsed, with the reason a client author can act on. */
export function unstableShape(uri: string): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  if (/[\u0000-\u001f\u007f]/.test(uri)) return "must not contain control characters (such as CR or LF)";
  if (uri.includes("\\")) return "must not contain backslashes";
  const path = uri.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, "").split(/[?#]/)[0] ?? "";
  if (/%2e|%2f|%5c/i.test(path)) return "must not contain percent-encoded dots or slashes in its path";
  if (/(^|\/)\.\.?(\/|$)/.test(path)) return "must not contain . or .. path segments";
  return undefined;
}

export function redirectUriProblem(uri: string): string | undefined {
  if (uri.length > MAX_LENGTH) return "is too long";
  if (uri.includes("#")) return "must not contain a fragment";
  const unstable = unstableShape(uri);
  if (unstable) return unstable;
  if (!URL.canParse(uri)) return "is not a URL";
  const url = new URL(uri);
  if (url.username || url.password || /^[a-z][a-z0-9+.-]*:\/\/[^/?]*@/i.test(uri)) {
    return "must not contain user information";
  }
  if (url.protocol === "http:" && !LOOPBACK.has(url.hostname)) {
    return "must use https (plain http is allowed only for localhost, 127.0.0.1 and [::1])";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return "must use https (or http to a loopback address)";
  }
  if (!url.hostname) return "has no host";
  // Anything else parsing rewrites (letter case, an empty path, a default port, spaces) would leave
  // two spellings of one address: the client must register the one it will send.
  if (url.href !== uri) return `is not in normal form: register ${JSON.stringify(url.href)} instead`;
  return undefined;
}

/** The stored spelling of a registered URI: parsing and serialising it, which by now changes nothing. */
export function normalisedRedirectUri(uri: string): string {
  return new URL(uri).href;
}

export function isLoopback(uri: string): boolean {
  return URL.canParse(uri) && LOOPBACK.has(new URL(uri).hostname);
}
