import { z } from "zod";
import { TABLES, tablePath } from "../../raytio/paths.js";
import { containsPattern, query } from "../../raytio/postgrest.js";
import {
  WORKER_LIST_SELECT,
  WORKER_STATUSES,
  workerListItemSchema,
  workerListRowSchema,
} from "../../wrm/projection.js";
import { fetchPage } from "../list-page.js";
import { paginationInput, paginationOutput, summarizePage } from "../pagination.js";
import { idParam, oneOrMany } from "../schemas.js";
import { defineTool } from "../tool.js";

/** A role is rarely held by more workers than this; beyond it the filter would be a very long URL. */
const MAX_ROLE_HOLDERS = 500;

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
  async handler({ limit, cursor, ...filters }, { api, signal }) {
    let holders: string[] | undefined;
    if (filters.role_id) {
      const assigned = await api.get(tablePath(TABLES.workerAssignment), {
        query: query()
          .select("worker_id")
          .eq("kind", "ROLE")
          .eq("target_id", filters.role_id)
          .order("worker_id")
          .limit(MAX_ROLE_HOLDERS),
        schema: z.array(z.object({ worker_id: z.string() })),
        signal,
      });
      holders = assigned.data.map((row) => row.worker_id);
    }
    return fetchPage(api, TABLES.worker, {
      filters,
      limit,
      cursor,
      row: workerListRowSchema,
      signal,
      build: ({ offset, limit: rows }) => {
        const q = query().select(WORKER_LIST_SELECT);
        if (filters.status)
          q.in(
            "status",
            filters.status.map((status) => status.toUpperCase()),
          );
        if (filters.model_stack_id) q.eq("model_stack_id", filters.model_stack_id);
        // An empty in-list matches nothing, which is exactly right for a role nobody holds.
        if (holders) q.in("id", holders);
        if (filters.text) {
          const pattern = containsPattern(filters.text);
          q.where({
            op: "or",
            conditions: [
              { column: "name", op: "ilike", pattern },
              { column: "purpose", op: "ilike", pattern },
            ],
          });
        }
        return q.order("name").order("id").offset(offset).limit(rows);
      },
    });
  },
  summarize: (output) => summarizePage(output, "worker", "workers"),
});
