import { z } from "zod";
import type { RaytioApiClient } from "../raytio/api-client.js";
import { type TableName, tablePath } from "../raytio/paths.js";
import type { PostgrestQuery } from "../raytio/postgrest.js";
import { decodeCursor, type Page, pageOf } from "./pagination.js";

/**
 * Runs one page of a list query: decodes the cursor against the filters it was issued for, asks for
 * one row beyond the page (so the next cursor needs no second request) and the exact total.
 */
export async function fetchPage<T>(
  api: RaytioApiClient,
  table: TableName,
  request: {
    filters: unknown;
    limit: number;
    cursor: string | undefined;
    row: z.ZodType<T>;
    signal: AbortSignal;
    build: (q: { offset: number; limit: number }) => PostgrestQuery;
  },
): Promise<Page<T>> {
  const offset = decodeCursor(request.cursor, request.filters);
  const response = await api.get(tablePath(table), {
    query: request.build({ offset, limit: request.limit + 1 }),
    prefer: ["count=exact"],
    schema: z.array(request.row),
    signal: request.signal,
  });
  return { ...pageOf(response.data, offset, request.limit, request.filters), total: response.total ?? null };
}
