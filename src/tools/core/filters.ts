import type { SurfaceSettings } from "../../config.js";
import { RaytioError } from "../../errors.js";
import type { Domain } from "./domains.js";
import type { ToolSummary } from "./tool.js";

/**
 * Filters applied on top of the resolved domains. Read-only wins over everything: with it set, no
 * tool that is not annotated read-only is exposed, whatever the allow list says.
 */
export interface ToolFilters {
  /** Allow list: when set, only these tools (still limited by domains and read-only). */
  tools: string[] | undefined;
  exclude: string[];
  readOnly: boolean;
}

export function filtersFromSurface(surface: SurfaceSettings): ToolFilters {
  return { tools: surface.tools, exclude: surface.excludeTools, readOnly: surface.readOnly };
}

/** Unknown names fail at start with the valid list, so a typo never silently hides or shows tools. */
export function assertKnownToolNames(filters: ToolFilters, all: readonly ToolSummary[]): void {
  const known = new Set(all.map((tool) => tool.name));
  const unknown = [...(filters.tools ?? []), ...filters.exclude].filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new RaytioError(
      "CONFIG_INVALID",
      `Unknown tool name(s) in RAYTIO_TOOLS/RAYTIO_EXCLUDE_TOOLS: ${[...new Set(unknown)].join(", ")}. Valid tools: ${[...known].join(", ")}.`,
      { details: { unknown, valid: [...known] } },
    );
  }
}

export function applyToolFilters<Tool extends ToolSummary>(
  tools: readonly Tool[],
  filters: ToolFilters,
): Tool[] {
  const allowed = filters.tools ? new Set(filters.tools) : undefined;
  const excluded = new Set(filters.exclude);
  return tools.filter(
    (tool) =>
      (!allowed || allowed.has(tool.name)) &&
      !excluded.has(tool.name) &&
      (!filters.readOnly || tool.annotations.readOnlyHint === true),
  );
}

/**
 * Which setting left a tool out, and how to change it, for the TOOL_NOT_EXPOSED answer. `fromRoles`
 * says the domains came from the account's roles rather than RAYTIO_TOOL_DOMAINS.
 */
export function whyNotExposed(
  tool: ToolSummary,
  domains: readonly Domain[],
  filters: ToolFilters,
  fromRoles: boolean,
): string {
  if (filters.readOnly && !tool.annotations.readOnlyHint)
    return "RAYTIO_READ_ONLY is set, which hides every tool that changes data. Unset it to expose this tool.";
  if (filters.exclude.includes(tool.name))
    return `RAYTIO_EXCLUDE_TOOLS lists it. Remove ${tool.name} from RAYTIO_EXCLUDE_TOOLS to expose it.`;
  if (filters.tools && !filters.tools.includes(tool.name))
    return `RAYTIO_TOOLS does not list it. Add ${tool.name} to RAYTIO_TOOLS to expose it.`;
  const wanted = [...domains.filter((domain) => domain !== `${tool.domain}-readonly`), tool.domain].join(",");
  const now = domains.length > 0 ? domains.join(", ") : "none";
  const source = fromRoles ? `the account's Raytio roles grant ${now}` : `RAYTIO_TOOL_DOMAINS is ${now}`;
  return `it belongs to the ${tool.domain} domain and ${source}. Set RAYTIO_TOOL_DOMAINS=${wanted} (or --domains ${wanted}) to expose it.`;
}
