import { describe, expect, it } from "vitest";
import {
  assertSubmissionTransition,
  RECEIVER_STATUSES,
  requestStatus,
  SUBMISSION_STATUSES,
  SUBMISSION_TRANSITIONS,
  submissionStatusFromBackend,
} from "./status.js";

describe("requestStatus", () => {
  const now = Date.parse("2026-11-21T10:00:00Z");
  it("derives expired from a pending request past its expiry, and only from a pending one", () => {
    expect(requestStatus("PENDING", "2026-11-21T10:00:01Z", now)).toBe("pending");
    expect(requestStatus("PENDING", "2026-11-21T10:00:00Z", now)).toBe("expired");
    expect(requestStatus("SUBMITTED", "2026-11-20T10:00:00Z", now)).toBe("submitted");
    expect(requestStatus("CANCELLED", "2026-11-22T10:00:00Z", now)).toBe("cancelled");
  });

  it("reports an unknown stored status as an API contract problem", () => {
    expect(() => requestStatus("LOST", "2026-11-21T10:00:00Z", now)).toThrow(/unknown request status "LOST"/);
  });
});

describe("submission transitions", () => {
  it("never lets the receiver set submitted, and keeps accepted and rejected final", () => {
    expect(RECEIVER_STATUSES).not.toContain("submitted");
    expect(SUBMISSION_TRANSITIONS.accepted).toEqual([]);
    expect(SUBMISSION_TRANSITIONS.rejected).toEqual([]);
    for (const from of SUBMISSION_STATUSES) expect(SUBMISSION_TRANSITIONS[from]).not.toContain("submitted");
  });

  it("only moves forward: submitted → received → processing → accepted | rejected", () => {
    const order = ["submitted", "received", "processing", "accepted"] as const;
    for (const from of SUBMISSION_STATUSES) {
      for (const to of RECEIVER_STATUSES) {
        const legal = SUBMISSION_TRANSITIONS[from].includes(to) || from === to;
        const run = () => assertSubmissionTransition("s1", from, to);
        if (legal) expect(run).not.toThrow();
        else expect(run).toThrow(/DSM_VALIDATION|cannot become/);
        if (legal && from !== to && to !== "rejected") {
          expect(order.indexOf(to as (typeof order)[number])).toBeGreaterThan(
            order.indexOf(from as (typeof order)[number]),
          );
        }
      }
    }
  });

  it("names the legal next statuses in the error", () => {
    expect(() => assertSubmissionTransition("s1", "processing", "received")).toThrow(
      "Submission s1 is processing and cannot become received: from processing it can move to accepted, rejected.",
    );
    expect(() => assertSubmissionTransition("s1", "rejected", "accepted")).toThrow(/rejected is final/);
  });

  it("reads the API's upper-case values", () => {
    expect(submissionStatusFromBackend("PROCESSING")).toBe("processing");
    expect(() => submissionStatusFromBackend("ARCHIVED")).toThrow(/unknown submission status/);
  });
});
