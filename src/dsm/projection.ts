import { z } from "zod";

export const ACCESS_APPLICATION_LIST_SELECT = ["id", "name", "description", "schemas", "created_at"] as const;

export const accessApplicationListItemSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  schemas: z.array(z.string()),
  created_at: z.string(),
});
