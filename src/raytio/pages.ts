import { z } from "zod";
import { decodeCursor, type Page, pageOf } from "../paging.js";
import type { RaytioApiClient } from "./api-client.js";
import type { PostgrestQuery } from "./postgrest.js";

/** The schema of a page of rows, built once per row schema rather than on every call. */
const PAGE_SCHEMAS = new WeakMap<z.ZodType, z.ZodType>();

function pageSchema<T>(row: z.ZodType<T>): z.ZodType<T[]> {
  let schema = PAGE_SCHEMAS.get(row);
  if (!schema) {
    schema = z.array(row);
    PAGE_SCHEMAS.set(row, schema);
  }
  return schema as z.ZodType<T[]>;
}

/**
 * Runs one page of a list query: decodes the cursor against the filters it was issued for, asks for
 * one row beyond the page (so the next cursor needs no second request) and the exact total.
 */
export async function fetchPage<T>(
  api: RaytioApiClient,
  path: string,
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
  const response = await api.get(path, {
    query: request.build({ offset, limit: request.limit + 1 }),
    prefer: ["count=exact"],
    schema: pageSchema(request.row),
    signal: request.signal,
  });
  return { ...pageOf(response.data, offset, request.limit, request.filters), total: response.total ?? null };
}

/**
 * The columns a row schema reads, in its order: the projection a query selects is derived from the
 * schema that checks the answer, so a column is named once.
 */
export function columnsOf(schema: z.ZodType): string[] {
  // A row schema that reshapes its row (`.transform`) selects the columns of the object it reads.
  if (schema instanceof z.ZodPipe) return columnsOf(schema.in as z.ZodType);
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  throw new Error("A row schema must be an object, possibly transformed.");
}
