import { z } from "zod";
import { REQUEST_SELECT, requestRowSchema, requestSchema, requestView } from "../../dsm/projection.js";
import { REQUEST_STATUSES, type RequestStatus, statusToBackend } from "../../dsm/status.js";
import { TABLES } from "../../raytio/paths.js";
import { type Condition, type PostgrestQuery, query } from "../../raytio/postgrest.js";
import { fetchPage } from "../list-page.js";
import { paginationInput, paginationOutput, summarizePage } from "../pagination.js";
import { idParam, oneOrMany } from "../schemas.js";
import { defineTool } from "../tool.js";

const inputSchema = z.strictObject({
  application_id: idParam("Only requests for this access application").optional(),
  status: oneOrMany(REQUEST_STATUSES, "Only these statuses: one or a list").optional(),
  ...paginationInput,
});

/**
 * `expired` is not stored: it is a pending request whose expiry has passed. Several statuses are
 * alternatives, so they are one `or` tree.
 */
function whereStatus(q: PostgrestQuery, statuses: readonly RequestStatus[]): void {
  const now = new Date().toISOString();
  const conditions = statuses.map((status): Condition => {
    if (status === "pending" || status === "expired") {
      return {
        op: "and",
        conditions: [
          { column: "status", op: "eq", value: "PENDING" },
          { column: "expires_at", op: status === "pending" ? "gt" : "lte", value: now },
        ],
      };
    }
    return { column: "status", op: "eq", value: statusToBackend(status) };
  });
  const [only] = conditions;
  q.where(conditions.length === 1 && only ? only : { op: "or", conditions });
}

export default defineTool({
  name: "list_requests",
  title: "List data requests",
  description:
    "List DSM data requests sent from this account's customer, newest first, optionally by access application or status (pending, submitted, expired, cancelled).",
  domain: "dsm",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ items: z.array(requestSchema), ...paginationOutput }),
  handler({ limit, cursor, ...filters }, { api, signal }) {
    return fetchPage(api, TABLES.request, {
      filters,
      limit,
      cursor,
      row: requestRowSchema.transform((row) => requestView(row)),
      signal,
      build: ({ offset, limit: rows }) => {
        const q = query().select(REQUEST_SELECT);
        if (filters.application_id) q.eq("application_id", filters.application_id);
        if (filters.status) whereStatus(q, filters.status);
        return q.order("created_at", "desc").order("id").offset(offset).limit(rows);
      },
    });
  },
  summarize: (output) => summarizePage(output, "request", "requests"),
});
