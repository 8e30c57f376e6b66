import { z } from "zod";
import { tablePath } from "../../raytio/paths.js";
import { query } from "../../raytio/postgrest.js";
import { KIND_SPECS, missingOnCreate, savePayloadSchema, toApiBody } from "../../wrm/entities.js";
import { wrmCall, wrmValidation } from "../../wrm/errors.js";
import { entityRowSchema, entitySchema } from "../../wrm/projection.js";
import { ENTITY_KINDS, kindLabel, withArticle } from "../../wrm/types.js";
import { idParam } from "../schemas.js";
import { defineTool } from "../tool.js";

const inputSchema = z.strictObject({
  id: idParam("Omit to create; give to update").optional(),
  entity: savePayloadSchema,
});

export default defineTool({
  name: "save_wrm_entity",
  title: "Create or update WRM entity",
  description:
    "Create (no id) or update (id; only fields sent change) a WRM worker, model stack, MCP server or tool, role, guardrail or eval scorer. Create needs name, plus provider+model, transport+endpoint, mcp_server_id, rule+scope+severity or scorer_kind by kind.",
  domain: "wrm",
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ kind: z.enum(ENTITY_KINDS), created: z.boolean(), entity: entitySchema }),
  async handler({ id, entity }, { api, signal }) {
    const spec = KIND_SPECS[entity.kind];
    const label = kindLabel(entity.kind);
    const body = toApiBody(entity);
    const errors = {
      subject: `${label} ${id}`,
      duplicate: `${capitalize(withArticle(label))} named ${JSON.stringify(entity.name ?? "")}`,
      references: {
        model_stack_fk: `model stack ${entity.kind === "worker" ? entity.model_stack_id : ""}`,
        server_fk: `MCP server ${entity.kind === "mcp_tool" ? entity.mcp_server_id : ""}`,
      },
    };
    if (id === undefined) {
      const missing = missingOnCreate(entity);
      if (missing.length > 0) {
        throw wrmValidation(
          `Creating ${withArticle(label)} needs ${missing.join(", ")}. To update an existing one, pass its id.`,
          { missing },
        );
      }
      const created = await wrmCall(
        api.post(tablePath(spec.table), {
          query: query().select(spec.getSelect),
          body,
          prefer: ["return=representation"],
          single: true,
          schema: entityRowSchema,
          signal,
        }),
        errors,
      );
      return { kind: entity.kind, created: true, entity: created.data };
    }
    if (Object.keys(body).length === 0) {
      throw wrmValidation(`Nothing to update: give at least one field of the ${label} besides kind.`);
    }
    const updated = await wrmCall(
      api.patch(tablePath(spec.table), {
        query: query().select(spec.getSelect).eq("id", id),
        body,
        prefer: ["return=representation"],
        single: true,
        schema: entityRowSchema,
        signal,
      }),
      errors,
    );
    return { kind: entity.kind, created: false, entity: updated.data };
  },
  summarize: ({ kind, created, entity }) =>
    `${created ? "Created" : "Updated"} ${kindLabel(kind)} ${entity.id}.`,
});

function capitalize(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}
