import { z } from "zod";
import { submissionSchema } from "../../dsm/projection.js";
import { assertSubmissionTransition, RECEIVER_STATUSES } from "../../dsm/status.js";
import { RaytioError } from "../../errors.js";
import { idParam } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

const FINAL: ReadonlySet<string> = new Set(["accepted", "rejected"]);

const inputSchema = z.strictObject({
  submission_id: idParam("From list_submissions or poll_and_retrieve"),
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
  // Accepted and rejected are final, and a message reaches the person who shared the data: they ask first.
  async confirmation({ submission_id: id, status, message }, { dsm }) {
    if (!FINAL.has(status) && message === undefined) return undefined;
    const current = await dsm.submission(id);
    // A refused transition is refused by the handler; nothing to ask about.
    if (current.status === status && message === undefined) return undefined;
    return {
      action:
        status === "rejected"
          ? "Reject this submission of personal data (final)"
          : status === "accepted"
            ? "Accept this submission of personal data (final)"
            : `Move this submission to ${status} and send the person a message`,
      details: [
        ["Submission", `${id} (request ${current.request_short_code})`],
        ["Status", `${current.status} → ${status}`],
        ["Message to the person who shared it", message ?? "(none)"],
      ],
    };
  },
  async handler({ submission_id: id, status, message }, { dsm }) {
    const current = await dsm.submission(id);
    assertSubmissionTransition(id, current.status, status);
    if (current.status === status && message === undefined) return { submission: current, changed: false };
    const updated = await dsm.setSubmissionStatus(id, current.status, status, message);
    if (updated)
      return { submission: updated, changed: updated.status !== current.status || message !== undefined };
    const now = await dsm.submission(id);
    throw new RaytioError(
      "DSM_VALIDATION",
      `Submission ${id} changed from ${current.status} to ${now.status} while this update ran. Check it with list_submissions and try again.`,
      { details: { submission_id: id, status: now.status } },
    );
  },
  summarize: ({ submission, changed }) =>
    changed
      ? `Submission ${submission.id} is now ${submission.status}.`
      : `Submission ${submission.id} was already ${submission.status}; nothing changed.`,
});
