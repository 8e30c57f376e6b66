import { z } from "zod";
import { entitySchema } from "../../wrm/projection.js";
import { count, ENTITY_KINDS, kindLabel } from "../../wrm/types.js";
import { idParam } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

const inputSchema = z.strictObject({
  kind: z.enum(ENTITY_KINDS),
  entity_id: idParam("Its id (from list_workers or list_wrm_entities)"),
});

export default defineTool({
  name: "get_wrm_entity",
  title: "Get WRM entity",
  description:
    "Get one WRM worker, model stack, MCP server, MCP tool, role, guardrail or eval scorer in full. A worker comes with its assigned roles, MCP tools and guardrails.",
  domain: "wrm",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ kind: z.enum(ENTITY_KINDS), entity: entitySchema }),
  async handler({ kind, entity_id }, { wrm }) {
    return { kind, entity: await wrm.getEntity(kind, entity_id) };
  },
  summarize: ({ kind, entity }) =>
    kind === "worker"
      ? `Worker ${entity.id} (${entity.status}): ${count(entity.roles?.length ?? 0, "role")}, ${count(entity.mcp_tools?.length ?? 0, "MCP tool")}, ${count(entity.guardrails?.length ?? 0, "guardrail")}.`
      : `Got ${kindLabel(kind)} ${entity.id}.`,
});
