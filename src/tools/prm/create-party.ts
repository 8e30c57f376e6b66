import { z } from "zod";
import { contactPoints, email, externalRefs, notes, partyName, partyTags, phone } from "../../prm/fields.js";
import { PARTY_TYPES, partyDetailSchema } from "../../prm/projection.js";
import { defineTool } from "../core/tool.js";

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
  async handler({ type, ...fields }, { prm }) {
    return { party: await prm.createParty(type, fields) };
  },
  summarize: (output) => `Created ${output.party.type} ${output.party.id}.`,
});
