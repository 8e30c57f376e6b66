import { z } from "zod";
import type { RaytioApiClient } from "../raytio/api-client.js";
import { RPCS, rpcPath, TABLES } from "../raytio/paths.js";
import { containsPattern, type PostgrestQuery, query } from "../raytio/postgrest.js";
import { fetchPage } from "../tools/list-page.js";
import { decodeCursor, type Page, pageOf } from "../tools/pagination.js";
import { PARTY_LIST_SELECT, type PartyType, partyListRowSchema } from "./projection.js";
import { kindToBackend, type RelationshipKind } from "./relationships.js";

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
  const q = query().select(PARTY_LIST_SELECT);
  if (filters.type) q.eq("party_type", filters.type.toUpperCase());
  if (filters.name) q.where({ column: "display_name", op: "ilike", pattern: containsPattern(filters.name) });
  if (filters.email) q.eq("email", filters.email.trim().toLowerCase());
  if (filters.tag) q.where({ column: "tags", op: "cs", values: [filters.tag] });
  // The id tie-breaker keeps pages stable when names repeat.
  return q.order("display_name").order("id").offset(page.offset).limit(page.limit);
}

/**
 * One page of parties. Without related_to_party_id it reads the table; with it, the related-parties
 * RPC (one request, paged and counted by the API) so no list of ids ever travels in a URL.
 */
export async function searchParties(
  api: RaytioApiClient,
  filters: PartySearchFilters,
  page: { limit: number; cursor: string | undefined; signal: AbortSignal },
): Promise<Page<PartyListItem>> {
  const relatedTo = filters.related_to_party_id;
  if (!relatedTo) {
    return fetchPage(api, TABLES.party, {
      filters,
      limit: page.limit,
      cursor: page.cursor,
      row: partyListRowSchema,
      signal: page.signal,
      build: (range) => buildPartyQuery(filters, range),
    });
  }
  const offset = decodeCursor(page.cursor, filters);
  const response = await api.post(rpcPath(RPCS.prmRelatedParties), {
    query: buildPartyQuery(filters, { offset, limit: page.limit + 1 }),
    body: {
      party_id: relatedTo,
      kind: filters.relationship_kind ? kindToBackend(filters.relationship_kind) : null,
      include_ended: filters.include_ended ?? false,
    },
    prefer: ["count=exact"],
    // A read-only function: safe to retry even though it is a POST.
    idempotent: true,
    schema: z.array(partyListRowSchema),
    signal: page.signal,
  });
  return { ...pageOf(response.data, offset, page.limit, filters), total: response.total ?? null };
}
