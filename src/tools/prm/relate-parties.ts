import { z } from "zod";
import { RaytioError } from "../../errors.js";
import { partyRefSchema, relationshipSchema } from "../../prm/projection.js";
import { RELATIONSHIP_KINDS } from "../../prm/relationships.js";
import { idParam, isoDate } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

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
  async handler(input, { prm }) {
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

    const created = await prm.relate(fromId, kind, toId, { start, end });
    return { relationship: created.relationship, from_party: created.from, to_party: created.to };
  },
  summarize: (output) =>
    `Created relationship ${output.relationship.id}: ${output.from_party.type} ${output.from_party.id} ${output.relationship.kind} ${output.to_party.type} ${output.to_party.id}${output.relationship.active ? "" : " (not active today)"}.`,
});
