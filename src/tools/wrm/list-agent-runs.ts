import { z } from "zod";
import { TABLES } from "../../raytio/paths.js";
import { query } from "../../raytio/postgrest.js";
import { RUN_LIST_SELECT, runRowSchema, runSchema } from "../../wrm/projection.js";
import { RUN_STATUSES, toApi } from "../../wrm/types.js";
import { fetchPage } from "../list-page.js";
import { paginationInput, paginationOutput, summarizePage } from "../pagination.js";
import { idParam, isoDateTime, oneOrMany } from "../schemas.js";
import { defineTool } from "../tool.js";

const inputSchema = z.strictObject({
  worker_id: idParam("Only runs of this worker").optional(),
  work_item_id: idParam("Only runs for this PPM work item").optional(),
  status: oneOrMany(RUN_STATUSES, "Only these statuses: one or a list").optional(),
  started_after: isoDateTime.optional(),
  started_before: isoDateTime.optional(),
  ...paginationInput,
});

export default defineTool({
  name: "list_agent_runs",
  title: "List agent runs",
  description:
    "List WRM agent runs, newest first, by worker, PPM work item, status or start time, with cost and step counts. get_agent_run reads one run's steps and artifacts.",
  domain: "wrm",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ items: z.array(runSchema), ...paginationOutput }),
  handler({ limit, cursor, ...filters }, { api, signal }) {
    return fetchPage(api, TABLES.agentRun, {
      filters,
      limit,
      cursor,
      row: runRowSchema,
      signal,
      build: ({ offset, limit: rows }) => {
        const q = query().select(RUN_LIST_SELECT);
        if (filters.worker_id) q.eq("worker_id", filters.worker_id);
        if (filters.work_item_id) q.eq("work_item_id", filters.work_item_id);
        if (filters.status) q.in("status", filters.status.map(toApi));
        if (filters.started_after) q.where({ column: "started_at", op: "gte", value: filters.started_after });
        if (filters.started_before)
          q.where({ column: "started_at", op: "lt", value: filters.started_before });
        return q.order("started_at", "desc").order("id").offset(offset).limit(rows);
      },
    });
  },
  summarize: (output) => summarizePage(output, "run", "runs"),
});
