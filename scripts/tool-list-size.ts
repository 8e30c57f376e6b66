import type { Tool } from "@modelcontextprotocol/server";
// A real tokenizer (o200k_base, GPT-4o and later) rather than bytes / 4, whose error grows with how
// much of a text is JSON punctuation. A devDependency: docs and the bench load it, the bundle (built
// from src/index.ts) never does.
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { listToolsAsClientSeesThem } from "../src/tool-listing.js";
import { DOMAINS, toolsForDomains } from "../src/tools/core/domains.js";
import type { AnyTool } from "../src/tools/core/tool.js";

export interface ToolListSize {
  domain: (typeof DOMAINS)[number] | "all";
  tools: number;
  /** Bytes of the tools/list result's JSON, as sent: what `--list-tools` prints. */
  bytes: number;
  /** o200k_base tokens of what a model is shown (see modelVisible). */
  modelTokens: number;
}

/**
 * What a client shows the model of a tool: its name, description and input schema. The title,
 * annotations and output schema serve the client itself (display, approval, result validation).
 */
export function modelVisible(tool: Tool): Pick<Tool, "name" | "description" | "inputSchema"> {
  return { name: tool.name, description: tool.description, inputSchema: tool.inputSchema };
}

export function modelTokens(listed: readonly Tool[]): number {
  return countTokens(JSON.stringify(listed.map(modelVisible)));
}

/**
 * The tools/list of a process started with each domain (RAYTIO_TOOL_DOMAINS=<domain>), and of one
 * with all four: texts lose their pointers to tools left out, as they do in that process.
 */
export async function toolListSizes(tools: readonly AnyTool[]): Promise<ToolListSize[]> {
  const rows: ToolListSize[] = [];
  for (const domain of [...DOMAINS, "all" as const]) {
    const exposed = domain === "all" ? tools : toolsForDomains(tools, [domain]);
    const listed = await listToolsAsClientSeesThem(tools, exposed);
    const result = { tools: listed };
    rows.push({
      domain,
      tools: listed.length,
      bytes: Buffer.byteLength(JSON.stringify(result)),
      modelTokens: modelTokens(listed),
    });
  }
  return rows;
}
