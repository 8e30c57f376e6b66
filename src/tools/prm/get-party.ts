import { z } from "zod";
import { partyDetailSchema, partyRelationshipSchema } from "../../prm/projection.js";
import { idParam } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

export default defineTool({
  name: "get_party",
  title: "Get party",
  description:
    "Get one PRM party with its contact details, external references, notes and its relationships in both directions (kind, dates, the other party). Find the id with search_parties.",
  domain: "prm",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  inputSchema: z.strictObject({
    party_id: idParam("Party id (from search_parties)", { of: "party", tool: "search_parties" }),
  }),
  outputSchema: z.object({
    party: partyDetailSchema,
    relationships: z.array(partyRelationshipSchema),
    relationships_total: z.number().nullable(),
  }),
  async handler({ party_id }, { prm }) {
    const { party, relationships, relationshipsTotal } = await prm.getParty(party_id);
    return { party, relationships, relationships_total: relationshipsTotal };
  },
  summarize: (output) => {
    const shown = output.relationships.length;
    const total = output.relationships_total ?? shown;
    const active = output.relationships.filter((relationship) => relationship.active).length;
    const more =
      total > shown
        ? ` Showing ${shown} (open first); page through the others with search_parties related_to_party_id=${output.party.id}.`
        : "";
    // The name stays inside the untrusted-data fence: only ids and counts go in the summary.
    return `Party ${output.party.id} (${output.party.type}): ${total} relationship${total === 1 ? "" : "s"} (${active} active shown). Each reads from_party <kind> to_party.${more}`;
  },
});
