import { z } from "zod";
import { RaytioError } from "../../errors.js";
import { workItemSchema } from "../../ppm/projection.js";
import { WORK_ITEM_PRIORITIES, WORK_ITEM_TYPES } from "../../ppm/status.js";
import { TRANSITION_INTENTS } from "../../ppm/transitions.js";
import { idParam, isoDate } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

const inputSchema = z.strictObject({
  work_item_id: idParam("Work item id"),
  title: z.string().trim().min(1).max(300).optional(),
  description: z.string().max(20_000).nullable().optional().describe("null clears it"),
  priority: z.enum(WORK_ITEM_PRIORITIES).optional(),
  type: z.enum(WORK_ITEM_TYPES).optional(),
  parent_id: idParam("Parent work item id; null makes it top-level").nullable().optional(),
  assignee_party_id: idParam("Party to assign (search_parties); null unassigns", {
    of: "party",
    tool: "search_parties",
  })
    .nullable()
    .optional(),
  due_date: isoDate.nullable().optional().describe("YYYY-MM-DD; null clears it"),
  tags: z.array(z.string().trim().min(1).max(100)).max(20).optional().describe("Replaces the whole tag list"),
});

const FIELDS = [
  "title",
  "description",
  "priority",
  "type",
  "parent_id",
  "assignee_party_id",
  "due_date",
  "tags",
] as const;

export default defineTool({
  name: "update_work_item",
  title: "Update work item",
  description:
    "Change fields of a PPM work item; only the fields given change. The status cannot be set here: use transition_work_item.",
  domain: "ppm",
  // Destructive: a field's previous value is overwritten, not kept.
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  inputSchema,
  redirects: {
    status: {
      tool: "transition_work_item",
      purpose: "change the status",
      how: `with an intent (${TRANSITION_INTENTS.join(", ")})`,
    },
  },
  outputSchema: z.object({ work_item: workItemSchema, changed: z.array(z.enum(FIELDS)) }),
  async handler(input, { ppm }) {
    const changed = FIELDS.filter((field) => input[field] !== undefined);
    if (changed.length === 0) {
      throw new RaytioError(
        "PPM_VALIDATION",
        `Nothing to update: give at least one of ${FIELDS.join(", ")}. To change the status use transition_work_item.`,
      );
    }
    const changes: Record<string, unknown> = {};
    for (const field of changed) changes[field] = input[field];
    return { work_item: await ppm.updateWorkItem(input.work_item_id, changes), changed };
  },
  summarize: (output) => `Updated ${output.changed.join(", ")} of work item ${output.work_item.id}.`,
});
