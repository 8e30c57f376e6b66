import { z } from "zod";
import { runSchema } from "../../wrm/projection.js";
import { RUN_STATUSES } from "../../wrm/types.js";
import { paginationInput, paginationOutput, summarizePage } from "../core/pagination.js";
import { idParam, isoDateTime, oneOrMany } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

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
  handler({ limit, cursor, ...filters }, { wrm }) {
    return wrm.listRuns(filters, { limit, cursor });
  },
  summarize: (output) => summarizePage(output, "run", "runs"),
});
