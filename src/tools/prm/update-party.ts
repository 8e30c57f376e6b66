import { z } from "zod";
import { RaytioError } from "../../errors.js";
import { PARTY_FIELDS } from "../../prm/data.js";
import { contactPoints, email, externalRefs, notes, partyName, partyTags, phone } from "../../prm/fields.js";
import { partyDetailSchema } from "../../prm/projection.js";
import { idParam } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

const inputSchema = z.strictObject({
  party_id: idParam("Party id (from search_parties)", { of: "party", tool: "search_parties" }),
  name: partyName.optional(),
  email: email.nullable().optional().describe("null clears it"),
  phone: phone.nullable().optional().describe("null clears it"),
  contact_points: contactPoints.optional(),
  external_refs: externalRefs.optional(),
  tags: partyTags.optional(),
  notes: notes.nullable().optional().describe("null clears it"),
});

export default defineTool({
  name: "update_party",
  title: "Update party",
  description:
    "Change fields of a PRM party; only the fields given change, each replacing its stored value (lists and external_refs whole). The type cannot change. Read it first with get_party.",
  domain: "prm",
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ party: partyDetailSchema }),
  async handler({ party_id, ...fields }, { prm }) {
    // A field the model leaves out is not sent, so it keeps its value.
    if (PARTY_FIELDS.every((field) => fields[field] === undefined)) {
      throw new RaytioError(
        "PRM_VALIDATION",
        `Nothing to change: give at least one of ${PARTY_FIELDS.join(", ")}.`,
      );
    }
    return { party: await prm.updateParty(party_id, fields) };
  },
  summarize: (output) => `Updated ${output.party.type} ${output.party.id}.`,
});
