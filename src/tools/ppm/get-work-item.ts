import { z } from "zod";
import { activitySchema, workItemSchema } from "../../ppm/projection.js";
import { legalIntents, TRANSITION_INTENTS } from "../../ppm/transitions.js";
import { idParam } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

const inputSchema = z.strictObject({
  work_item_id: idParam("Work item id"),
  activity_limit: z
    .number()
    .int()
    .min(0)
    .max(50)
    .default(10)
    .describe("How many of the newest activities to include (0-50)"),
});

export default defineTool({
  name: "get_work_item",
  title: "Get work item",
  description:
    "Get one PPM work item with its newest activities (comments, status changes, time entries) and the transition intents legal from its status. For older activities use list_work_item_activities.",
  domain: "ppm",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({
    work_item: workItemSchema,
    legal_intents: z.array(z.enum(TRANSITION_INTENTS)).describe("Intents transition_work_item accepts now"),
    recent_activities: z.array(activitySchema).describe("Newest first"),
    activities_total: z.number().nullable(),
  }),
  async handler({ work_item_id: id, activity_limit }, { ppm }) {
    // Both reads at once: an item this account cannot see has no visible activities either.
    const [item, activities] = await Promise.all([
      ppm.getWorkItem(id),
      ppm.recentActivities(id, activity_limit),
    ]);
    return {
      work_item: item,
      legal_intents: legalIntents(item.status),
      recent_activities: activities.items,
      activities_total: activities.total,
    };
  },
  summarize: (output) =>
    `Work item ${output.work_item.id} is ${output.work_item.status}; ${output.recent_activities.length}${output.activities_total === null ? "" : ` of ${output.activities_total}`} activities shown.`,
});
