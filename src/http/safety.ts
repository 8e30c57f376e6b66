import { isIP } from "node:net";

/**
 * Settings that would make a team server unsafe or unusable, found before it listens, each with the
 * fix in its message. Over plain http on a network, every person's Raytio password (on the sign-in
 * page) and every bearer token crosses it readable; a wildcard address is where the server listens,
 * never where a client can reach it, and advertising it sends every client to nowhere.
 */

const WILDCARDS = new Set(["0.0.0.0", "::", "[::]", "0:0:0:0:0:0:0:0", "[0:0:0:0:0:0:0:0]"]);

function bare(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

export function isWildcardHost(host: string): boolean {
  return WILDCARDS.has(host) || WILDCARDS.has(bare(host));
}

export function isLoopbackHost(host: string): boolean {
  const name = bare(host).toLowerCase();
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  if (isIP(name) === 4) return name.startsWith("127.");
  return name === "::1" || name === "0:0:0:0:0:0:0:1" || name.startsWith("::ffff:127.");
}

export interface PublicAddressSettings {
  /** MCP_HOST: where the server listens. */
  host: string;
  /** MCP_PUBLIC_URL, if set: where clients reach it. */
  publicUrl: string | undefined;
  /** MCP_ALLOW_INSECURE_HTTP: plain http on a network is accepted. */
  allowInsecureHttp: boolean;
}

/** Problems that stop the start, each naming the setting to change. */
export function publicAddressProblems(settings: PublicAddressSettings): string[] {
  const { host, publicUrl, allowInsecureHttp } = settings;
  if (publicUrl === undefined) {
    if (isWildcardHost(host)) {
      return [
        `  - MCP_HOST=${host} listens on every interface, but no client can reach ${host}: set MCP_PUBLIC_URL to the address people's clients use (e.g. https://mcp.example.com). It is the OAuth issuer and the only resource tokens are valid for.`,
      ];
    }
    if (!isLoopbackHost(host) && !allowInsecureHttp) {
      return [
        `  - MCP_HOST=${host} with no MCP_PUBLIC_URL would serve sign-in and tokens over plain http on the network: put TLS in front (a reverse proxy) and set MCP_PUBLIC_URL=https://<its name>, or set MCP_ALLOW_INSECURE_HTTP=true if the network itself is private and trusted.`,
      ];
    }
    return [];
  }
  const url = new URL(publicUrl);
  if (isWildcardHost(url.hostname)) {
    return [
      `  - MCP_PUBLIC_URL=${publicUrl} is a wildcard address, which no client can reach: set it to the name or address people's clients use (e.g. https://mcp.example.com).`,
    ];
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname) && !allowInsecureHttp) {
    return [
      `  - MCP_PUBLIC_URL=${publicUrl} is plain http on a network: people's Raytio passwords and bearer tokens would cross it readable. Use https:// (terminate TLS at a reverse proxy or load balancer; see docs/http.md, "Production checklist"), or set MCP_ALLOW_INSECURE_HTTP=true if the network itself is private and trusted.`,
    ];
  }
  return [];
}

/** Agent-account settings mean nothing over HTTP; said once at start so nobody relies on them. */
export const AGENT_SETTINGS = [
  "RAYTIO_AGENT_USERNAME",
  "RAYTIO_AGENT_PASSWORD",
  "RAYTIO_AGENT_ENCRYPTION_PASSWORD",
  "RAYTIO_AGENT_CUSTOMER_ID",
] as const;

export function agentSettingsWarning(values: Record<string, string | undefined>): string | undefined {
  const set = AGENT_SETTINGS.filter((name) => (values[name] ?? "").trim() !== "");
  if (set.length === 0) return undefined;
  return `${set.join(", ")} ${set.length === 1 ? "is" : "are"} set but not used over HTTP: each person signs in with their own account on the authorization page. Remove ${set.length === 1 ? "it" : "them"} from this server's environment and config file, so no password sits where nothing needs it.`;
}
