import { describe, expect, it } from "vitest";
import { raytioErrorFrom as thrown } from "../../test/support/raytio-error.js";
import { WORK_ITEM_STATUSES, type WorkItemStatus } from "./status.js";
import {
  legalIntents,
  movedMeanwhile,
  nextStatus,
  OPEN_STATUSES,
  planTransition,
  reasonRequired,
  TRANSITION_INTENTS,
  type TransitionIntent,
} from "./transitions.js";

/**
 * The expected machine, written out in full and independently of the implementation: every one of the
 * 6 x 7 (status, intent) pairs is listed, so adding a status or intent without deciding its row fails.
 */
const EXPECTED: Record<WorkItemStatus, Record<TransitionIntent, WorkItemStatus | null>> = {
  new: {
    start: "in_progress",
    block: null,
    unblock: null,
    submit_for_review: null,
    complete: null,
    cancel: "cancelled",
    reopen: null,
  },
  in_progress: {
    start: null,
    block: "blocked",
    unblock: null,
    submit_for_review: "in_review",
    complete: null,
    cancel: "cancelled",
    reopen: null,
  },
  blocked: {
    start: null,
    block: null,
    unblock: "in_progress",
    submit_for_review: null,
    complete: null,
    cancel: "cancelled",
    reopen: null,
  },
  in_review: {
    start: "in_progress",
    block: null,
    unblock: null,
    submit_for_review: null,
    complete: "done",
    cancel: "cancelled",
    reopen: null,
  },
  done: {
    start: null,
    block: null,
    unblock: null,
    submit_for_review: null,
    complete: null,
    cancel: null,
    reopen: "in_progress",
  },
  cancelled: {
    start: null,
    block: null,
    unblock: null,
    submit_for_review: null,
    complete: null,
    cancel: null,
    reopen: "new",
  },
};

const PAIRS = WORK_ITEM_STATUSES.flatMap((status) =>
  TRANSITION_INTENTS.map((intent) => [status, intent, EXPECTED[status][intent]] as const),
);

describe("work-item state machine", () => {
  it("covers every status and intent", () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...WORK_ITEM_STATUSES].sort());
    expect(PAIRS).toHaveLength(WORK_ITEM_STATUSES.length * TRANSITION_INTENTS.length);
  });

  it.each(PAIRS.filter(([, , to]) => to !== null))("%s --%s--> %s", (from, intent, to) => {
    expect(nextStatus(from, intent)).toBe(to);
    const reason = reasonRequired(intent) ? "waiting for the supplier's signed contract" : undefined;
    expect(planTransition(from, intent, reason, "item-1")).toEqual({ intent, from, to, reason });
  });

  it.each(PAIRS.filter(([, , to]) => to === null))(
    "refuses %s --%s--> with PPM_VALIDATION naming the status and the legal intents",
    (from, intent) => {
      expect(nextStatus(from, intent)).toBeUndefined();
      const error = thrown(() => planTransition(from, intent, "a reason", "item-1"));
      const legal = TRANSITION_INTENTS.filter((candidate) => EXPECTED[from][candidate] !== null);
      expect(error.code).toBe("PPM_VALIDATION");
      expect(error.message).toBe(
        `Work item item-1 is ${from}, so ${intent} is not possible. Legal intents now: ${legal.join(", ")}.`,
      );
      expect(error.details).toEqual({ id: "item-1", intent, current_status: from, legal_intents: legal });
    },
  );

  it("lists the legal intents of each status in a fixed order", () => {
    for (const status of WORK_ITEM_STATUSES) {
      expect(legalIntents(status)).toEqual(
        TRANSITION_INTENTS.filter((intent) => EXPECTED[status][intent] !== null),
      );
    }
  });

  it("never leaves a status with no way out, and reaches every status from new", () => {
    const reached = new Set<WorkItemStatus>(["new"]);
    const queue: WorkItemStatus[] = ["new"];
    for (let status = queue.shift(); status !== undefined; status = queue.shift()) {
      expect(legalIntents(status).length, status).toBeGreaterThan(0);
      for (const intent of legalIntents(status)) {
        const to = nextStatus(status, intent);
        if (to && !reached.has(to)) {
          reached.add(to);
          queue.push(to);
        }
      }
    }
    expect([...reached].sort()).toEqual([...WORK_ITEM_STATUSES].sort());
  });

  it("lets every open item be cancelled and only closed items be reopened", () => {
    expect(OPEN_STATUSES).toEqual(["new", "in_progress", "blocked", "in_review"]);
    for (const status of WORK_ITEM_STATUSES) {
      const open = OPEN_STATUSES.includes(status);
      expect(nextStatus(status, "cancel") !== undefined, status).toBe(open);
      expect(nextStatus(status, "reopen") !== undefined, status).toBe(!open);
    }
  });

  it("requires a reason to block, and only to block", () => {
    expect(TRANSITION_INTENTS.filter(reasonRequired)).toEqual(["block"]);
    for (const reason of [undefined, "", "   \n"]) {
      const error = thrown(() => planTransition("in_progress", "block", reason));
      expect(error.code).toBe("PPM_VALIDATION");
      expect(error.message).toMatch(/block intent needs a reason/);
    }
    expect(planTransition("in_progress", "block", "  waiting for legal  ").reason).toBe("waiting for legal");
    expect(planTransition("new", "start", "   ").reason).toBeUndefined();
  });

  it("checks the reason before legality, so a missing reason is reported even from the wrong status", () => {
    expect(thrown(() => planTransition("done", "block", undefined)).details).toEqual({
      intent: "block",
      missing: "reason",
    });
  });

  it("explains a move made meanwhile with the now-legal intents", () => {
    const error = movedMeanwhile("start", "new", "cancelled", "item-2");
    expect(error.code).toBe("PPM_VALIDATION");
    expect(error.message).toBe(
      "Work item item-2 moved from new to cancelled meanwhile (changed by another agent or user), so start was not applied. Legal intents now: reopen.",
    );
    expect(error.details).toEqual({
      id: "item-2",
      intent: "start",
      current_status: "cancelled",
      previous_status: "new",
      legal_intents: ["reopen"],
    });
    // Even an intent that is still legal after the move is refused: the decision was made on stale state.
    expect(movedMeanwhile("cancel", "new", "in_progress", "item-3").message).toMatch(
      /moved from new to in_progress meanwhile.*cancel was not applied\. Legal intents now: block, submit_for_review, cancel\.$/,
    );
    expect(movedMeanwhile("start", "new", "new", "item-4").message).toMatch(/is new again/);
  });
});
