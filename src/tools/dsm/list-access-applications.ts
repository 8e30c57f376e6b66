import { z } from "zod";
import { ACCESS_APPLICATION_LIST_SELECT, accessApplicationListItemSchema } from "../../dsm/projection.js";
import { TABLES } from "../../raytio/paths.js";
import { containsPattern, query } from "../../raytio/postgrest.js";
import { fetchPage } from "../list-page.js";
import { paginationInput, paginationOutput, summarizePage } from "../pagination.js";
import { defineTool } from "../tool.js";

const inputSchema = z.strictObject({
  name: z.string().min(1).max(200).optional().describe("Substring of the application's name"),
  ...paginationInput,
});

export default defineTool({
  name: "list_access_applications",
  title: "List access applications",
  description:
    "List DSM access applications (the containers that receive end-to-end-encrypted data) this account can use, newest first.",
  domain: "dsm",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ items: z.array(accessApplicationListItemSchema), ...paginationOutput }),
  handler({ limit, cursor, ...filters }, { api, signal }) {
    return fetchPage(api, TABLES.accessApplication, {
      filters,
      limit,
      cursor,
      row: accessApplicationListItemSchema,
      signal,
      build: ({ offset, limit: rows }) => {
        const q = query().select(ACCESS_APPLICATION_LIST_SELECT);
        if (filters.name) q.where({ column: "name", op: "ilike", pattern: containsPattern(filters.name) });
        return q.order("created_at", "desc").order("id").offset(offset).limit(rows);
      },
    });
  },
  summarize: (output) => summarizePage(output, "access application", "access applications"),
});
