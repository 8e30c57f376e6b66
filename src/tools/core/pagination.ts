import { z } from "zod";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page } from "../../paging.js";

export {
  DEFAULT_PAGE_SIZE,
  decodeCursor,
  encodeCursor,
  MAX_PAGE_SIZE,
  PAGE_ORIGIN,
  type Page,
  type PageOrigin,
  pageOf,
  queryFingerprint,
} from "../../paging.js";

/** Every list tool takes `limit` and `cursor` and returns `next_cursor`; the codec is in src/paging.ts. */
export const paginationInput = {
  limit: z
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .describe(`Page size (1-${MAX_PAGE_SIZE})`),
  cursor: z.string().max(200).optional().describe("next_cursor from the previous page"),
};

export const paginationOutput = {
  next_cursor: z.string().nullable().describe("Pass as cursor to get the next page; null on the last page"),
  total: z.number().nullable().describe("Rows matching the filters, when known"),
  truncated: z.boolean().optional().describe("True when the page was cut to fit the response budget"),
};

export function summarizePage(page: Page<unknown>, singular: string, plural: string): string {
  const noun = page.items.length === 1 ? singular : plural;
  const of = page.total === null ? "" : ` of ${page.total}`;
  const more = page.next_cursor ? "; more available: pass next_cursor as cursor" : "";
  return `${page.items.length} ${noun}${of}${more}.`;
}
