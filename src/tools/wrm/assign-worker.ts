import { z } from "zod";
import { ASSIGNMENT_KINDS, kindLabel } from "../../wrm/types.js";
import { idParam } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

const inputSchema = z.strictObject({
  worker_id: idParam("Worker id (from list_workers)"),
  kind: z.enum(ASSIGNMENT_KINDS),
  target_id: idParam("Role, MCP tool or guardrail id (from list_wrm_entities)"),
  assigned: z.boolean().describe("true assigns, false removes"),
});

export default defineTool({
  name: "assign_worker",
  title: "Assign to or unassign from worker",
  description:
    "Give a worker a role, enable an MCP tool for it or apply a guardrail (assigned: true), or take it away (assigned: false). Safe to repeat.",
  domain: "wrm",
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({
    worker_id: z.string(),
    kind: z.enum(ASSIGNMENT_KINDS),
    target_id: z.string(),
    assigned: z.boolean(),
    changed: z.boolean(),
  }),
  async handler({ worker_id, kind, target_id, assigned }, { wrm }) {
    const changed = await wrm.assign(worker_id, kind, target_id, assigned);
    return { worker_id, kind, target_id, assigned, changed };
  },
  summarize: ({ worker_id, kind, target_id, assigned, changed }) =>
    `Worker ${worker_id}: ${kindLabel(kind)} ${target_id} ${assigned ? "assigned" : "removed"}${changed ? "" : " (no change: it already was)"}.`,
});
