import { z } from "zod";
import { workItemSchema } from "../../ppm/projection.js";
import { WORK_ITEM_STATUSES } from "../../ppm/status.js";
import { legalIntents, TRANSITION_INTENTS } from "../../ppm/transitions.js";
import { idParam } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

const inputSchema = z.strictObject({
  work_item_id: idParam("Work item id"),
  intent: z.enum(TRANSITION_INTENTS),
  reason: z
    .string()
    .max(2_000)
    .optional()
    .describe("Why; required for block. Recorded on the status-change activity"),
  expected_status: z
    .enum(WORK_ITEM_STATUSES)
    .optional()
    .describe("Status you last saw; if it moved since, nothing changes"),
});

export default defineTool({
  name: "transition_work_item",
  title: "Transition work item",
  description:
    "Move a PPM work item by intent, never by status: start (new or in_review -> in_progress), block (in_progress -> blocked, reason required), unblock (-> in_progress), submit_for_review (in_progress -> in_review), complete (in_review -> done), cancel (any open -> cancelled), reopen (done -> in_progress, cancelled -> new). Records a status-change activity. An illegal intent, or an item moved meanwhile, answers PPM_VALIDATION with the legal intents.",
  domain: "ppm",
  // Not destructive: the previous status stays in the activity log and every closed item can be reopened.
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({
    work_item: workItemSchema,
    from_status: z.enum(WORK_ITEM_STATUSES),
    legal_intents: z.array(z.enum(TRANSITION_INTENTS)).describe("Intents legal from the new status"),
  }),
  async handler({ work_item_id: id, intent, reason, expected_status }, { ppm }) {
    const moved = await ppm.transition(id, intent, expected_status, reason);
    return {
      work_item: moved.workItem,
      from_status: moved.from,
      legal_intents: legalIntents(moved.workItem.status),
    };
  },
  summarize: (output) =>
    `Work item ${output.work_item.id} moved from ${output.from_status} to ${output.work_item.status}; legal intents now: ${output.legal_intents.join(", ")}.`,
});
