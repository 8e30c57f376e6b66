import { z } from "zod";
import { containsPattern, query } from "../../raytio/postgrest.js";
import { KIND_SPECS } from "../../wrm/entities.js";
import { wrmValidation } from "../../wrm/errors.js";
import { entityRowSchema, entitySchema } from "../../wrm/projection.js";
import { CONFIG_KINDS } from "../../wrm/types.js";
import { fetchPage } from "../list-page.js";
import { paginationInput, paginationOutput, summarizePage } from "../pagination.js";
import { idParam } from "../schemas.js";
import { defineTool } from "../tool.js";

const inputSchema = z.strictObject({
  kind: z.enum(CONFIG_KINDS),
  text: z.string().min(1).max(200).optional().describe("Substring of name or main text"),
  mcp_server_id: idParam("mcp_tool only: tools of this server").optional(),
  enabled: z.boolean().optional().describe("mcp_server, mcp_tool, guardrail only"),
  ...paginationInput,
});

export default defineTool({
  name: "list_wrm_entities",
  title: "List WRM entities",
  description:
    "List WRM model stacks, MCP servers, MCP tools, roles, guardrails or eval scorers (one kind per call), by name. Workers: list_workers. Full record: get_wrm_entity.",
  domain: "wrm",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ items: z.array(entitySchema), ...paginationOutput }),
  handler({ limit, cursor, ...filters }, { api, signal }) {
    const spec = KIND_SPECS[filters.kind];
    if (filters.mcp_server_id && filters.kind !== "mcp_tool") {
      throw wrmValidation("mcp_server_id filters only kind mcp_tool.");
    }
    if (filters.enabled !== undefined && !spec.hasEnabled) {
      throw wrmValidation(
        `enabled filters only kinds mcp_server, mcp_tool and guardrail, not ${filters.kind}.`,
      );
    }
    return fetchPage(api, spec.table, {
      filters,
      limit,
      cursor,
      row: entityRowSchema,
      signal,
      build: ({ offset, limit: rows }) => {
        const q = query().select(spec.listSelect);
        if (filters.mcp_server_id) q.eq("mcp_server_id", filters.mcp_server_id);
        if (filters.enabled !== undefined) q.eq("enabled", filters.enabled);
        if (filters.text) {
          const pattern = containsPattern(filters.text);
          q.where({ op: "or", conditions: spec.search.map((column) => ({ column, op: "ilike", pattern })) });
        }
        return q.order("name").order("id").offset(offset).limit(rows);
      },
    });
  },
  summarize: (output) => summarizePage(output, "entity", "entities"),
});
