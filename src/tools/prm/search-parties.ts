import { z } from "zod";
import {
  PARTY_LIST_SELECT,
  PARTY_TYPES,
  partyListItemSchema,
  partyListRowSchema,
} from "../../prm/projection.js";
import { TABLES } from "../../raytio/paths.js";
import { containsPattern, query } from "../../raytio/postgrest.js";
import { fetchPage } from "../list-page.js";
import { paginationInput, paginationOutput, summarizePage } from "../pagination.js";
import { defineTool } from "../tool.js";

const inputSchema = z.object({
  type: z.enum(PARTY_TYPES).optional(),
  name: z.string().min(1).max(200).optional().describe("Substring of the party's name"),
  email: z.string().min(3).max(320).optional().describe("Exact email address"),
  tag: z.string().min(1).max(100).optional(),
  ...paginationInput,
});

export default defineTool({
  name: "search_parties",
  title: "Search parties",
  description:
    "Find PRM parties (organisations, groups, people) by type, name, email or tag. Returns ids and names only, not contact details.",
  domain: "prm",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ items: z.array(partyListItemSchema), ...paginationOutput }),
  handler({ limit, cursor, ...filters }, { api, signal }) {
    return fetchPage(api, TABLES.party, {
      filters,
      limit,
      cursor,
      row: partyListRowSchema,
      signal,
      build: ({ offset, limit: rows }) => {
        const q = query().select(PARTY_LIST_SELECT);
        if (filters.type) q.eq("party_type", filters.type.toUpperCase());
        if (filters.name)
          q.where({ column: "display_name", op: "ilike", pattern: containsPattern(filters.name) });
        if (filters.email) q.eq("email", filters.email.toLowerCase());
        if (filters.tag) q.where({ column: "tags", op: "cs", values: [filters.tag] });
        return q.order("display_name").order("id").offset(offset).limit(rows);
      },
    });
  },
  summarize: (output) => summarizePage(output, "party", "parties"),
});
