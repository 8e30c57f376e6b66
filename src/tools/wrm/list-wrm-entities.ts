import { z } from "zod";
import { entitySchema } from "../../wrm/projection.js";
import { CONFIG_KINDS } from "../../wrm/types.js";
import { paginationInput, paginationOutput, summarizePage } from "../core/pagination.js";
import { idParam } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

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
  handler({ limit, cursor, ...filters }, { wrm }) {
    return wrm.listEntities(filters, { limit, cursor });
  },
  summarize: (output) => summarizePage(output, "entity", "entities"),
});
