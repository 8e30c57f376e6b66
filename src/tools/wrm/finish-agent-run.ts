import { z } from "zod";
import { runSchema } from "../../wrm/projection.js";
import { FINISHED_RUN_STATUSES } from "../../wrm/types.js";
import { idParam } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

const inputSchema = z.strictObject({
  run_id: idParam("Running run id"),
  status: z.enum(FINISHED_RUN_STATUSES),
  error: z.string().max(4000).optional().describe("What went wrong, for failed"),
  cost_usd: z.number().min(0).max(1e8).optional(),
  input_tokens: z.number().int().min(0).optional(),
  output_tokens: z.number().int().min(0).optional(),
});

export default defineTool({
  name: "finish_agent_run",
  title: "Finish agent run",
  description:
    "Close a running agent run as succeeded, failed or cancelled, with its cost and token use. A finished run is final: it takes no more steps, artifacts or changes.",
  domain: "wrm",
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ run: runSchema }),
  async handler({ run_id, ...outcome }, { wrm }) {
    return { run: await wrm.finishRun(run_id, outcome) };
  },
  summarize: ({ run }) => `Run ${run.id} finished: ${run.status} after ${run.step_count} steps.`,
});
