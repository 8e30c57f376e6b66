import { RaytioError } from "../../errors.js";
import { BASE_DOMAINS, type BaseDomain, type ToolSummary } from "./tool.js";

/**
 * A read-only domain names only its parent. Which tools it holds is computed from each tool's
 * `readOnlyHint`, so there is no second list to keep in step with the annotations.
 */
export const READ_ONLY_DOMAINS = {
  "ppm-readonly": "ppm",
  "wrm-readonly": "wrm",
} as const satisfies Record<string, BaseDomain>;

export type ReadOnlyDomain = keyof typeof READ_ONLY_DOMAINS;
export type Domain = BaseDomain | ReadOnlyDomain;

export const DOMAINS: readonly Domain[] = [
  ...BASE_DOMAINS,
  ...(Object.keys(READ_ONLY_DOMAINS) as ReadOnlyDomain[]),
];

export const DOMAIN_DESCRIPTIONS: Record<Domain, string> = {
  dsm: "Data sharing: request and decrypt end-to-end-encrypted personal data",
  ppm: "Projects: work items and activities",
  "ppm-readonly": "Projects, read-only tools only",
  prm: "Parties: organisations, groups, people and their relationships",
  wrm: "AI workforce: workers, model stacks, MCP registrations, roles, guardrails, runs",
  "wrm-readonly": "AI workforce, read-only tools only",
};

function isDomain(name: string): name is Domain {
  return (DOMAINS as readonly string[]).includes(name);
}

export function parseDomains(names: readonly string[], source: string): Domain[] {
  const unknown = names.filter((name) => !isDomain(name));
  if (unknown.length > 0) {
    throw new RaytioError(
      "CONFIG_INVALID",
      `${source} has unknown domain(s): ${unknown.join(", ")}. Valid domains: ${DOMAINS.join(", ")}.`,
      { details: { unknown, valid: DOMAINS } },
    );
  }
  return normalizeDomains(names as Domain[]);
}

/** A full domain beats its read-only subset; order follows DOMAINS so output is deterministic. */
export function normalizeDomains(domains: readonly Domain[]): Domain[] {
  const wanted = new Set(domains);
  for (const [readOnly, parent] of Object.entries(READ_ONLY_DOMAINS)) {
    if (wanted.has(parent)) wanted.delete(readOnly as ReadOnlyDomain);
  }
  return DOMAINS.filter((domain) => wanted.has(domain));
}

export function toolBelongsTo(tool: ToolSummary, domain: Domain): boolean {
  if (domain in READ_ONLY_DOMAINS) {
    return (
      tool.domain === READ_ONLY_DOMAINS[domain as ReadOnlyDomain] && tool.annotations.readOnlyHint === true
    );
  }
  return tool.domain === domain;
}

export function toolsForDomains<Tool extends ToolSummary>(
  tools: readonly Tool[],
  domains: readonly Domain[],
): Tool[] {
  return tools.filter((tool) => domains.some((domain) => toolBelongsTo(tool, domain)));
}
