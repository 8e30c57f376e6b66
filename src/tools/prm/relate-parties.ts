import { z } from "zod";
import { RaytioError } from "../../errors.js";
import { apiCode, partyNotFound } from "../../prm/errors.js";
import {
  PARTY_REF_SELECT,
  type PartyRef,
  partyRefRowSchema,
  partyRefSchema,
  RELATIONSHIP_SELECT,
  relationshipRowSchema,
  relationshipSchema,
} from "../../prm/projection.js";
import { isOpen, KIND_RULES, kindToBackend, RELATIONSHIP_KINDS, today } from "../../prm/relationships.js";
import { TABLES, tablePath } from "../../raytio/paths.js";
import { query } from "../../raytio/postgrest.js";
import { idParam, isoDate } from "../schemas.js";
import { defineTool } from "../tool.js";

/** A party named where its id belongs is the usual slip: the refusal points to the search. */
const PARTY = { of: "party", tool: "search_parties" };

const inputSchema = z.strictObject({
  from_party_id: idParam("The party that is <kind> the other, e.g. the employee", PARTY),
  kind: z.enum(RELATIONSHIP_KINDS),
  to_party_id: idParam("e.g. the employer", PARTY),
  start_date: isoDate.optional(),
  end_date: isoDate.optional().describe("YYYY-MM-DD, the day it ended; omit while it lasts"),
});

function validation(message: string, details?: Record<string, unknown>): RaytioError {
  return new RaytioError("PRM_VALIDATION", message, details ? { details } : undefined);
}

export default defineTool({
  name: "relate_parties",
  title: "Relate parties",
  description:
    "Record that from_party <kind> to_party (member_of, employee_of, customer_of, supplier_of), with optional start and end dates. Refuses a second open relationship of the same kind between the same parties.",
  domain: "prm",
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({
    relationship: relationshipSchema,
    from_party: partyRefSchema,
    to_party: partyRefSchema,
  }),
  async handler(input, { api, signal }) {
    const { from_party_id: fromId, to_party_id: toId, kind } = input;
    const start = input.start_date ?? null;
    const end = input.end_date ?? null;
    if (fromId === toId)
      throw validation("A party cannot be related to itself: from_party_id and to_party_id are the same.");
    if (start && end && end < start) {
      throw validation(`end_date ${end} is before start_date ${start}.`, {
        start_date: start,
        end_date: end,
      });
    }

    const open = isOpen(end);
    const [parties, existing] = await Promise.all([
      api.get(tablePath(TABLES.party), {
        query: query().select(PARTY_REF_SELECT).in("id", [fromId, toId]),
        schema: z.array(partyRefRowSchema),
        signal,
      }),
      open
        ? api.get(tablePath(TABLES.relationship), {
            query: query()
              .select(RELATIONSHIP_SELECT)
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
            signal,
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

    const created = await api
      .post(tablePath(TABLES.relationship), {
        query: query().select(RELATIONSHIP_SELECT),
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
        signal,
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
    return { relationship: created.data, from_party: from, to_party: to };
  },
  summarize: (output) =>
    `Created relationship ${output.relationship.id}: ${output.from_party.type} ${output.from_party.id} ${output.relationship.kind} ${output.to_party.type} ${output.to_party.id}${output.relationship.active ? "" : " (not active today)"}.`,
});

function checkTypes(kind: (typeof RELATIONSHIP_KINDS)[number], from: PartyRef, to: PartyRef): void {
  const rule = KIND_RULES[kind];
  if (rule.from.includes(from.type) && rule.to.includes(to.type)) return;
  throw validation(
    `${kind} needs a from_party of type ${rule.from.join(" or ")} and a to_party of type ${rule.to.join(" or ")}; got ${from.type} and ${to.type}.`,
    { kind, from_type: from.type, to_type: to.type },
  );
}
