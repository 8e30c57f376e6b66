import { PostgrestError } from "./query.js";
import { JSON_TYPE, type Reply } from "./reply.js";

/** PostgREST's error replies: SQLSTATE to HTTP status, and the authenticator's refusals. */
interface DatabaseErrorLike {
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

function isDatabaseError(error: unknown): error is DatabaseErrorLike {
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as { code?: unknown }).code === "string" &&
    typeof (error as { severity?: unknown }).severity === "string"
  );
}

/** PostgREST's SQLSTATE -> HTTP status table (PostgREST.Error.mapSQLtoHTTP). */
export function statusForSqlState(code: string, message: string, authenticated: boolean): number {
  switch (code) {
    case "23503":
    case "23505":
      return 409;
    case "25006":
      return 405;
    case "21000":
      return message.endsWith("requires a WHERE clause") ? 400 : 500;
    case "22023":
      return message.startsWith("role") && message.endsWith("does not exist") ? 401 : 400;
    case "53400":
      return 500;
    case "57P01":
      return 503;
    case "P0001":
      return 400;
    case "42883":
      return 404;
    case "42P01":
      return 404;
    case "42P17":
      return 500;
    case "42501":
      return authenticated ? 403 : 401;
  }
  const cls = code.slice(0, 2);
  if (cls === "PT") {
    const status = Number(code.slice(2));
    return Number.isInteger(status) && status >= 100 && status <= 599 ? status : 500;
  }
  const byClass: Record<string, number> = {
    "08": 503,
    "09": 500,
    "0L": 403,
    "0P": 403,
    "25": 500,
    "28": 403,
    "2D": 500,
    "38": 500,
    "39": 500,
    "3B": 500,
    "40": 500,
    "53": 503,
    "54": 500,
    "55": 500,
    "57": 500,
    "58": 500,
    F0: 500,
    HV: 500,
    P0: 500,
    XX: 500,
  };
  return byClass[cls] ?? 400;
}

/** PostgREST quotes the description with Haskell's `show`; header values must also stay single-line. */
function headerQuoted(text: string): string {
  const escaped = text.replaceAll("\\", "\\\\").replaceAll('"', '\\"');
  return `"${escaped.replace(/[^\x20-\x7e]/g, "?")}"`;
}

export function errorReply(error: unknown, authenticated: boolean): Reply {
  let status: number;
  let body: { code: string; details: string | null; hint: string | null; message: string };
  let headers: Record<string, string> = {};
  if (error instanceof PostgrestError) {
    status = error.status;
    body = error.toBody();
    headers = { ...error.headers };
  } else if (isDatabaseError(error)) {
    status = statusForSqlState(error.code, error.message, authenticated);
    body = {
      code: error.code,
      details: error.detail ?? null,
      hint: error.hint ?? null,
      message: error.message,
    };
    if (status === 401) headers["WWW-Authenticate"] = "Bearer";
  } else {
    status = 500;
    body = {
      code: "PGRSTX00",
      details: null,
      hint: null,
      message: error instanceof Error ? error.message : String(error),
    };
  }
  return {
    status,
    headers: { "Content-Type": JSON_TYPE, "Proxy-Status": `PostgREST; error=${body.code}`, ...headers },
    body: JSON.stringify(body),
  };
}

export function authFailure(thrown: unknown): PostgrestError {
  if (
    typeof thrown === "object" &&
    thrown !== null &&
    typeof (thrown as { status?: unknown }).status === "number"
  ) {
    const t = thrown as {
      status: number;
      code?: unknown;
      message?: unknown;
      details?: unknown;
      hint?: unknown;
    };
    const code = typeof t.code === "string" ? t.code : "PGRST301";
    const message = typeof t.message === "string" ? t.message : "JWT invalid";
    const headers: Record<string, string> = {};
    if (t.status === 401) {
      headers["WWW-Authenticate"] =
        code === "PGRST302"
          ? "Bearer"
          : `Bearer error="invalid_token", error_description=${headerQuoted(message)}`;
    }
    return new PostgrestError(
      t.status,
      code,
      message,
      typeof t.details === "string" ? t.details : null,
      typeof t.hint === "string" ? t.hint : null,
      headers,
    );
  }
  throw thrown;
}
