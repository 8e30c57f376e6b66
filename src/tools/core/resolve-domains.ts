import type { Config } from "../../config.js";
import { isRaytioError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { DOMAINS, type Domain, parseDomains } from "./domains.js";
import { domainsForRoles } from "./role-mapping.js";

export type ResolutionSource = "static" | "roles" | "fallback";

export interface DomainResolution {
  domains: Domain[];
  source: ResolutionSource;
  /** One sentence for stderr and --check. */
  reason: string;
  roles: string[];
}

/** RAYTIO_TOOL_DOMAINS is checked before anything else starts, so a typo fails at once. */
export function staticDomains(config: Config): Domain[] | undefined {
  return config.toolDomains ? parseDomains(config.toolDomains, "RAYTIO_TOOL_DOMAINS") : undefined;
}

export function fallbackResolution(reason: string): DomainResolution {
  return {
    domains: [...DOMAINS.filter((domain) => !domain.endsWith("-readonly"))],
    source: "fallback",
    reason,
    roles: [],
  };
}

/**
 * Order: RAYTIO_TOOL_DOMAINS, else the user's backend roles, else every domain. Falling back to all
 * domains is safe because row-level security still decides what each call can see or change.
 */
export async function resolveDomains(
  config: Config,
  /** The account's backend roles; only asked when RAYTIO_TOOL_DOMAINS does not decide. */
  roles: () => Promise<string[]>,
  logger: Logger,
): Promise<DomainResolution> {
  const fixed = staticDomains(config);
  if (fixed) {
    return { domains: fixed, source: "static", reason: "from RAYTIO_TOOL_DOMAINS", roles: [] };
  }
  try {
    const names = await roles();
    const mapping = domainsForRoles(names);
    if (mapping.ignored.length > 0)
      logger.debug("Ignoring roles with no tool domain", { roles: mapping.ignored });
    if (mapping.domains.length === 0) {
      return {
        ...fallbackResolution(
          names.length === 0
            ? "the account has no Raytio roles, so every domain is exposed"
            : `none of the account's roles (${names.join(", ")}) maps to a tool domain, so every domain is exposed`,
        ),
        roles: names,
      };
    }
    return {
      domains: mapping.domains,
      source: "roles",
      reason: `from the account's roles (${mapping.recognised.join(", ")})`,
      roles: names,
    };
  } catch (error) {
    const code = isRaytioError(error) ? error.code : "INTERNAL_ERROR";
    return fallbackResolution(`the role lookup failed (${code}), so every domain is exposed`);
  }
}

/**
 * `resolveDomains` bounded by RAYTIO_STARTUP_TIMEOUT_SECONDS, for both transports: a slow sign-in or
 * role lookup must not keep a client from its tools, so past the limit every domain is exposed (row-level
 * security still decides what each call can see). `first` runs inside the limit, before the lookup
 * (stdio signs in there).
 */
export async function resolveDomainsInTime(
  config: Config,
  /** The account's backend roles, asked once `first` is done. */
  roles: () => Promise<string[]>,
  logger: Logger,
  first: () => Promise<void> = async () => undefined,
): Promise<DomainResolution> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<DomainResolution>((resolve) => {
    timer = setTimeout(
      () => resolve(fallbackResolution(`role lookup took longer than ${config.startupTimeoutSeconds} s`)),
      config.startupTimeoutSeconds * 1000,
    );
  });
  try {
    return await Promise.race([first().then(() => resolveDomains(config, roles, logger)), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
