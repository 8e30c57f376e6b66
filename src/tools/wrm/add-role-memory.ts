import { z } from "zod";
import { memoryReceiptSchema } from "../../wrm/projection.js";
import { MEMORY_KINDS } from "../../wrm/types.js";
import { idParam } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

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
  async handler(input, { wrm }) {
    return { memory: await wrm.addRoleMemory(input) };
  },
  summarize: ({ memory }) => `Added ${memory.kind} memory ${memory.id} to role ${memory.role_id}.`,
});
