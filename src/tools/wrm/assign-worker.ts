import { z } from "zod";
import { TABLES, tablePath } from "../../raytio/paths.js";
import { query } from "../../raytio/postgrest.js";
import { ASSIGNMENT_TABLES } from "../../wrm/entities.js";
import { wrmCall } from "../../wrm/errors.js";
import { requireVisible } from "../../wrm/lookups.js";
import { ASSIGNMENT_KINDS, kindLabel } from "../../wrm/types.js";
import { idParam } from "../schemas.js";
import { defineTool } from "../tool.js";

const inputSchema = z.strictObject({
  worker_id: idParam("Worker id (from list_workers)"),
  kind: z.enum(ASSIGNMENT_KINDS),
  target_id: idParam("Role, MCP tool or guardrail id (from list_wrm_entities)"),
  assigned: z.boolean().describe("true assigns, false removes"),
});

const idRows = z.array(z.object({ worker_id: z.string() }));

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
  async handler({ worker_id, kind, target_id, assigned }, { api, signal }) {
    const link = ASSIGNMENT_TABLES[kind];
    const label = kindLabel(kind);
    let changed: boolean;
    if (assigned) {
      const inserted = await wrmCall(
        api.post(tablePath(link.table), {
          query: query().select("worker_id"),
          body: { worker_id, [link.column]: target_id },
          // An existing assignment is left as it is, so repeating the call changes nothing.
          prefer: ["return=representation", "resolution=ignore-duplicates"],
          schema: idRows,
          signal,
        }),
        { references: { worker_fk: `worker ${worker_id}`, target_fk: `${label} ${target_id}` } },
      );
      changed = inserted.data.length > 0;
    } else {
      const removed = await api.delete(tablePath(link.table), {
        query: query().select("worker_id").eq("worker_id", worker_id).eq(link.column, target_id),
        prefer: ["return=representation"],
        schema: idRows,
        signal,
      });
      changed = removed.data.length > 0;
      if (!changed) {
        // Nothing to remove: say so only if both ends exist, so a mistyped id is not reported as done.
        await Promise.all([
          requireVisible(api, TABLES.worker, worker_id, `worker ${worker_id}`, signal),
          requireVisible(api, link.target, target_id, `${label} ${target_id}`, signal),
        ]);
      }
    }
    return { worker_id, kind, target_id, assigned, changed };
  },
  summarize: ({ worker_id, kind, target_id, assigned, changed }) =>
    `Worker ${worker_id}: ${kindLabel(kind)} ${target_id} ${assigned ? "assigned" : "removed"}${changed ? "" : " (no change: it already was)"}.`,
});
