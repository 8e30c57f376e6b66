import { z } from "zod";
import { RaytioError } from "../errors.js";
import type { Page } from "../paging.js";
import { decodeCursor, pageOf } from "../paging.js";
import type { RaytioApiClient } from "../raytio/api-client.js";
import { columnsOf, fetchPage } from "../raytio/pages.js";
import { RPCS, rpcPath, TABLES, tablePath } from "../raytio/paths.js";
import { query } from "../raytio/postgrest.js";
import { apiCode, notFoundAs, partyNotFound, relationshipNotFound } from "./errors.js";
import {
  type PartyRef,
  type PartyType,
  partyDetailRowSchema,
  partyListRowSchema,
  partyRefRowSchema,
  partyRelationshipRowSchema,
  relationshipRowSchema,
} from "./projection.js";
import { isOpen, KIND_RULES, kindToBackend, type RelationshipKind, today } from "./relationships.js";
import { buildPartyQuery, type PartyListItem, type PartySearchFilters } from "./search.js";

/**
 * PRM's one door to the backend: tables, the relationship RPCs and their arguments, column
 * projections, enum case and what the API's constraint errors mean. Tools speak in parties and
 * relationships.
 */

type PartyDetail = z.output<typeof partyDetailRowSchema>;
type PartyRelationship = z.output<typeof partyRelationshipRowSchema>;
type Relationship = z.output<typeof relationshipRowSchema>;

export interface ContactPoint {
  type: string;
  value: string;
  label?: string | undefined;
}

/** The party fields a person writes, in the domain's words (name, type), never the API's columns. */
export interface PartyFields {
  name?: string | undefined;
  email?: string | null | undefined;
  phone?: string | null | undefined;
  contact_points?: ContactPoint[] | undefined;
  external_refs?: Record<string, string> | undefined;
  tags?: string[] | undefined;
  notes?: string | null | undefined;
}

/** Party field -> API column; a field left out is not sent, so it keeps its value. */
const COLUMNS = {
  name: "display_name",
  email: "email",
  phone: "phone",
  contact_points: "contact_points",
  external_refs: "external_refs",
  tags: "tags",
  notes: "notes",
} as const satisfies Record<keyof PartyFields, string>;

export const PARTY_FIELDS = Object.keys(COLUMNS) as (keyof PartyFields)[];

/** Enough for nearly every party; a large organisation's staff are paged with search_parties. */
const MAX_RELATIONSHIPS = 50;

function validation(message: string, details?: Record<string, unknown>): RaytioError {
  return new RaytioError("PRM_VALIDATION", message, details ? { details } : undefined);
}

export class PrmData {
  constructor(
    private readonly api: RaytioApiClient,
    private readonly signal: AbortSignal,
  ) {}

  /**
   * One page of parties. Without related_to_party_id it reads the table; with it, the related-parties
   * RPC (one request, paged and counted by the API) so no list of ids ever travels in a URL.
   */
  async searchParties(
    filters: PartySearchFilters,
    page: { limit: number; cursor: string | undefined },
  ): Promise<Page<PartyListItem>> {
    const relatedTo = filters.related_to_party_id;
    if (!relatedTo) {
      return fetchPage(this.api, tablePath(TABLES.party), {
        filters,
        limit: page.limit,
        cursor: page.cursor,
        row: partyListRowSchema,
        signal: this.signal,
        build: (range) => buildPartyQuery(filters, range),
      });
    }
    const offset = decodeCursor(page.cursor, filters);
    const response = await this.api.post(rpcPath(RPCS.prmRelatedParties), {
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
      signal: this.signal,
    });
    const result = { ...pageOf(response.data, offset, page.limit, filters), total: response.total ?? null };
    if (result.total === 0 && !page.cursor) {
      // No related parties at all could also mean the anchor party is out of reach: say which.
      const anchor = await this.api.get(tablePath(TABLES.party), {
        query: query().select("id").eq("id", relatedTo),
        schema: z.array(z.object({ id: z.string() })),
        signal: this.signal,
      });
      if (anchor.data.length === 0) throw partyNotFound({ related_to_party_id: relatedTo });
    }
    return result;
  }

