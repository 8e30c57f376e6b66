import { z } from "zod";
import { REQUEST_SELECT, requestRowSchema, requestSchema, requestView } from "../../dsm/projection.js";
import { REQUEST_STATUSES, type RequestStatus, statusToBackend } from "../../dsm/status.js";
import { TABLES } from "../../raytio/paths.js";
import { type PostgrestQuery, query } from "../../raytio/postgrest.js";
import { fetchPage } from "../list-page.js";
import { paginationInput, paginationOutput, summarizePage } from "../pagination.js";
import { idParam } from "../schemas.js";
import { defineTool } from "../tool.js";

const inputSchema = z.object({
  application_id: idParam("Only requests for this access application").optional(),
  status: z.enum(REQUEST_STATUSES).optional(),
  ...paginationInput,
});

/** `expired` is not stored: it is a pending request whose expiry has passed. */
function whereStatus(q: PostgrestQuery, status: RequestStatus): void {
  if (status === "pending" || status === "expired") {
    q.eq("status", "PENDING").where({
      column: "expires_at",
      op: status === "pending" ? "gt" : "lte",
      value: new Date().toISOString(),
    });
  } else {
    q.eq("status", statusToBackend(status));
  }
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
