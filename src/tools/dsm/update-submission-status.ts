import { z } from "zod";
import { requireSubmission } from "../../dsm/lookups.js";
import { SUBMISSION_SELECT, submissionRowSchema, submissionSchema } from "../../dsm/projection.js";
import { assertSubmissionTransition, RECEIVER_STATUSES, statusToBackend } from "../../dsm/status.js";
import { RaytioError } from "../../errors.js";
import { TABLES, tablePath } from "../../raytio/paths.js";
import { query } from "../../raytio/postgrest.js";
import { idParam } from "../schemas.js";
import { defineTool } from "../tool.js";

const inputSchema = z.strictObject({
  id: idParam("Submission id (list_submissions)"),
  status: z
    .enum(RECEIVER_STATUSES)
    .describe("received (viewed), processing, accepted or rejected; accepted and rejected are final"),
  message: z.string().trim().min(1).max(2_000).optional().describe("Note for the person who shared the data"),
});

export default defineTool({
  name: "update_submission_status",
  title: "Update submission status",
  description:
    "Move a DSM submission along its review: submitted → received → processing → accepted or rejected (final). Optionally add a message for the person.",
  domain: "dsm",
  // Destructive: accepted and rejected are final, so a mistaken call cannot be undone.
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ submission: submissionSchema, changed: z.boolean() }),
  async handler({ id, status, message }, { api, signal }) {
    const current = await requireSubmission(api, id, signal);
    assertSubmissionTransition(id, current.status, status);
    if (current.status === status && message === undefined) return { submission: current, changed: false };
    const body: Record<string, unknown> = { status: statusToBackend(status) };
    if (message !== undefined) body.status_message = message;
    // Only while the status is still the one just checked, so a concurrent review is not overwritten.
    const response = await api.patch(tablePath(TABLES.submission), {
      query: query().select(SUBMISSION_SELECT).eq("id", id).eq("status", statusToBackend(current.status)),
      body,
      prefer: ["return=representation"],
      schema: z.array(submissionRowSchema),
      signal,
    });
    const updated = response.data[0];
    if (updated)
      return { submission: updated, changed: updated.status !== current.status || message !== undefined };
    const now = await requireSubmission(api, id, signal);
    throw new RaytioError(
      "DSM_VALIDATION",
      `Submission ${id} changed from ${current.status} to ${now.status} while this update ran. Check it with list_submissions and try again.`,
      { details: { id, status: now.status } },
    );
  },
  summarize: ({ submission, changed }) =>
    changed
      ? `Submission ${submission.id} is now ${submission.status}.`
      : `Submission ${submission.id} was already ${submission.status}; nothing changed.`,
});
