import { z } from "zod";
import { WORKER_STATUSES, workerListItemSchema } from "../../wrm/projection.js";
import { paginationInput, paginationOutput, summarizePage } from "../core/pagination.js";
import { idParam, oneOrMany } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

const inputSchema = z.strictObject({
  status: oneOrMany(WORKER_STATUSES, "Only these statuses: one or a list").optional(),
  text: z.string().min(1).max(200).optional().describe("Substring of name or purpose"),
  model_stack_id: idParam("Only workers on this model stack").optional(),
  role_id: idParam("Only workers holding this role").optional(),
  ...paginationInput,
});

export default defineTool({
  name: "list_workers",
  title: "List AI workers",
  description:
    "List WRM AI workers, filtered by status, text, model stack or role. get_wrm_entity {kind: worker} shows one worker with its roles, MCP tools and guardrails.",
  domain: "wrm",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ items: z.array(workerListItemSchema), ...paginationOutput }),
  handler({ limit, cursor, ...filters }, { wrm }) {
    return wrm.listWorkers(filters, { limit, cursor });
  },
  summarize: (output) => summarizePage(output, "worker", "workers"),
});
