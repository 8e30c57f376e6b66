import { z } from "zod";
import { wrmValidation } from "../../wrm/errors.js";
import { stepReceiptSchema } from "../../wrm/projection.js";
import { STEP_KINDS } from "../../wrm/types.js";
import { idParam, isoDateTime } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

const inputSchema = z.strictObject({
  run_id: idParam("Running run id (from start_agent_run)"),
  kind: z.enum(STEP_KINDS),
  tool_name: z.string().min(1).max(200).optional().describe("Required for tool_call"),
  mcp_tool_id: idParam("Registered MCP tool used, if any").optional(),
  input: z.string().max(200_000).optional(),
  output: z.string().max(200_000).optional(),
  started_at: isoDateTime.optional().describe("Default: now"),
  ended_at: isoDateTime.optional(),
});

export default defineTool({
  name: "append_run_step",
  title: "Append run step",
  description:
    "Append the next step (plan, model or tool call, message, error) to a running agent run. The server numbers steps 1, 2, 3… in order; a finished run refuses steps.",
  domain: "wrm",
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ step: stepReceiptSchema }),
  async handler(input, { wrm }) {
    if (input.kind === "tool_call" && !input.tool_name) {
      throw wrmValidation("A tool_call step needs tool_name.");
    }
    if (input.started_at && input.ended_at && Date.parse(input.ended_at) < Date.parse(input.started_at)) {
      throw wrmValidation("ended_at is before started_at.");
    }
    return { step: await wrm.appendStep(input) };
  },
  summarize: ({ step }) => `Recorded step ${step.seq} (${step.kind}) of run ${step.run_id}.`,
});
