import { z } from "zod";
import { SUBMISSION_SELECT, submissionRowSchema, submissionSchema } from "../../dsm/projection.js";
import { SUBMISSION_STATUSES, statusToBackend } from "../../dsm/status.js";
import { TABLES } from "../../raytio/paths.js";
import { query } from "../../raytio/postgrest.js";
import { fetchPage } from "../list-page.js";
import { paginationInput, paginationOutput, summarizePage } from "../pagination.js";
import { idParam, oneOrMany } from "../schemas.js";
import { defineTool } from "../tool.js";

const inputSchema = z.strictObject({
  application_id: idParam("Only submissions to this access application").optional(),
  status: oneOrMany(SUBMISSION_STATUSES, "Only these statuses: one or a list").optional(),
  ...paginationInput,
});

export default defineTool({
  name: "list_submissions",
  title: "List submissions",
  description:
    "List DSM submissions (data people shared in answer to requests), newest first, without their data. Decrypt one with poll_and_retrieve and its request_short_code.",
  domain: "dsm",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ items: z.array(submissionSchema), ...paginationOutput }),
  handler({ limit, cursor, ...filters }, { api, signal }) {
    return fetchPage(api, TABLES.submission, {
      filters,
      limit,
      cursor,
      row: submissionRowSchema,
      signal,
      build: ({ offset, limit: rows }) => {
        const q = query().select(SUBMISSION_SELECT);
        if (filters.application_id) q.eq("application_id", filters.application_id);
        if (filters.status) q.in("status", filters.status.map(statusToBackend));
        return q.order("submitted_at", "desc").order("id").offset(offset).limit(rows);
      },
    });
  },
  summarize: (output) => summarizePage(output, "submission", "submissions"),
});
