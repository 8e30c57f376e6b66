import { z } from "zod";
import { CONTACT_POINT_TYPES } from "./projection.js";

/**
 * Input vocabulary shared by create_party and update_party. Formats are checked with refinements,
 * not zod's format validators, to keep tools/list small (see src/tools/core/schemas.ts).
 */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9(][0-9 ()-]{3,28}[0-9]$/;

export const partyName = z.string().trim().min(1).max(200);

export const email = z
  .string()
  .trim()
  .max(320)
  .refine((value) => EMAIL.test(value), { error: "must be an email address" })
  .transform((value) => value.toLowerCase());

export const phone = z
  .string()
  .trim()
  .refine((value) => PHONE.test(value), {
    error: "must be a phone number of digits, spaces, ()-, optional +",
  })
  .describe("e.g. +64 21 555 0100");

export const contactPoints = z
  .array(
    z.strictObject({
      type: z.enum(CONTACT_POINT_TYPES),
      value: z.string().trim().min(1).max(500),
      label: z.string().trim().min(1).max(50).optional().describe("e.g. home, work"),
    }),
  )
  .max(20)
  .describe("Other contact points beyond the main email and phone");

export const externalRefs = z
  .record(z.string().regex(/^[a-z][a-z0-9_]{0,39}$/), z.string().trim().min(1).max(200))
  .refine((refs) => Object.keys(refs).length <= 20, { error: "at most 20 references" })
  .describe('Ids in other systems, e.g. {"nzbn":"9429041234567"}');

export const partyTags = z
  .array(z.string().trim().min(1).max(100))
  .max(20)
  .transform((values) => [...new Set(values)]);

export const notes = z.string().max(20_000);
