import { readFileSync } from "node:fs";
import type { Tool } from "@modelcontextprotocol/server";
import type { AnyTool, BaseDomain, ToolSummary } from "./core/tool.js";
import { toolListEntry } from "./core/tool-list.js";

/**
 * What a server needs to know about its tools before any of them runs: each tool's tools/list entry,
 * domain and whether it can run as a task. A stdio server's whole handshake (server/discover or
 * initialize, then tools/list) is served from this; the tool modules themselves (their zod schemas,
 * the domain modules, crypto and sign-in) load on the first tool call.
 *
 * The build writes it to dist/tool-catalogue.json from the real tool definitions
 * (scripts/tool-catalogue.ts), and a test holds the file equal to what the definitions give. It holds
 * only tools: the protocol answers (versions, capabilities) always come from the running SDK.
 */
export const CATALOGUE_FILE = "tool-catalogue.json";

export interface CatalogueTool extends ToolSummary {
  /** The tools/list entry, exactly as served (before pointers to hidden tools are taken out). */
  entry: Tool;
  /** Present when a 2025-11-25 client may run the tool as a task. */
  task: boolean;
}

/** In registry order, which is the order tools/list keeps. */
export type ToolCatalogue = readonly CatalogueTool[];

export function catalogueTool(tool: AnyTool): CatalogueTool {
  return {
    name: tool.name,
    domain: tool.domain,
    annotations: { readOnlyHint: tool.annotations.readOnlyHint },
    task: tool.task !== undefined,
    entry: toolListEntry(tool),
  };
}

const DOMAINS: ReadonlySet<string> = new Set<BaseDomain>(["dsm", "ppm", "prm", "wrm"]);

function isCatalogueTool(value: unknown): value is CatalogueTool {
  if (!value || typeof value !== "object") return false;
  const tool = value as Partial<CatalogueTool>;
  return (
    typeof tool.name === "string" &&
    typeof tool.domain === "string" &&
    DOMAINS.has(tool.domain) &&
    typeof tool.task === "boolean" &&
    typeof tool.annotations === "object" &&
    tool.entry?.name === tool.name
  );
}

/**
 * The catalogue the build wrote beside this module, or, running from source (`npm run dev`, tests of
 * src/), one computed from the definitions: both describe the same tools.
 */
export async function loadCatalogue(dir: URL = new URL(".", import.meta.url)): Promise<ToolCatalogue> {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(new URL(CATALOGUE_FILE, dir), "utf8"));
  } catch {
    data = undefined;
  }
  if (Array.isArray(data) && data.length > 0 && data.every(isCatalogueTool)) return data;
  // The definitions themselves, in the chunk a tool call loads anyway.
  const { TOOLS } = await import("./registry.js");
  return TOOLS.map(catalogueTool);
}
