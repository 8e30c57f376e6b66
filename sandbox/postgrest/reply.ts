import type { IncomingHttpHeaders } from "node:http";
import { PostgrestError, type ResolvedRange } from "./query.js";
import type { BodyShape } from "./sql.js";

/**
 * The HTTP side of the PostgREST stand-in that every route shares: the reply shape, media types,
 * `Prefer` and `Accept` handling, Content-Range, and the request-body checks.
 */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body?: string;
}

export const JSON_TYPE = "application/json; charset=utf-8";
const OBJECT_TYPE = "application/vnd.pgrst.object+json; charset=utf-8";

/** One statement's answer, as every built statement shapes it. */
export interface StatementResult {
  total: number | null;
  page_total: number;
  body: string | null;
}

export interface RequestContext {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  claims: Record<string, unknown>;
  authenticated: boolean;
}

export interface Preferences {
  return?: "representation" | "minimal" | "headers-only";
  count: boolean;
  resolution?: "merge-duplicates" | "ignore-duplicates";
  applied: string[];
}

export function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(", ") : value;
}

export function parsePrefer(header: string | string[] | undefined): Preferences {
  const prefs: Preferences = { count: false, applied: [] };
  for (const token of (headerText(header) ?? "").split(",")) {
    const [key, value] = token
      .trim()
      .split("=", 2)
      .map((s) => s.trim());
    if (key === "return" && (value === "representation" || value === "minimal" || value === "headers-only")) {
      prefs.return = value;
      prefs.applied.push(`return=${value}`);
    } else if (key === "count" && (value === "exact" || value === "planned" || value === "estimated")) {
      prefs.count = true;
      prefs.applied.push(`count=${value}`);
    } else if (key === "resolution" && (value === "merge-duplicates" || value === "ignore-duplicates")) {
      prefs.resolution = value;
      prefs.applied.push(`resolution=${value}`);
    }
  }
  return prefs;
}

/** "json" for arrays, "object" for application/vnd.pgrst.object+json; anything else is 406 PGRST107. */
export function negotiate(header: string | undefined): "json" | "object" {
  if (header === undefined || header.trim() === "") return "json";
  const types = header.split(",").map((t) => (t.split(";")[0] ?? "").trim().toLowerCase());
  for (const type of types) {
    if (type === "application/json" || type === "*/*" || type === "application/*") return "json";
    if (type === "application/vnd.pgrst.object+json" || type === "application/vnd.pgrst.object")
      return "object";
  }
  throw new PostgrestError(406, "PGRST107", `None of these media types are available: ${types.join(", ")}`);
}

/** PostgREST's contentRangeH: `*` for the range part when there are no rows (or the total is 0). */
export function contentRange(lower: number, upper: number, total: number | undefined): string {
  const range = total !== 0 && lower <= upper ? `${lower}-${upper}` : "*";
  return `${range}/${total === undefined ? "*" : total}`;
}

export function singularity(rows: number): PostgrestError {
  return new PostgrestError(
    406,
    "PGRST116",
    "JSON object requested, multiple (or no) rows returned",
    `The result contains ${rows} rows`,
  );
}

export function invalidBody(message: string, details: string | null = null): PostgrestError {
  return new PostgrestError(400, "PGRST102", message, details);
}

export function parseJsonBody(body: Buffer): unknown {
  const text = body.toString("utf8");
  if (text.trim() === "") throw invalidBody("Empty or invalid json");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidBody("Empty or invalid json", error instanceof Error ? error.message : null);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Status and Content-Range for a read, following PostgREST's rangeStatusHeader. */
export function readRange(range: ResolvedRange, pageTotal: number, total: number | undefined) {
  const lower = range.offset;
  const upper = lower + pageTotal - 1;
  if (total !== undefined && lower > total) {
    throw new PostgrestError(
      416,
      "PGRST103",
      "Requested range not satisfiable",
      `An offset of ${lower} was requested, but there are only ${total} rows.`,
      null,
      { "Content-Range": contentRange(lower, upper, total) },
    );
  }
  const status = total !== undefined && 1 + upper - lower < total ? 206 : 200;
  return { status, contentRange: contentRange(lower, upper, total) };
}

export function bodyHeaders(shape: BodyShape): Record<string, string> {
  return { "Content-Type": shape === "object" ? OBJECT_TYPE : JSON_TYPE };
}

export function writeHeaders(range: string, prefs: Preferences): Record<string, string> {
  const headers: Record<string, string> = { "Content-Range": range };
  if (prefs.applied.length > 0) headers["Preference-Applied"] = prefs.applied.join(", ");
  return headers;
}

export function writeReply(
  status: number,
  headers: Record<string, string>,
  shape: BodyShape,
  row: StatementResult,
): Reply {
  if (shape === "none") return { status, headers };
  return { status, headers: { ...headers, ...bodyHeaders(shape) }, body: row.body ?? "[]" };
}
