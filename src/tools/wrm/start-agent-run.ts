import { z } from "zod";
import { TABLES, tablePath } from "../../raytio/paths.js";
import { query } from "../../raytio/postgrest.js";
import { wrmCall } from "../../wrm/errors.js";
import { RUN_SELECT, runRowSchema, runSchema } from "../../wrm/projection.js";
import { idParam } from "../schemas.js";
import { defineTool } from "../tool.js";

const inputSchema = z.strictObject({
  worker_id: idParam("Active worker id (from list_workers)"),
  goal: z.string().trim().min(1).max(2000).optional(),
  work_item_id: idParam("PPM work item the run is for").optional(),
});

export default defineTool({
  name: "start_agent_run",
  title: "Start agent run",
  description:
    "Start recording a run of an active WRM worker, optionally for a PPM work item. Then append_run_step, attach_run_artifact, and finish_agent_run.",
  domain: "wrm",
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ run: runSchema }),
  async handler(input, { api, signal }) {
    const response = await wrmCall(
      api.post(tablePath(TABLES.agentRun), {
        query: query().select(RUN_SELECT),
        body: {
          worker_id: input.worker_id,
          goal: input.goal ?? null,
          work_item_id: input.work_item_id ?? null,
        },
        prefer: ["return=representation"],
        single: true,
        schema: runRowSchema,
        signal,
      }),
      {
        references: {
          worker_fk: `worker ${input.worker_id}`,
          work_item_fk: `work item ${input.work_item_id ?? ""}`,
        },
      },
    );
    return { run: response.data };
  },
  summarize: ({ run }) =>
    `Started run ${run.id} of worker ${run.worker_id}; record steps with append_run_step.`,
});
