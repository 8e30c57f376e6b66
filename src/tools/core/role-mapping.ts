import { type Domain, normalizeDomains } from "./domains.js";

/** Raytio backend roles (from the `fnd_authz_user_groups` RPC) and the tool domains each one grants. */
export const ROLE_DOMAINS: Readonly<Record<string, readonly Domain[]>> = {
  PROJECT_USER: ["ppm"],
  PROJECT_ADMINISTRATOR: ["ppm", "wrm"],
  PROJECT_VIEWER: ["ppm-readonly", "wrm-readonly"],
  DATA_SHARING_USER: ["dsm"],
  DATA_SHARING_ADMINISTRATOR: ["dsm"],
  WORKER_ADMINISTRATOR: ["wrm"],
  WORKER_VIEWER: ["wrm-readonly"],
};

export interface RoleMapping {
  domains: Domain[];
  recognised: string[];
  ignored: string[];
}

export function domainsForRoles(roles: readonly string[]): RoleMapping {
  const recognised: string[] = [];
  const ignored: string[] = [];
  const domains: Domain[] = [];
  for (const role of roles) {
    const granted = ROLE_DOMAINS[role.trim().toUpperCase()];
    if (granted) {
      recognised.push(role);
      domains.push(...granted);
    } else {
      ignored.push(role);
    }
  }
  return { domains: normalizeDomains(domains), recognised, ignored };
}
