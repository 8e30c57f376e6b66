import { z } from "zod";
import { notFoundAs, partyNotFound } from "../../prm/errors.js";
import {
  PARTY_DETAIL_SELECT,
  PARTY_RELATIONSHIP_SELECT,
  partyDetailRowSchema,
  partyDetailSchema,
  partyRelationshipRowSchema,
  partyRelationshipSchema,
} from "../../prm/projection.js";
import { RPCS, rpcPath, TABLES, tablePath } from "../../raytio/paths.js";
import { query } from "../../raytio/postgrest.js";
import { idParam } from "../schemas.js";
import { defineTool } from "../tool.js";

/** Enough for nearly every party; a large organisation's staff are paged with search_parties. */
const MAX_RELATIONSHIPS = 50;

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
  async handler({ party_id }, { api, signal }) {
    const [party, relationships] = await Promise.all([
      api
        .get(tablePath(TABLES.party), {
          query: query().select(PARTY_DETAIL_SELECT).eq("id", party_id),
          single: true,
          schema: partyDetailRowSchema,
          signal,
        })
        .catch(notFoundAs(() => partyNotFound({ party_id }))),
      api.post(rpcPath(RPCS.prmPartyRelationships), {
        body: { party_id },
        // Open relationships first, then by kind and the other party's name.
        query: query()
          .select(PARTY_RELATIONSHIP_SELECT)
          .order("is_open", "desc")
          .order("kind")
          .order("other_party_name")
          .order("id")
          .limit(MAX_RELATIONSHIPS),
        prefer: ["count=exact"],
        idempotent: true,
        schema: z.array(partyRelationshipRowSchema),
        signal,
      }),
    ]);
    return {
      party: party.data,
      relationships: relationships.data,
      relationships_total: relationships.total ?? null,
    };
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
