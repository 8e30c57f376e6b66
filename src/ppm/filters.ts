import { columnsOf } from "../raytio/pages.js";
import { containsPattern, type PostgrestQuery, query } from "../raytio/postgrest.js";
import { workItemRowSchema } from "./projection.js";
import { statusToBackend, type WorkItemStatus } from "./status.js";

export const WORK_ITEM_SORTS = {
  updated_desc: ["updated_at", "desc"],
  updated_asc: ["updated_at", "asc"],
  created_desc: ["created_at", "desc"],
  due_asc: ["due_date", "asc"],
  title_asc: ["title", "asc"],
} as const;

export type WorkItemSort = keyof typeof WORK_ITEM_SORTS;

export interface WorkItemFilters {
  status?: readonly WorkItemStatus[] | undefined;
  assignee_party_id?: string | undefined;
  parent_id?: string | undefined;
  tag?: string | undefined;
  text?: string | undefined;
  due_before?: string | undefined;
  due_after?: string | undefined;
  updated_since?: string | undefined;
  sort?: WorkItemSort | undefined;
}

/**
 * Builds the work-item list query on the safe builder: every value the model supplies is encoded by
 * the builder, so a crafted value matches literally and can never add a condition.
 */
export function buildPostgrestQuery(
  filters: WorkItemFilters,
  page: { offset: number; limit: number },
): PostgrestQuery {
  const q = query().select(columnsOf(workItemRowSchema));
  if (filters.status && filters.status.length > 0) q.in("status", filters.status.map(statusToBackend));
  if (filters.assignee_party_id) q.eq("assignee_party_id", filters.assignee_party_id);
  if (filters.parent_id) q.eq("parent_id", filters.parent_id);
  if (filters.tag) q.where({ column: "tags", op: "cs", values: [filters.tag] });
  if (filters.text) {
    const pattern = containsPattern(filters.text);
    q.where({
      op: "or",
      conditions: [
        { column: "title", op: "ilike", pattern },
        { column: "description", op: "ilike", pattern },
      ],
    });
  }
  if (filters.due_before) q.where({ column: "due_date", op: "lt", value: filters.due_before });
  if (filters.due_after) q.where({ column: "due_date", op: "gt", value: filters.due_after });
  if (filters.updated_since) q.where({ column: "updated_at", op: "gte", value: filters.updated_since });
  const [column, direction] = WORK_ITEM_SORTS[filters.sort ?? "updated_desc"];
  // The id tie-breaker keeps pages stable when many rows share a timestamp.
  q.order(column, direction, "last").order("id", "asc");
  return q.offset(page.offset).limit(page.limit);
}
