import listAccessApplications from "./dsm/list-access-applications.js";
import createWorkItem from "./ppm/create-work-item.js";
import listWorkItems from "./ppm/list-work-items.js";
import searchParties from "./prm/search-parties.js";
import type { AnyTool } from "./tool.js";
import listWorkers from "./wrm/list-workers.js";

export type { AnyTool, BaseDomain, ToolAnnotations, ToolContext, ToolDefinition } from "./tool.js";

/**
 * The one registry. Everything else (domains, tools/list, --list-tools, docs/tools.md) is derived from
 * this list. Order is by domain, then name, so tools/list is deterministic.
 */
export const TOOLS: readonly AnyTool[] = [
  listAccessApplications,
  createWorkItem,
  listWorkItems,
  searchParties,
  listWorkers,
].sort((a, b) => a.domain.localeCompare(b.domain) || a.name.localeCompare(b.name));

export function findTool(name: string): AnyTool | undefined {
  return TOOLS.find((tool) => tool.name === name);
}
