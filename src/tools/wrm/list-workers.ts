import { z } from "zod";
import { TABLES } from "../../raytio/paths.js";
import { containsPattern, query } from "../../raytio/postgrest.js";
import {
  WORKER_LIST_SELECT,
  WORKER_STATUSES,
  workerListItemSchema,
  workerListRowSchema,
} from "../../wrm/projection.js";
import { fetchPage } from "../list-page.js";
import { paginationInput, paginationOutput, summarizePage } from "../pagination.js";
import { defineTool } from "../tool.js";

const inputSchema = z.object({
  status: z.enum(WORKER_STATUSES).optional(),
  text: z.string().min(1).max(200).optional().describe("Substring of name or purpose"),
  ...paginationInput,
});

export default defineTool({
  name: "list_workers",
  title: "List AI workers",
  description: "List WRM AI worker identities, optionally by status or a substring of name or purpose.",
  domain: "wrm",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ items: z.array(workerListItemSchema), ...paginationOutput }),
  handler({ limit, cursor, ...filters }, { api, signal }) {
    return fetchPage(api, TABLES.worker, {
      filters,
      limit,
      cursor,
      row: workerListRowSchema,
      signal,
      build: ({ offset, limit: rows }) => {
        const q = query().select(WORKER_LIST_SELECT);
        if (filters.status) q.eq("status", filters.status.toUpperCase());
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
