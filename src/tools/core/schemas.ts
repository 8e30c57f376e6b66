import { z } from "zod";
import { auditTarget } from "../../audit/targets.js";

/**
 * Shared parameter vocabulary. Formats are checked with refinements rather than zod's built-in
 * format validators because those emit long regular expressions into every tool's JSON Schema, and
 * tools/list size is budgeted; the check at call time is the same.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `find` names what the id belongs to and the tool that finds it, so a model that passed a name
 * where an id belongs is told where to look (the pointer is dropped when that tool is hidden).
 */
export function idParam(description: string, find?: { of: string; tool: string }) {
  const error = find
    ? `must be the ${find.of}'s id (a UUID), not its name; find the id with ${find.tool}`
    : "must be a UUID";
  return auditTarget(
    z
      .string()
      .refine((value) => UUID.test(value), { error })
      .describe(description),
  );
}

/** A DSM form's short_link_key or a request's request_short_code: an identifier the audit log names. */
export function shortCode(description: string) {
  return auditTarget(
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{6,64}$/)
      .describe(description),
  );
}

function calendarDay(value: string): string | undefined {
  const time = Date.parse(`${value}T00:00:00Z`);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString().slice(0, 10);
}

export const isoDate = z
  .string()
  // Round-tripping catches days a month does not have: Date.parse accepts 2025-02-30 as 2025-03-02.
  .refine((value) => /^\d{4}-\d{2}-\d{2}$/.test(value) && calendarDay(value) === value, {
    error: "must be a real calendar date as YYYY-MM-DD",
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

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export const emailAddress = z
  .string()
  .max(320)
  .refine((value) => EMAIL.test(value), { error: "must be an email address" });

/**
 * The person a data request reaches. Unlike any other email address (a party's, say), the audit log
 * records it: who was asked is what an organisation must be able to show.
 */
export const recipientEmail = auditTarget(emailAddress.clone());

/**
 * A filter on one or more values of an enum, e.g. status: a model may send "done" or ["done",
 * "cancelled"]; the handler always gets a list. One shape for the same idea in every list tool.
 */
export function oneOrMany<const Values extends readonly [string, ...string[]]>(
  values: Values,
  description: string,
) {
  const value = z.enum(values);
  return z
    .union([value, z.array(value).min(1).max(values.length)])
    .transform((chosen): Array<Values[number]> => (Array.isArray(chosen) ? [...new Set(chosen)] : [chosen]))
    .describe(description);
}
