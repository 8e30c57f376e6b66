/**
 * Work-item statuses as the model sees them, and the backend's stored values. Models read and filter by
 * the semantic names; only this module knows the wire values.
 */
export const WORK_ITEM_STATUSES = [
  "new",
  "in_progress",
  "blocked",
  "in_review",
  "done",
  "cancelled",
] as const;
export type WorkItemStatus = (typeof WORK_ITEM_STATUSES)[number];

const TO_BACKEND: Record<WorkItemStatus, string> = {
  new: "NEW",
  in_progress: "IN_PROGRESS",
  blocked: "BLOCKED",
  in_review: "IN_REVIEW",
  done: "DONE",
  cancelled: "CANCELLED",
};

const FROM_BACKEND = new Map(
  Object.entries(TO_BACKEND).map(([semantic, backend]) => [backend, semantic as WorkItemStatus]),
);

export function statusToBackend(status: WorkItemStatus): string {
  return TO_BACKEND[status];
}

/** Undefined for a value this server does not know (the caller reports the contract mismatch). */
export function statusFromBackend(value: string): WorkItemStatus | undefined {
  return FROM_BACKEND.get(value);
}

export const WORK_ITEM_PRIORITIES = ["low", "medium", "high", "urgent"] as const;
export const WORK_ITEM_TYPES = ["task", "bug", "feature", "epic"] as const;

/** Activity kinds as tools show them; the backend stores them upper-case (`STATUS_CHANGE`). */
export const ACTIVITY_KINDS = ["comment", "status_change", "time_entry"] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];
