import { RaytioError } from "../errors.js";
import { WORK_ITEM_STATUSES, type WorkItemStatus } from "./status.js";

/**
 * The work-item state machine. Models ask for an intent, never a status: the intent names what
 * happened to the work, and this table alone decides where that leads from the current status.
 *
 *   new         --start-->              in_progress
 *   in_progress --block (reason)-->     blocked
 *   blocked     --unblock-->            in_progress
 *   in_progress --submit_for_review-->  in_review
 *   in_review   --complete-->           done
 *   in_review   --start-->              in_progress   (changes requested)
 *   new, in_progress, blocked, in_review --cancel--> cancelled
 *   done        --reopen-->             in_progress   (more work on something that was finished)
 *   cancelled   --reopen-->             new           (back to the backlog, to be triaged again)
 *
 * `complete` only follows review, so "done" always means someone looked at the result.
 */
export const TRANSITION_INTENTS = [
  "start",
  "block",
  "unblock",
  "submit_for_review",
  "complete",
  "cancel",
  "reopen",
] as const;
export type TransitionIntent = (typeof TRANSITION_INTENTS)[number];

const MACHINE: Readonly<Record<WorkItemStatus, Readonly<Partial<Record<TransitionIntent, WorkItemStatus>>>>> =
  {
    new: { start: "in_progress", cancel: "cancelled" },
    in_progress: { block: "blocked", submit_for_review: "in_review", cancel: "cancelled" },
    blocked: { unblock: "in_progress", cancel: "cancelled" },
    in_review: { complete: "done", start: "in_progress", cancel: "cancelled" },
    done: { reopen: "in_progress" },
    cancelled: { reopen: "new" },
  };

/** Intents whose activity must say why: a blocked item is useless to the next reader without it. */
const REASON_REQUIRED: ReadonlySet<TransitionIntent> = new Set(["block"]);

export const OPEN_STATUSES: readonly WorkItemStatus[] = WORK_ITEM_STATUSES.filter(
  (status) => status !== "done" && status !== "cancelled",
);

export function reasonRequired(intent: TransitionIntent): boolean {
  return REASON_REQUIRED.has(intent);
}

/** The intents that are legal from `status`, in the order of TRANSITION_INTENTS. */
export function legalIntents(status: WorkItemStatus): TransitionIntent[] {
  return TRANSITION_INTENTS.filter((intent) => MACHINE[status][intent] !== undefined);
}

/** Where `intent` leads from `status`, or undefined when it is not legal there. */
export function nextStatus(status: WorkItemStatus, intent: TransitionIntent): WorkItemStatus | undefined {
  return MACHINE[status][intent];
}

export interface PlannedTransition {
  intent: TransitionIntent;
  from: WorkItemStatus;
  to: WorkItemStatus;
  /** Trimmed; undefined when none was given. */
  reason: string | undefined;
}

/** Decides one transition, or throws PPM_VALIDATION naming the current status and the legal intents. */
export function planTransition(
  from: WorkItemStatus,
  intent: TransitionIntent,
  reason: string | undefined,
  id?: string,
): PlannedTransition {
  const trimmed = reason?.trim() || undefined;
  if (reasonRequired(intent) && trimmed === undefined) {
    throw new RaytioError(
      "PPM_VALIDATION",
      `The ${intent} intent needs a reason: say what the work is waiting for.`,
      { details: { intent, missing: "reason" } },
    );
  }
  const to = nextStatus(from, intent);
  if (to === undefined) {
    throw transitionError(`${itemName(id)} is ${from}, so ${intent} is not possible.`, from, intent, id);
  }
  return { intent, from, to, reason: trimmed };
}

/**
 * The answer when the item is no longer in the status the decision was based on (the status read
 * before a conditional write that then changed nothing, or the caller's expected status). Even if the
 * intent would still be legal, nothing is written: the model decided on stale state and should look
 * again before acting.
 */
export function movedMeanwhile(
  intent: TransitionIntent,
  previous: WorkItemStatus,
  current: WorkItemStatus,
  id: string,
): RaytioError {
  const what =
    previous === current
      ? `${itemName(id)} was changed by another agent or user while this ran and is ${current} again, so ${intent} was not applied.`
      : `${itemName(id)} moved from ${previous} to ${current} meanwhile (changed by another agent or user), so ${intent} was not applied.`;
  return transitionError(what, current, intent, id, { previous_status: previous });
}

function itemName(id: string | undefined): string {
  return id ? `Work item ${id}` : "The work item";
}

function transitionError(
  what: string,
  current: WorkItemStatus,
  intent: TransitionIntent,
  id: string | undefined,
  extra: Record<string, unknown> = {},
): RaytioError {
  const legal = legalIntents(current);
  const next = legal.length > 0 ? `Legal intents now: ${legal.join(", ")}.` : "No intent is legal now.";
  return new RaytioError("PPM_VALIDATION", `${what} ${next}`, {
    details: { ...(id ? { id } : {}), intent, current_status: current, legal_intents: legal, ...extra },
  });
}
