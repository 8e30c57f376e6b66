import { z } from "zod";

export const WORKER_STATUSES = ["active", "paused", "retired"] as const;

export const WORKER_LIST_SELECT = [
  "id",
  "name",
  "purpose",
  "status",
  "model_stack_id",
  "updated_at",
] as const;

export const workerListRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  purpose: z.string().nullable(),
  status: z.string().transform((value) => value.toLowerCase() as (typeof WORKER_STATUSES)[number]),
  model_stack_id: z.string().nullable(),
  updated_at: z.string(),
});

export const workerListItemSchema = z.object({
  id: z.string(),
  name: z.string(),
  purpose: z.string().nullable(),
  status: z.enum(WORKER_STATUSES),
  model_stack_id: z.string().nullable(),
  updated_at: z.string(),
});
