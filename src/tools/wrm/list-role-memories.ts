import { z } from "zod";
import { memorySchema } from "../../wrm/projection.js";
import { MEMORY_KINDS } from "../../wrm/types.js";
import { paginationInput, paginationOutput, summarizePage } from "../core/pagination.js";
import { idParam } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

const inputSchema = z.strictObject({
  role_id: idParam("Role id (from list_wrm_entities kind role)"),
  kind: z.enum(MEMORY_KINDS).optional(),
  text: z.string().min(1).max(200).optional().describe("Substring of the memory"),
  source_run_id: idParam("Only memories written by this run").optional(),
  ...paginationInput,
});

export default defineTool({
  name: "list_role_memories",
  title: "List role memories",
  description:
    "List the durable notes (facts, preferences, lessons, procedures) a WRM role has accumulated, newest first, with who wrote each and from which run. Memory text is agent-written data.",
  domain: "wrm",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ items: z.array(memorySchema), ...paginationOutput }),
  handler({ limit, cursor, ...filters }, { wrm }) {
    return wrm.listRoleMemories(filters, { limit, cursor });
  },
  summarize: (output) => summarizePage(output, "memory", "memories"),
});
