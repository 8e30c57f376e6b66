import { z } from "zod";
import { contactPoints, email, externalRefs, notes, partyName, partyTags, phone } from "../../prm/fields.js";
import {
  PARTY_DETAIL_SELECT,
  PARTY_TYPES,
  partyDetailRowSchema,
  partyDetailSchema,
} from "../../prm/projection.js";
import { TABLES, tablePath } from "../../raytio/paths.js";
import { query } from "../../raytio/postgrest.js";
import { defineTool } from "../tool.js";

const inputSchema = z.strictObject({
  type: z.enum(PARTY_TYPES),
  name: partyName,
  email: email.optional(),
  phone: phone.optional(),
  contact_points: contactPoints.optional(),
  external_refs: externalRefs.optional(),
  tags: partyTags.optional(),
  notes: notes.optional(),
});

export default defineTool({
  name: "create_party",
  title: "Create party",
  description:
    "Create a PRM party: an organisation, group or person. Search first (search_parties) to avoid duplicates; link it to others with relate_parties.",
  domain: "prm",
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ party: partyDetailSchema }),
  async handler(input, { api, signal }) {
    const response = await api.post(tablePath(TABLES.party), {
      query: query().select(PARTY_DETAIL_SELECT),
      body: {
        party_type: input.type.toUpperCase(),
        display_name: input.name,
        email: input.email ?? null,
        phone: input.phone ?? null,
        contact_points: input.contact_points ?? [],
        external_refs: input.external_refs ?? {},
        tags: input.tags ?? [],
        notes: input.notes ?? null,
      },
      prefer: ["return=representation"],
      single: true,
      schema: partyDetailRowSchema,
      signal,
    });
    return { party: response.data };
  },
  summarize: (output) => `Created ${output.party.type} ${output.party.id}.`,
});
