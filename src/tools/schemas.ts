import { z } from "zod";

/**
 * Shared parameter vocabulary. Formats are checked with refinements rather than zod's built-in
 * format validators because those emit long regular expressions into every tool's JSON Schema, and
 * tools/list size is budgeted; the check at call time is the same.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function idParam(description: string) {
  return z
    .string()
    .refine((value) => UUID.test(value), { error: "must be a UUID" })
    .describe(description);
}

export const isoDate = z
  .string()
  .refine((value) => /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)), {
    error: "must be a date as YYYY-MM-DD",
  })
  .describe("YYYY-MM-DD");

export const isoDateTime = z
  .string()
  .refine(
    (value) =>
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) &&
      !Number.isNaN(Date.parse(value)),
    {
      error: "must be an ISO 8601 timestamp with a time zone, e.g. 2026-11-21T09:00:00Z",
    },
  )
  .describe("ISO 8601 timestamp");
