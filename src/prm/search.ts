import type { z } from "zod";
import { columnsOf } from "../raytio/pages.js";
import { containsPattern, type PostgrestQuery, query } from "../raytio/postgrest.js";
import { type PartyType, partyListRowSchema } from "./projection.js";
import type { RelationshipKind } from "./relationships.js";

export interface PartySearchFilters {
  type?: PartyType | undefined;
  name?: string | undefined;
  email?: string | undefined;
  tag?: string | undefined;
  related_to_party_id?: string | undefined;
  relationship_kind?: RelationshipKind | undefined;
  include_ended?: boolean | undefined;
}

export type PartyListItem = z.output<typeof partyListRowSchema>;

/**
 * The party filters on the safe builder. They apply equally to the table and to the rows of
 * rpc/prm_related_parties, which returns prm_party rows. Every value the model supplies is encoded by
 * the builder, so a crafted value matches literally and can never add a condition.
 */
export function buildPartyQuery(
  filters: PartySearchFilters,
  page: { offset: number; limit: number },
): PostgrestQuery {
  const q = query().select(columnsOf(partyListRowSchema));
  if (filters.type) q.eq("party_type", filters.type.toUpperCase());
  if (filters.name) q.where({ column: "display_name", op: "ilike", pattern: containsPattern(filters.name) });
  if (filters.email) q.eq("email", filters.email.trim().toLowerCase());
  if (filters.tag) q.where({ column: "tags", op: "cs", values: [filters.tag] });
  // The id tie-breaker keeps pages stable when names repeat.
  return q.order("display_name").order("id").offset(page.offset).limit(page.limit);
}
