import { z } from "zod";
import { RaytioError } from "../../errors.js";
import { PARTY_TYPES, partyListItemSchema } from "../../prm/projection.js";
import { RELATIONSHIP_KINDS } from "../../prm/relationships.js";
import { paginationInput, paginationOutput, summarizePage } from "../core/pagination.js";
import { idParam } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

const inputSchema = z.strictObject({
  type: z.enum(PARTY_TYPES).optional(),
  name: z.string().min(1).max(200).optional().describe("Substring of the party's name"),
  email: z.string().min(3).max(320).optional().describe("Exact main email address"),
  tag: z.string().min(1).max(100).optional(),
  related_to_party_id: idParam("Only parties related to this party, either direction").optional(),
  relationship_kind: z.enum(RELATIONSHIP_KINDS).optional().describe("With related_to_party_id"),
  include_ended: z.boolean().optional().describe("With related_to_party_id: also ended relationships"),
  ...paginationInput,
});

export default defineTool({
  name: "search_parties",
  title: "Search parties",
  description:
    "Find PRM parties (organisations, groups, people) by type, name, email, tag, or relationship to another party (e.g. employees of an organisation). Returns ids, names and tags only; get_party gives contact details and relationships.",
  domain: "prm",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ items: z.array(partyListItemSchema), ...paginationOutput }),
  handler({ limit, cursor, ...filters }, { prm }) {
    if (!filters.related_to_party_id && (filters.relationship_kind || filters.include_ended)) {
      throw new RaytioError(
        "PRM_VALIDATION",
        "relationship_kind and include_ended only apply with related_to_party_id. Add it, or drop them.",
      );
    }
    return prm.searchParties(filters, { limit, cursor });
  },
  summarize: (output) => summarizePage(output, "party", "parties"),
});
