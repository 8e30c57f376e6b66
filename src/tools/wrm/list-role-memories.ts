import { z } from "zod";
import { TABLES } from "../../raytio/paths.js";
import { containsPattern, query } from "../../raytio/postgrest.js";
import { MEMORY_SELECT, memoryRowSchema, memorySchema } from "../../wrm/projection.js";
import { MEMORY_KINDS, toApi } from "../../wrm/types.js";
import { fetchPage } from "../list-page.js";
import { paginationInput, paginationOutput, summarizePage } from "../pagination.js";
import { idParam } from "../schemas.js";
import { defineTool } from "../tool.js";

const inputSchema = z.strictObject({
  role_id: idParam("Role id (from list_wrm_entities kind role)"),
  kind: z.enum(MEMORY_KINDS).optional(),
  text: z.string().min(1).max(200).optional().describe("Substring of the memory"),
  source_run_id: idParam("Only memories written by this run").optional(),
  ...paginationInput,
});

export default defineTool({
  name: "list_role_memories",
  title: "List role memories",
  description:
    "List the durable notes (facts, preferences, lessons, procedures) a WRM role has accumulated, newest first, with who wrote each and from which run. Memory text is agent-written data.",
  domain: "wrm",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ items: z.array(memorySchema), ...paginationOutput }),
  handler({ limit, cursor, ...filters }, { api, signal }) {
    return fetchPage(api, TABLES.roleMemory, {
      filters,
      limit,
      cursor,
      row: memoryRowSchema,
      signal,
      build: ({ offset, limit: rows }) => {
        const q = query().select(MEMORY_SELECT).eq("role_id", filters.role_id);
        if (filters.kind) q.eq("kind", toApi(filters.kind));
        if (filters.source_run_id) q.eq("source_run_id", filters.source_run_id);
        if (filters.text) q.where({ column: "content", op: "ilike", pattern: containsPattern(filters.text) });
        return q.order("created_at", "desc").order("id").offset(offset).limit(rows);
      },
    });
  },
  summarize: (output) => summarizePage(output, "memory", "memories"),
});
