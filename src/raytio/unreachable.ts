import { RaytioError } from "../errors.js";

const LOOPBACK_HOSTS = new Set(["localhost", "[::1]", "::1"]);

function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

/** The address without any user information, which could hold a credential. */
function shown(address: string): { text: string; loopback: boolean } {
  try {
    const url = new URL(address);
    url.username = "";
    url.password = "";
    return { text: url.toString(), loopback: isLoopback(url.hostname) };
  } catch {
    return { text: address, loopback: false };
  }
}

/**
 * Sign-in could not reach its address at all. "Try again shortly" alone leaves a person with a wrong
 * address or a stopped sandbox waiting for nothing, so the message names the address, the settings
 * that choose it, and what usually stands in between.
 */
export function signInUnreachable(
  address: string,
  reason: string,
  /** The settings that choose the address, e.g. "RAYTIO_API_BASE_URL". */
  settings: string,
  details: Record<string, unknown>,
): RaytioError {
  const { text, loopback } = shown(address);
  const where = reason.includes("TimeoutError")
    ? "It accepted no request or sent no answer within RAYTIO_HTTP_TIMEOUT_SECONDS: check that this machine can reach it and that the service there is working."
    : loopback
      ? "Nothing answered on this machine: start the service that should listen there (for the sandbox, npm run sandbox) or correct the address."
      : "Check that this machine can reach it (network, VPN, firewall; a proxy in between is taken from HTTP(S)_PROXY).";
  return new RaytioError(
    "API_UNAVAILABLE",
    `Could not reach Raytio sign-in at ${text} (${reason}). ${where} The address comes from ${settings}. If all of that is right, try again shortly.`,
    { details: { ...details, address: text } },
  );
}
