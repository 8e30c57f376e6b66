import { z } from "zod";
import { pollUntil } from "../../dsm/poll.js";
import type { Request } from "../../dsm/projection.js";
import { groupBySchema } from "../../dsm/records.js";
import { SUBMISSION_STATUSES, SUBMISSION_TRANSITIONS, type SubmissionStatus } from "../../dsm/status.js";
import { RaytioError } from "../../errors.js";
import { thirdParty } from "../../untrusted-text.js";
import { shortCode } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

const MAX_WAIT_SECONDS = 3_600;

/**
 * How long one call waits when the caller does not say. The MCP SDK's client, the Inspector and Codex
 * give up on a request after 60 s by default (MCP error -32001), which the configured 600 s would
 * always exceed: a shorter wait returns `pending`, and v1.17's loop (call again until `data`) or a
 * model simply calls again. Longer waits are for clients that raised their timeout, or for tasks.
 */
export const DEFAULT_WAIT_SECONDS = 50;

const inputSchema = z.strictObject({
  request_short_code: shortCode("The request's code (from send_request)"),
  wait_seconds: z
    .number()
    .min(0)
    .max(MAX_WAIT_SECONDS)
    .optional()
    .describe(
      "Longest wait in seconds; 0 checks once. Default 50 (fits a 60 s client timeout); at most RAYTIO_REQUEST_TIMEOUT_SECONDS",
    ),
});

/**
 * v1.17's loop reads `result.data`: null until the person answers, then the decrypted data keyed by
 * schema. `status` is where the request stands: pending, cancelled, or (once answered) the
 * submission's own review status, so the two can never disagree.
 */
const outputSchema = z.object({
  request_short_code: z.string(),
  status: z
    .enum(["pending", "cancelled", ...SUBMISSION_STATUSES])
    .describe("pending, cancelled, or the submission's review status"),
  expires_at: z.string(),
  waited_seconds: z.number(),
  // Decrypted values, written by the person who shared them.
  data: thirdParty(z.record(z.string(), z.unknown()))
    .nullable()
    .describe("Decrypted data keyed by schema; null until the person answers"),
  submission: z
    .object({
      id: z.string(),
      status: z.enum(SUBMISSION_STATUSES),
      confirmation_code: z.string(),
      reference: thirdParty(z.string()).nullable(),
      shared_by: thirdParty(z.string()),
      submitted_at: z.string(),
    })
    .nullable(),
});

function expired(row: Request): RaytioError {
  return new RaytioError(
    "REQUEST_EXPIRED",
    `Request ${row.request_short_code} expired at ${row.expires_at} before the person shared their data. Send a new request with send_request (the form's short_link_key still works).`,
    { details: { request_short_code: row.request_short_code, expires_at: row.expires_at } },
  );
}

/** What the receiver can still do, so a reviewed submission is never asked to be reviewed again. */
function reviewNext(status: SubmissionStatus): string {
  const next = SUBMISSION_TRANSITIONS[status];
  return next.length === 0
    ? `Its review is final (${status}); nothing is left to record.`
    : `Record your review with update_submission_status (${next.join(", ")}).`;
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

export default defineTool({
  name: "poll_and_retrieve",
  title: "Poll and retrieve data",
  description:
    "Wait for the person to answer a DSM request, then decrypt their submission locally: data keyed by schema (null until answered), status and submission beside it. Returns status pending if the wait ends first. Call send_request first.",
  domain: "dsm",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema,
  async handler(input, { config, dsm, signal, progress }) {
    // Checked first: waiting ten minutes to then fail for want of a setting would waste the wait.
    dsm.requireEncryptionPassword();
    const limit = config.requestTimeoutSeconds;
    if (input.wait_seconds !== undefined && input.wait_seconds > limit) {
      throw new RaytioError(
        "DSM_VALIDATION",
        `wait_seconds must be from 0 to ${limit} (RAYTIO_REQUEST_TIMEOUT_SECONDS). Omit it to wait ${Math.min(DEFAULT_WAIT_SECONDS, limit)} s.`,
        { details: { field: "wait_seconds", max: limit } },
      );
    }
    const waitSeconds = input.wait_seconds ?? Math.min(DEFAULT_WAIT_SECONDS, limit);
    const code = input.request_short_code;

    const outcome = await pollUntil<Request>({
      check: async () => {
        const row = await dsm.request(code);
        if (row.status === "expired") throw expired(row);
        if (row.status === "pending") return { done: false, expiresAt: Date.parse(row.expires_at) };
        return { done: true, value: row };
      },
      waitMs: waitSeconds * 1000,
      intervalMs: config.pollIntervalSeconds * 1000,
      signal,
      onWaiting: (elapsed) =>
        progress(
          seconds(elapsed),
          waitSeconds,
          `Waiting for the person to share their data (${Math.round(elapsed / 1000)} s of ${waitSeconds} s)`,
        ),
    });

    if (!outcome.done) {
      const row = await dsm.request(code);
      return {
        request_short_code: code,
        status: "pending" as const,
        expires_at: row.expires_at,
        waited_seconds: seconds(outcome.waitedMs),
        data: null,
        submission: null,
      };
    }
    const row = outcome.value;
    const base = {
      request_short_code: code,
      expires_at: row.expires_at,
      waited_seconds: seconds(outcome.waitedMs),
    };
    if (row.status === "cancelled")
      return { ...base, status: "cancelled" as const, data: null, submission: null };

    const submission = await dsm.submissionForRequest(code);
    if (!submission) {
      throw new RaytioError(
        "DSM_NOT_FOUND",
        `Request ${code} is submitted but its submission is not visible to this account. Check it with list_submissions.`,
        { details: { request_short_code: code } },
      );
    }
    const form = await dsm.form(submission.form_id);
    const values = await dsm.openRecords(submission.application_id, submission.records);
    return {
      ...base,
      status: submission.status,
      data: groupBySchema(values, form.pages),
      submission: {
        id: submission.id,
        status: submission.status,
        confirmation_code: submission.confirmation_code,
        reference: submission.reference,
        shared_by: submission.shared_by,
        submitted_at: submission.submitted_at,
      },
    };
  },
  // Run as an MCP task, the wait is the person's, not the call's: the task works until they answer
  // (completed: the same result a blocking call now returns at once) or the request expires (failed).
  task: {
    async check(input, { dsm }) {
      dsm.requireEncryptionPassword();
      const row = await dsm.request(input.request_short_code);
      if (row.status === "expired") throw expired(row);
      if (row.status !== "pending") return { done: true };
      return {
        done: false,
        statusMessage: `Waiting for the person to answer data request ${row.request_short_code} (it expires at ${row.expires_at}).`,
        expiresAt: Date.parse(row.expires_at),
      };
    },
    resultInput: (input) => ({ request_short_code: input.request_short_code, wait_seconds: 0 }),
  },
  summarize: (output) => {
    if (output.status === "pending") {
      return `Request ${output.request_short_code} is still pending after ${output.waited_seconds} s (expires at ${output.expires_at}). Call poll_and_retrieve again to keep waiting.`;
    }
    if (!output.submission || !output.data)
      return `Request ${output.request_short_code} was cancelled; nothing was shared.`;
    const count = Object.keys(output.data).length;
    return `Request ${output.request_short_code} was answered: decrypted data for ${count} schema${count === 1 ? "" : "s"} (submission ${output.submission.id}, ${output.submission.status}). ${reviewNext(output.submission.status)}`;
  },
});
