import { z } from "zod";
import { thirdParty } from "../untrusted-text.js";
import {
  ACTIVITY_KINDS,
  statusFromBackend,
  WORK_ITEM_PRIORITIES,
  WORK_ITEM_STATUSES,
  WORK_ITEM_TYPES,
} from "./status.js";

const lower = <T extends readonly [string, ...string[]]>(values: T) =>
  z.string().transform((value, context) => {
    const lowered = value.toLowerCase();
    if ((values as readonly string[]).includes(lowered)) return lowered as T[number];
    context.addIssue({ code: "custom", message: `unexpected value ${value}` });
    return z.NEVER;
  });

/** A stored status read back as its semantic name; an unknown value is a contract mismatch (API_ERROR). */
const backendStatus = z.string().transform((value, context) => {
  const status = statusFromBackend(value);
  if (status) return status;
  context.addIssue({ code: "custom", message: `unexpected status ${value}` });
  return z.NEVER;
});

/** `select=status`: all a transition or an existence check needs to read. */
export const workItemStatusRowSchema = z.object({ status: backendStatus });

/**
 * The API row as the server relies on it. Its keys are also the columns selected (only the ones tools
 * show, so the API never sends more than a model will read).
 */
export const workItemRowSchema = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  status: backendStatus,
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
  title: thirdParty(z.string()),
  description: thirdParty(z.string()).nullable(),
  status: z.enum(WORK_ITEM_STATUSES),
  priority: z.enum(WORK_ITEM_PRIORITIES),
  type: z.enum(WORK_ITEM_TYPES),
  parent_id: z.string().nullable(),
  assignee_party_id: z.string().nullable(),
  due_date: z.string().nullable(),
  tags: thirdParty(z.array(z.string())),
  created_at: z.string(),
  updated_at: z.string(),
});

export type WorkItem = z.infer<typeof workItemSchema>;

export const activityRowSchema = z.object({
  id: z.string(),
  work_item_id: z.string(),
  kind: lower(ACTIVITY_KINDS),
  body: z.string().nullable(),
  from_status: backendStatus.nullable(),
  to_status: backendStatus.nullable(),
  minutes: z.number().int().nullable(),
  actor_id: z.string(),
  created_at: z.string(),
});

/** What tools return for an activity: who did what, and when. */
export const activitySchema = z.object({
  id: z.string(),
  work_item_id: z.string(),
  kind: z.enum(ACTIVITY_KINDS),
  body: thirdParty(z.string()).nullable().describe("Comment text, time-entry note or status-change reason"),
  from_status: z.enum(WORK_ITEM_STATUSES).nullable(),
  to_status: z.enum(WORK_ITEM_STATUSES).nullable(),
  minutes: z.number().int().nullable().describe("Time entries only"),
  actor_id: z.string().describe("User id (Cognito sub) of who did it"),
  created_at: z.string(),
});

export type Activity = z.infer<typeof activitySchema>;
