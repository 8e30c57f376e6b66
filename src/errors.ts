/**
 * Every failure a tool can report carries one of these stable codes. Models and scripts branch on the
 * code; the message says what to do next. Messages never contain secrets, tokens, passwords, key
 * material or decrypted values: callers build them from ids and field names only.
 */
export const ERROR_CODES = [
  "CONFIG_INVALID",
  "AUTH_FAILED",
  "API_ERROR",
  "API_UNAVAILABLE",
  "NOT_FOUND",
  "VALIDATION",
  "PPM_NOT_FOUND",
  "PPM_VALIDATION",
  "PRM_NOT_FOUND",
  "PRM_VALIDATION",
  "WRM_NOT_FOUND",
  "WRM_VALIDATION",
  "DSM_NOT_FOUND",
  "DSM_VALIDATION",
  "REQUEST_EXPIRED",
  "CANCELLED",
  "UNSUPPORTED_ENVELOPE",
  "WRONG_KEY",
  "DECRYPTION_FAILED",
  "TOOL_NOT_EXPOSED",
  "DECLINED",
  "CONFIRMATION_UNAVAILABLE",
  "LIMIT_REACHED",
  "INTERNAL_ERROR",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class RaytioError extends Error {
  readonly code: ErrorCode;
  /** Safe, structured facts for the model (ids, field names, legal values). Never secrets. */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { details?: Record<string, unknown>; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RaytioError";
    this.code = code;
    this.details = options?.details;
  }
}

export function isRaytioError(error: unknown): error is RaytioError {
  return error instanceof RaytioError;
}
