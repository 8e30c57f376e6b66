import { createHash } from "node:crypto";
import { z } from "zod";
import { RaytioError } from "./errors.js";

/**
 * Cursors are opaque to the model: an offset plus a fingerprint of the query they belong to, so a
 * cursor replayed with different filters is refused instead of silently skipping rows. Domain
 * modules page with these as much as tools do, so they live below both.
 */
export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;

/**
 * Attached by pageOf to a page (a symbol, so it is never serialised) so the response-budget layer can
 * cut a page short and still hand out a cursor that continues exactly after the last item kept.
 */
export const PAGE_ORIGIN: unique symbol = Symbol("raytio.pageOrigin");

export interface PageOrigin {
  offset: number;
  filters: unknown;
}

const cursorSchema = z.object({ o: z.number().int().min(0), f: z.string() });

export function queryFingerprint(filters: unknown): string {
  return createHash("sha256").update(JSON.stringify(filters)).digest("base64url").slice(0, 12);
}

export function decodeCursor(cursor: string | undefined, filters: unknown): number {
  if (cursor === undefined) return 0;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    decoded = undefined;
  }
  const parsed = cursorSchema.safeParse(decoded);
  if (!parsed.success) {
    throw new RaytioError(
      "VALIDATION",
      "cursor is not a cursor this server issued. Omit it to start from the first page.",
    );
  }
  if (parsed.data.f !== queryFingerprint(filters)) {
    throw new RaytioError(
      "VALIDATION",
      "cursor belongs to a query with different filters or sort. Repeat the original filters, or omit cursor to start again.",
    );
  }
  return parsed.data.o;
}

export function encodeCursor(offset: number, filters: unknown): string {
  return Buffer.from(JSON.stringify({ o: offset, f: queryFingerprint(filters) })).toString("base64url");
}

/** Works out the next cursor from one extra row fetched beyond the page, so no count query is needed. */
export function pageOf<T>(
  rows: readonly T[],
  offset: number,
  limit: number,
  filters: unknown,
): { items: T[]; next_cursor: string | null; [PAGE_ORIGIN]: PageOrigin } {
  const hasMore = rows.length > limit;
  return {
    items: rows.slice(0, limit),
    next_cursor: hasMore ? encodeCursor(offset + limit, filters) : null,
    [PAGE_ORIGIN]: { offset, filters },
  };
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
  total: number | null;
  truncated?: boolean;
}
