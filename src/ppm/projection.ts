import { z } from "zod";
import { statusFromBackend, WORK_ITEM_PRIORITIES, WORK_ITEM_STATUSES, WORK_ITEM_TYPES } from "./status.js";

/** Only the columns tools show, so the API never sends more than a model will read. */
export const WORK_ITEM_SELECT = [
  "id",
  "title",
  "description",
  "status",
  "priority",
  "type",
  "parent_id",
  "assignee_party_id",
  "due_date",
  "tags",
  "created_at",
  "updated_at",
] as const;

const lower = <T extends readonly [string, ...string[]]>(values: T) =>
  z.string().transform((value, context) => {
    const lowered = value.toLowerCase();
    if ((values as readonly string[]).includes(lowered)) return lowered as T[number];
    context.addIssue({ code: "custom", message: `unexpected value ${value}` });
    return z.NEVER;
  });

/** The API row as the server relies on it. */
export const workItemRowSchema = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  status: z.string().transform(statusFromBackend),
  priority: lower(WORK_ITEM_PRIORITIES),
  type: lower(WORK_ITEM_TYPES),
  parent_id: z.string().nullable(),
  assignee_party_id: z.string().nullable(),
  due_date: z.string().nullable(),
  tags: z
    .array(z.string())
    .nullable()
    .transform((tags) => tags ?? []),
  created_at: z.string(),
  updated_at: z.string(),
});

/** What tools return for a work item. */
export const workItemSchema = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  status: z.enum(WORK_ITEM_STATUSES),
  priority: z.enum(WORK_ITEM_PRIORITIES),
  type: z.enum(WORK_ITEM_TYPES),
  parent_id: z.string().nullable(),
  assignee_party_id: z.string().nullable(),
  due_date: z.string().nullable(),
  tags: z.array(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
});

export type WorkItem = z.infer<typeof workItemSchema>;
