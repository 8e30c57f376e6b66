import { z } from "zod";
import { missingOnCreate } from "../../wrm/entities.js";
import { wrmValidation } from "../../wrm/errors.js";
import { entitySchema } from "../../wrm/projection.js";
import { ENTITY_KINDS, kindLabel, withArticle } from "../../wrm/types.js";
import { idParam } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";
import { savePayloadSchema } from "./wrm-entity-payload.js";

const inputSchema = z.strictObject({
  entity_id: idParam("Omit to create; give to update").optional(),
  entity: savePayloadSchema,
});

export default defineTool({
  name: "save_wrm_entity",
  title: "Create or update WRM entity",
  description:
    "Create (no entity_id) or update (entity_id; only fields sent change) a WRM worker, model stack, MCP server or tool, role, guardrail or eval scorer. Create needs name, plus provider+model, transport+endpoint, mcp_server_id, rule+scope+severity or scorer_kind by kind.",
  domain: "wrm",
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ kind: z.enum(ENTITY_KINDS), created: z.boolean(), entity: entitySchema }),
  async handler({ entity_id: id, entity }, { wrm }) {
    const label = kindLabel(entity.kind);
    if (id === undefined) {
      const missing = missingOnCreate(entity);
      if (missing.length > 0) {
        throw wrmValidation(
          `Creating ${withArticle(label)} needs ${missing.join(", ")}. To update an existing one, pass its entity_id.`,
          { missing },
        );
      }
    }
    const saved = await wrm.saveEntity(id, entity);
    return { kind: entity.kind, created: id === undefined, entity: saved };
  },
  summarize: ({ kind, created, entity }) =>
    `${created ? "Created" : "Updated"} ${kindLabel(kind)} ${entity.id}.`,
});