  /** A party with its relationships in both directions, open ones first. */
  async getParty(
    id: string,
  ): Promise<{ party: PartyDetail; relationships: PartyRelationship[]; relationshipsTotal: number | null }> {
    const [party, relationships] = await Promise.all([
      this.api
        .get(tablePath(TABLES.party), {
          query: query().select(columnsOf(partyDetailRowSchema)).eq("id", id),
          single: true,
          schema: partyDetailRowSchema,
          signal: this.signal,
        })
        .catch(notFoundAs(() => partyNotFound({ party_id: id }))),
      this.api.post(rpcPath(RPCS.prmPartyRelationships), {
        body: { party_id: id },
        // Open relationships first, then by kind and the other party's name.
        query: query()
          .select(columnsOf(partyRelationshipRowSchema))
          .order("is_open", "desc")
          .order("kind")
          .order("other_party_name")
          .order("id")
          .limit(MAX_RELATIONSHIPS),
        prefer: ["count=exact"],
        idempotent: true,
        schema: z.array(partyRelationshipRowSchema),
        signal: this.signal,
      }),
    ]);
    return {
      party: party.data,
      relationships: relationships.data,
      relationshipsTotal: relationships.total ?? null,
    };
  }

  async createParty(type: PartyType, fields: PartyFields & { name: string }): Promise<PartyDetail> {
    const response = await this.api.post(tablePath(TABLES.party), {
      query: query().select(columnsOf(partyDetailRowSchema)),
      body: {
        party_type: type.toUpperCase(),
        display_name: fields.name,
        email: fields.email ?? null,
        phone: fields.phone ?? null,
        contact_points: fields.contact_points ?? [],
        external_refs: fields.external_refs ?? {},
        tags: fields.tags ?? [],
        notes: fields.notes ?? null,
      },
      prefer: ["return=representation"],
      single: true,
      schema: partyDetailRowSchema,
      signal: this.signal,
    });
    return response.data;
  }

  /** Replaces each field given; the caller makes sure at least one is. */
  async updateParty(id: string, fields: PartyFields): Promise<PartyDetail> {
    const body: Record<string, unknown> = {};
    for (const field of PARTY_FIELDS) {
      const value = fields[field];
      if (value !== undefined) body[COLUMNS[field]] = value;
    }
    const response = await this.api
      .patch(tablePath(TABLES.party), {
        query: query().select(columnsOf(partyDetailRowSchema)).eq("id", id),
        body,
        prefer: ["return=representation"],
        single: true,
        schema: partyDetailRowSchema,
        signal: this.signal,
      })
      .catch(notFoundAs(() => partyNotFound({ party_id: id })));
    return response.data;
  }

  /**
   * Records "from <kind> to". Both parties must be visible and of the types the kind allows, and only
   * one open relationship of a kind may link the same pair.
   */
  async relate(
    fromId: string,
    kind: RelationshipKind,
    toId: string,
    dates: { start: string | null; end: string | null },
  ): Promise<{ relationship: Relationship; from: PartyRef; to: PartyRef }> {
    const { start, end } = dates;
    const [parties, existing] = await Promise.all([
      this.api.get(tablePath(TABLES.party), {
        query: query().select(columnsOf(partyRefRowSchema)).in("id", [fromId, toId]),
        schema: z.array(partyRefRowSchema),
        signal: this.signal,
      }),
      isOpen(end)
        ? this.api.get(tablePath(TABLES.relationship), {
            query: query()
              .select(columnsOf(relationshipRowSchema))
              .eq("from_party_id", fromId)
              .eq("to_party_id", toId)
              .eq("kind", kindToBackend(kind))
              .where({
                op: "or",
                conditions: [
                  { column: "end_date", op: "is", value: null },
                  { column: "end_date", op: "gt", value: today() },
                ],
              })
              .limit(1),
            schema: z.array(relationshipRowSchema),
            signal: this.signal,
          })
        : undefined,
    ]);

    const byId = new Map(parties.data.map((party) => [party.id, party]));
    const from = byId.get(fromId);
    const to = byId.get(toId);
    if (!from || !to) {
      throw partyNotFound({
        ...(from ? {} : { from_party_id: fromId }),
        ...(to ? {} : { to_party_id: toId }),
      });
    }
    checkTypes(kind, from, to);
    const duplicate = existing?.data[0];
    if (duplicate) {
      throw validation(
        `${from.type} ${fromId} is already ${kind} ${to.type} ${toId} (relationship ${duplicate.id}, open since ${duplicate.start_date ?? "an unknown date"}). End it with unrelate_parties first, or give an end_date for a past relationship.`,
        { relationship_id: duplicate.id },
      );
    }

    const created = await this.api
      .post(tablePath(TABLES.relationship), {
        query: query().select(columnsOf(relationshipRowSchema)),
        body: {
          from_party_id: fromId,
          to_party_id: toId,
          kind: kindToBackend(kind),
          start_date: start,
          end_date: end,
        },
        prefer: ["return=representation"],
        single: true,
        schema: relationshipRowSchema,
        signal: this.signal,
      })
      .catch((error: unknown) => {
        // The API enforces the same rules atomically; these are the races the checks above can lose.
        const code = apiCode(error);
        if (code === "23505")
          throw validation(
            `An open ${kind} relationship between these parties already exists. Use get_party ${fromId} to see it.`,
          );
        if (code === "23503") throw partyNotFound({ from_party_id: fromId, to_party_id: toId });
        if (code === "23514")
          throw validation(
            `The API refused this ${kind} relationship (${from.type} to ${to.type}, dates ${start ?? "open"} to ${end ?? "open"}): it breaks a party type or date rule.`,
          );
        throw error;
      });
    return { relationship: created.data, from, to };
  }

