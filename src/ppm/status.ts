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

const FROM_BACKEND = new Map(Object.entries(TO_BACKEND).map(([semantic, backend]) => [backend, semantic]));

export function statusToBackend(status: WorkItemStatus): string {
  return TO_BACKEND[status];
}

export function statusFromBackend(value: string): WorkItemStatus {
  const semantic = FROM_BACKEND.get(value);
  if (!semantic) throw new Error(`Unknown work item status from the API: ${value}`);
  return semantic as WorkItemStatus;
}

export const WORK_ITEM_PRIORITIES = ["low", "medium", "high", "urgent"] as const;
export const WORK_ITEM_TYPES = ["task", "bug", "feature", "epic"] as const;
