import { z } from "zod";
import { activitySchema } from "../../ppm/projection.js";
import { ACTIVITY_KINDS } from "../../ppm/status.js";
import { paginationInput, paginationOutput, summarizePage } from "../core/pagination.js";
import { idParam, isoDateTime } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

const inputSchema = z.strictObject({
  work_item_id: idParam("Work item id"),
  kind: z.array(z.enum(ACTIVITY_KINDS)).max(3).optional().describe("Only these kinds"),
  since: isoDateTime.optional().describe("Only activities at or after this time"),
  ...paginationInput,
});

export default defineTool({
  name: "list_work_item_activities",
  title: "List work item activities",
  description:
    "List the activities of one PPM work item (comments, status changes with reasons, time entries; who and when), newest first, one page at a time.",
  domain: "ppm",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ items: z.array(activitySchema), ...paginationOutput }),
  handler({ limit, cursor, ...filters }, { ppm }) {
    return ppm.listActivities(filters, { limit, cursor });
  },
  summarize: (output) => summarizePage(output, "activity", "activities"),
});