  /** Removes a relationship record for good (for one entered by mistake). */
  async deleteRelationship(id: string): Promise<Relationship> {
    const deleted = await this.api
      .delete(tablePath(TABLES.relationship), {
        query: query().select(columnsOf(relationshipRowSchema)).eq("id", id),
        prefer: ["return=representation"],
        single: true,
        schema: relationshipRowSchema,
        signal: this.signal,
      })
      .catch(notFoundAs(() => relationshipNotFound(id)));
    return deleted.data;
  }

  /**
   * Ends a relationship on `end` (keeping its history). Ending one already ended on that day changes
   * nothing; one ended on another day is refused, since its dates would be rewritten.
   */
  /** One relationship record. */
  async relationship(id: string): Promise<Relationship> {
    const current = await this.api
      .get(tablePath(TABLES.relationship), {
        query: query().select(columnsOf(relationshipRowSchema)).eq("id", id),
        single: true,
        schema: relationshipRowSchema,
        signal: this.signal,
      })
      .catch(notFoundAs(() => relationshipNotFound(id)));
    return current.data;
  }

  async endRelationship(id: string, end: string): Promise<{ relationship: Relationship; changed: boolean }> {
    const byId = query().select(columnsOf(relationshipRowSchema)).eq("id", id);
    const current = { data: await this.relationship(id) };
    const { start_date: start, end_date: ended } = current.data;
    if (ended !== null && !isOpen(ended)) {
      if (ended === end) return { relationship: current.data, changed: false };
      throw validation(
        `Relationship ${id} already ended on ${ended}. To correct its dates, delete it (delete: true) and record it again with relate_parties.`,
      );
    }
    if (start !== null && end < start) {
      throw validation(`end_date ${end} is before the relationship's start_date ${start}.`);
    }
    const updated = await this.api
      .patch(tablePath(TABLES.relationship), {
        query: byId,
        body: { end_date: end },
        prefer: ["return=representation"],
        single: true,
        schema: relationshipRowSchema,
        signal: this.signal,
      })
      .catch(notFoundAs(() => relationshipNotFound(id)))
      .catch((error: unknown) => {
        if (apiCode(error) === "23514")
          throw validation(`end_date ${end} is not allowed for relationship ${id}.`);
        throw error;
      });
    return { relationship: updated.data, changed: true };
  }
}

function checkTypes(kind: RelationshipKind, from: PartyRef, to: PartyRef): void {
  const rule = KIND_RULES[kind];
  if (rule.from.includes(from.type) && rule.to.includes(to.type)) return;
  throw validation(
    `${kind} needs a from_party of type ${rule.from.join(" or ")} and a to_party of type ${rule.to.join(" or ")}; got ${from.type} and ${to.type}.`,
    { kind, from_type: from.type, to_type: to.type },
  );
}
