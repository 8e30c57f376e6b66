import { z } from "zod";
import { TABLES, tablePath } from "../../raytio/paths.js";
import { query } from "../../raytio/postgrest.js";
import { KIND_SPECS } from "../../wrm/entities.js";
import { wrmCall } from "../../wrm/errors.js";
import {
  ASSIGNMENT_SELECT,
  assignmentRowSchema,
  entityRowSchema,
  entitySchema,
  type WrmEntity,
} from "../../wrm/projection.js";
import { count, ENTITY_KINDS, kindLabel } from "../../wrm/types.js";
import { idParam } from "../schemas.js";
import { defineTool } from "../tool.js";

/** More assignments than this on one worker would be a configuration problem, not a page to read. */
const MAX_ASSIGNMENTS = 500;

const inputSchema = z.strictObject({
  kind: z.enum(ENTITY_KINDS),
  id: idParam("Its id (from list_workers or list_wrm_entities)"),
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
  async handler({ kind, id }, { api, signal }) {
    const spec = KIND_SPECS[kind];
    const [found, assignments] = await Promise.all([
      wrmCall(
        api.get(tablePath(spec.table), {
          query: query().select(spec.getSelect).eq("id", id),
          single: true,
          schema: entityRowSchema,
          signal,
        }),
        { subject: `${kindLabel(kind)} ${id}` },
      ),
      kind === "worker"
        ? api.get(tablePath(TABLES.workerAssignment), {
            query: query()
              .select(ASSIGNMENT_SELECT)
              .eq("worker_id", id)
              .order("kind")
              .order("target_name")
              .limit(MAX_ASSIGNMENTS),
            schema: z.array(assignmentRowSchema),
            signal,
          })
        : undefined,
    ]);
    const entity: WrmEntity = found.data;
    if (assignments) {
      const of = (which: string) =>
        assignments.data
          .filter((row) => row.kind === which)
          .map((row) => ({ id: row.target_id, name: row.target_name }));
      entity.roles = of("ROLE");
      entity.mcp_tools = of("MCP_TOOL");
      entity.guardrails = of("GUARDRAIL");
    }
    return { kind, entity };
  },
  summarize: ({ kind, entity }) =>
    kind === "worker"
      ? `Worker ${entity.id} (${entity.status}): ${count(entity.roles?.length ?? 0, "role")}, ${count(entity.mcp_tools?.length ?? 0, "MCP tool")}, ${count(entity.guardrails?.length ?? 0, "guardrail")}.`
      : `Got ${kindLabel(kind)} ${entity.id}.`,
});
