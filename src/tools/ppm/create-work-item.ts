import { z } from "zod";
import { workItemSchema } from "../../ppm/projection.js";
import { WORK_ITEM_PRIORITIES, WORK_ITEM_TYPES } from "../../ppm/status.js";
import { TRANSITION_INTENTS } from "../../ppm/transitions.js";
import { idParam, isoDate } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

const inputSchema = z.strictObject({
  title: z.string().trim().min(1).max(300),
  description: z.string().max(20_000).optional(),
  priority: z.enum(WORK_ITEM_PRIORITIES).default("medium"),
  type: z.enum(WORK_ITEM_TYPES).default("task"),
  parent_id: idParam("Parent work item id").optional(),
  assignee_party_id: idParam("Party to assign (find it with search_parties)", {
    of: "party",
    tool: "search_parties",
  }).optional(),
  due_date: isoDate.optional(),
  tags: z.array(z.string().trim().min(1).max(100)).max(20).optional(),
});

export default defineTool({
  name: "create_work_item",
  title: "Create work item",
  description:
    "Create a PPM work item. It starts in status new; move it with transition_work_item. parent_id and assignee_party_id must be ids this account can see.",
  domain: "ppm",
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  inputSchema,
  redirects: {
    status: {
      tool: "transition_work_item",
      purpose: "move it out of status new",
      how: `with an intent (${TRANSITION_INTENTS.join(", ")})`,
    },
  },
  outputSchema: z.object({ work_item: workItemSchema }),
  async handler(input, { ppm }) {
    return { work_item: await ppm.createWorkItem(input) };
  },
  summarize: (output) => `Created work item ${output.work_item.id} (${output.work_item.status}).`,
});
