import { z } from "zod";

export const PARTY_TYPES = ["organisation", "group", "person"] as const;

/** List results carry only what a model needs to pick a party: contact details are personal data. */
export const PARTY_LIST_SELECT = ["id", "party_type", "display_name", "tags"] as const;

export const partyListRowSchema = z
  .object({
    id: z.string(),
    party_type: z.string(),
    display_name: z.string(),
    tags: z.array(z.string()).nullable(),
  })
  .transform((row) => ({
    id: row.id,
    type: row.party_type.toLowerCase() as (typeof PARTY_TYPES)[number],
    name: row.display_name,
    tags: row.tags ?? [],
  }));

export const partyListItemSchema = z.object({
  id: z.string(),
  type: z.enum(PARTY_TYPES),
  name: z.string(),
  tags: z.array(z.string()),
});
