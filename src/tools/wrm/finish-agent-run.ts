import { z } from "zod";
import { TABLES, tablePath } from "../../raytio/paths.js";
import { query } from "../../raytio/postgrest.js";
import { wrmCall } from "../../wrm/errors.js";
import { RUN_SELECT, runRowSchema, runSchema } from "../../wrm/projection.js";
import { FINISHED_RUN_STATUSES, toApi } from "../../wrm/types.js";
import { idParam } from "../schemas.js";
import { defineTool } from "../tool.js";

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
  async handler(input, { api, signal }) {
    const body: Record<string, unknown> = { status: toApi(input.status) };
    for (const field of ["error", "cost_usd", "input_tokens", "output_tokens"] as const) {
      if (input[field] !== undefined) body[field] = input[field];
    }
    const response = await wrmCall(
      api.patch(tablePath(TABLES.agentRun), {
        query: query().select(RUN_SELECT).eq("id", input.run_id),
        body,
        prefer: ["return=representation"],
        single: true,
        schema: runRowSchema,
        signal,
      }),
      { subject: `agent run ${input.run_id}` },
    );
    return { run: response.data };
  },
  summarize: ({ run }) => `Run ${run.id} finished: ${run.status} after ${run.step_count} steps.`,
});
