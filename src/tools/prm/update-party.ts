import { z } from "zod";
import { RaytioError } from "../../errors.js";
import { notFoundAs, partyNotFound } from "../../prm/errors.js";
import { contactPoints, email, externalRefs, notes, partyName, partyTags, phone } from "../../prm/fields.js";
import { PARTY_DETAIL_SELECT, partyDetailRowSchema, partyDetailSchema } from "../../prm/projection.js";
import { TABLES, tablePath } from "../../raytio/paths.js";
import { query } from "../../raytio/postgrest.js";
import { idParam } from "../schemas.js";
import { defineTool } from "../tool.js";

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

/** Tool field -> API column; a field the model leaves out is not sent, so it keeps its value. */
const COLUMNS = {
  name: "display_name",
  email: "email",
  phone: "phone",
  contact_points: "contact_points",
  external_refs: "external_refs",
  tags: "tags",
  notes: "notes",
} as const;

export default defineTool({
  name: "update_party",
  title: "Update party",
  description:
    "Change fields of a PRM party; only the fields given change, each replacing its stored value (lists and external_refs whole). The type cannot change. Read it first with get_party.",
  domain: "prm",
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ party: partyDetailSchema }),
  async handler({ party_id, ...fields }, { api, signal }) {
    const body: Record<string, unknown> = {};
    for (const [field, column] of Object.entries(COLUMNS)) {
      const value = fields[field as keyof typeof COLUMNS];
      if (value !== undefined) body[column] = value;
    }
    if (Object.keys(body).length === 0) {
      throw new RaytioError(
        "PRM_VALIDATION",
        `Nothing to change: give at least one of ${Object.keys(COLUMNS).join(", ")}.`,
      );
    }
    const response = await api
      .patch(tablePath(TABLES.party), {
        query: query().select(PARTY_DETAIL_SELECT).eq("id", party_id),
        body,
        prefer: ["return=representation"],
        single: true,
        schema: partyDetailRowSchema,
        signal,
      })
      .catch(notFoundAs(() => partyNotFound({ party_id })));
    return { party: response.data };
  },
  summarize: (output) => `Updated ${output.party.type} ${output.party.id}.`,
});
