import { z } from "zod";
import { ACTIVITY_SELECT, activityRowSchema, activitySchema } from "../../ppm/projection.js";
import { ACTIVITY_KINDS } from "../../ppm/status.js";
import { requireStatus } from "../../ppm/work-items.js";
import { TABLES } from "../../raytio/paths.js";
import { query } from "../../raytio/postgrest.js";
import { fetchPage } from "../list-page.js";
import { paginationInput, paginationOutput, summarizePage } from "../pagination.js";
import { idParam, isoDateTime } from "../schemas.js";
import { defineTool } from "../tool.js";

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
  async handler({ limit, cursor, ...filters }, { api, signal }) {
    const page = await fetchPage(api, TABLES.activity, {
      filters,
      limit,
      cursor,
      row: activityRowSchema,
      signal,
      build: ({ offset, limit: rows }) => {
        const q = query().select(ACTIVITY_SELECT).eq("work_item_id", filters.work_item_id);
        if (filters.kind && filters.kind.length > 0) {
          q.in(
            "kind",
            filters.kind.map((kind) => kind.toUpperCase()),
          );
        }
        if (filters.since) q.where({ column: "created_at", op: "gte", value: filters.since });
        return q.order("created_at", "desc").order("id", "desc").offset(offset).limit(rows);
      },
    });
    // An empty first page may mean the item is not visible at all: say so rather than "no activities".
    if (page.items.length === 0 && cursor === undefined)
      await requireStatus(api, filters.work_item_id, signal);
    return page;
  },
  summarize: (output) => summarizePage(output, "activity", "activities"),
});
