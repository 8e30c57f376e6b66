import { z } from "zod";
import { WORK_ITEM_SORTS } from "../../ppm/filters.js";
import { workItemSchema } from "../../ppm/projection.js";
import { WORK_ITEM_STATUSES } from "../../ppm/status.js";
import { paginationInput, paginationOutput, summarizePage } from "../core/pagination.js";
import { idParam, isoDate, isoDateTime, oneOrMany } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

const inputSchema = z.strictObject({
  status: oneOrMany(WORK_ITEM_STATUSES, "Only these statuses: one or a list").optional(),
  assignee_party_id: idParam("Assigned party id (find it with search_parties)", {
    of: "party",
    tool: "search_parties",
  }).optional(),
  parent_id: idParam("Only children of this work item").optional(),
  tag: z.string().min(1).max(100).optional(),
  text: z.string().min(1).max(200).optional().describe("Substring of title or description"),
  due_before: isoDate.optional().describe("Due before this day (exclusive), YYYY-MM-DD"),
  due_after: isoDate.optional().describe("Due after this day (exclusive), YYYY-MM-DD"),
  updated_since: isoDateTime.optional().describe("Updated at or after this ISO 8601 time"),
  sort: z.enum(Object.keys(WORK_ITEM_SORTS) as [keyof typeof WORK_ITEM_SORTS]).default("updated_desc"),
  ...paginationInput,
});

export default defineTool({
  name: "list_work_items",
  title: "List work items",
  description:
    "List or search PPM work items with filters (status, assignee, parent, tag, text, due and updated dates), sorted, one page at a time.",
  domain: "ppm",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ items: z.array(workItemSchema), ...paginationOutput }),
  handler({ limit, cursor, ...filters }, { ppm }) {
    return ppm.listWorkItems(filters, { limit, cursor });
  },
  summarize: (output) => summarizePage(output, "work item", "work items"),
});
