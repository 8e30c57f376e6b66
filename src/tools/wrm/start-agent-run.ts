import { z } from "zod";
import { runSchema } from "../../wrm/projection.js";
import { idParam } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

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
  async handler(input, { wrm }) {
    return { run: await wrm.startRun(input) };
  },
  summarize: ({ run }) =>
    `Started run ${run.id} of worker ${run.worker_id}; record steps with append_run_step.`,
});
