import { isRaytioError, RaytioError } from "../errors.js";

/**
 * Turns the API client's generic errors into WRM ones. Row-level security makes "missing" and "another
 * customer's" indistinguishable on purpose, so every not-found message names both causes.
 */
const HIDDEN_CAUSES =
  "it may not exist, or it may belong to another customer (row-level security hides other customers' records)";

export interface WrmErrorContext {
  /** What a single-object read or update addressed, e.g. "agent run 1b2c…"; used for 404/406. */
  subject?: string;
  /**
   * Foreign-key constraint names (or a distinctive part of them) → the reference they check, e.g.
   * `{ worker_fk: "worker 1b2c…" }`. The sandbox and PostgREST put the constraint name in the message.
   */
  references?: Record<string, string>;
  /** What a unique-constraint clash means here, e.g. "A role named \"Triage\"". */
  duplicate?: string;
}

export function wrmNotFound(subject: string): RaytioError {
  return new RaytioError("WRM_NOT_FOUND", `${subject} was not found: ${HIDDEN_CAUSES}.`);
}

export function wrmValidation(message: string, details?: Record<string, unknown>): RaytioError {
  return new RaytioError("WRM_VALIDATION", message, details ? { details } : undefined);
}

/** The database's own sentence, without the client's "The Raytio API refused … (HTTP …): " preamble. */
export function apiReason(message: string): string {
  return message.replace(/^The Raytio API refused [^(]*\(HTTP [^)]*\):\s*/, "").trim();
}

export function toWrmError(error: unknown, context: WrmErrorContext): unknown {
  if (!isRaytioError(error)) return error;
  const details = error.details ?? {};
  const apiCode = typeof details.apiCode === "string" ? details.apiCode : undefined;
  const status = typeof details.status === "number" ? details.status : undefined;
  if (error.code === "NOT_FOUND" && context.subject) {
    return new RaytioError("WRM_NOT_FOUND", `${context.subject} was not found: ${HIDDEN_CAUSES}.`, {
      details,
      cause: error,
    });
  }
  if (error.code !== "API_ERROR") return error;
  const reason = apiReason(error.message);
  if (apiCode === "23503") {
    const match = Object.entries(context.references ?? {}).find(([constraint]) =>
      reason.includes(constraint),
    );
    const subject = match ? match[1] : "A record this call refers to";
    return new RaytioError("WRM_NOT_FOUND", `${subject} was not found: ${HIDDEN_CAUSES}.`, {
      details,
      cause: error,
    });
  }
  if (apiCode === "23505") {
    return new RaytioError(
      "WRM_VALIDATION",
      `${context.duplicate ?? "A record with the same name"} already exists: choose another name, or update the existing one.`,
      { details, cause: error },
    );
  }
  if (status === 403) {
    return new RaytioError(
      "API_ERROR",
      "Row-level security refused this write: changing WRM data needs the WORKER_ADMINISTRATOR or PROJECT_ADMINISTRATOR role.",
      { details, cause: error },
    );
  }
  if (status === 400) {
    return new RaytioError("WRM_VALIDATION", `Refused by the Raytio API: ${reason}`, {
      details,
      cause: error,
    });
  }
  return error;
}

/** Awaits an API call and rethrows its failure as a WRM error where one applies. */
export async function wrmCall<T>(call: Promise<T>, context: WrmErrorContext): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw toWrmError(error, context);
  }
}
