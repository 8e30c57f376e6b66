import { RaytioError } from "../errors.js";

/**
 * Request and submission statuses as the model sees them (lower case) and as the API stores them
 * (upper case). Only this module knows the wire values.
 */

/** A request is `expired` when it is still pending past `expires_at`; the API stores no such value. */
export const REQUEST_STATUSES = ["pending", "submitted", "expired", "cancelled"] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export function requestStatus(stored: string, expiresAt: string, now: number = Date.now()): RequestStatus {
  switch (stored) {
    case "PENDING":
      return Date.parse(expiresAt) <= now ? "expired" : "pending";
    case "SUBMITTED":
      return "submitted";
    case "CANCELLED":
      return "cancelled";
    default:
      throw new RaytioError(
        "API_ERROR",
        `The Raytio API returned an unknown request status ${JSON.stringify(stored.slice(0, 40))}.`,
      );
  }
}

/** Raytio's submission (application instance) statuses, as Raytio's submissions docs name them. */
export const SUBMISSION_STATUSES = ["submitted", "received", "processing", "accepted", "rejected"] as const;
export type SubmissionStatus = (typeof SUBMISSION_STATUSES)[number];

/** What the receiver may set; `submitted` is only ever set by the person who shares the data. */
export const RECEIVER_STATUSES = ["received", "processing", "accepted", "rejected"] as const;
export type ReceiverStatus = (typeof RECEIVER_STATUSES)[number];

/**
 * Legal moves, mirrored by the API's trigger (sandbox/db/030_dsm.sql). `received` means the receiver
 * has looked at the data; `accepted` and `rejected` are final. Setting the current status again is
 * allowed and changes nothing, so the update is idempotent.
 */
export const SUBMISSION_TRANSITIONS: Readonly<Record<SubmissionStatus, readonly ReceiverStatus[]>> = {
  submitted: ["received", "processing", "accepted", "rejected"],
  received: ["processing", "accepted", "rejected"],
  processing: ["accepted", "rejected"],
  accepted: [],
  rejected: [],
};

export function submissionStatusFromBackend(value: string): SubmissionStatus {
  const lowered = value.toLowerCase();
  if ((SUBMISSION_STATUSES as readonly string[]).includes(lowered)) return lowered as SubmissionStatus;
  throw new RaytioError(
    "API_ERROR",
    `The Raytio API returned an unknown submission status ${JSON.stringify(value.slice(0, 40))}.`,
  );
}

export function statusToBackend(status: SubmissionStatus | RequestStatus): string {
  return status.toUpperCase();
}

/** Throws DSM_VALIDATION naming the current status and the statuses it may move to. */
export function assertSubmissionTransition(id: string, from: SubmissionStatus, to: ReceiverStatus): void {
  if (from === to) return;
  const legal = SUBMISSION_TRANSITIONS[from];
  if (legal.includes(to)) return;
  const next = legal.length === 0 ? `${from} is final` : `from ${from} it can move to ${legal.join(", ")}`;
  throw new RaytioError("DSM_VALIDATION", `Submission ${id} is ${from} and cannot become ${to}: ${next}.`, {
    details: { id, status: from, legal_next: legal },
  });
}
