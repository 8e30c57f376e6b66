import { z } from "zod";
import type { Config } from "../config.js";
import { isRaytioError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { RaytioApiClient } from "../raytio/api-client.js";
import { RPCS, rpcPath } from "../raytio/paths.js";
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

/**
 * A set-returning function with one output column may come back as bare values or as objects,
 * depending on how the API declares it; both mean the same list of role names.
 */
const userGroupsSchema = z.array(
  z.union([z.string(), z.object({ group_name: z.string() }).transform((row) => row.group_name)]),
);

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
  api: RaytioApiClient,
  logger: Logger,
): Promise<DomainResolution> {
  const fixed = staticDomains(config);
  if (fixed) {
    return { domains: fixed, source: "static", reason: "from RAYTIO_TOOL_DOMAINS", roles: [] };
  }
  try {
    const response = await api.post(rpcPath(RPCS.userGroups), {
      body: {},
      idempotent: true,
      schema: userGroupsSchema,
    });
    const roles = response.data;
    const mapping = domainsForRoles(roles);
    if (mapping.ignored.length > 0)
      logger.debug("Ignoring roles with no tool domain", { roles: mapping.ignored });
    if (mapping.domains.length === 0) {
      return {
        ...fallbackResolution(
          roles.length === 0
            ? "the account has no Raytio roles, so every domain is exposed"
            : `none of the account's roles (${roles.join(", ")}) maps to a tool domain, so every domain is exposed`,
        ),
        roles,
      };
    }
    return {
      domains: mapping.domains,
      source: "roles",
      reason: `from the account's roles (${mapping.recognised.join(", ")})`,
      roles,
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
  api: RaytioApiClient,
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
    return await Promise.race([first().then(() => resolveDomains(config, api, logger)), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
