import { z } from "zod";
import { TABLES, tablePath } from "../../raytio/paths.js";
import { query } from "../../raytio/postgrest.js";
import { wrmCall } from "../../wrm/errors.js";
import { MEMORY_RECEIPT_SELECT, memoryReceiptRowSchema, memoryReceiptSchema } from "../../wrm/projection.js";
import { MEMORY_KINDS, toApi } from "../../wrm/types.js";
import { idParam } from "../schemas.js";
import { defineTool } from "../tool.js";

const inputSchema = z.strictObject({
  role_id: idParam("Role id (from list_wrm_entities kind role)"),
  kind: z.enum(MEMORY_KINDS),
  content: z.string().trim().min(1).max(4000),
  source_run_id: idParam("The run that learned it (provenance)").optional(),
});

export default defineTool({
  name: "add_role_memory",
  title: "Add role memory",
  description:
    "Record a durable note for a WRM role (a fact, preference, lesson or procedure), optionally citing the run it came from. Memories are append-only: add a new one to correct an old one.",
  domain: "wrm",
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ memory: memoryReceiptSchema }),
  async handler(input, { api, signal }) {
    const response = await wrmCall(
      api.post(tablePath(TABLES.roleMemory), {
        query: query().select(MEMORY_RECEIPT_SELECT),
        body: {
          role_id: input.role_id,
          kind: toApi(input.kind),
          content: input.content,
          source_run_id: input.source_run_id ?? null,
        },
        prefer: ["return=representation"],
        single: true,
        schema: memoryReceiptRowSchema,
        signal,
      }),
      {
        references: {
          role_fk: `role ${input.role_id}`,
          run_fk: `agent run ${input.source_run_id ?? ""}`,
        },
      },
    );
    return { memory: response.data };
  },
  summarize: ({ memory }) => `Added ${memory.kind} memory ${memory.id} to role ${memory.role_id}.`,
});
