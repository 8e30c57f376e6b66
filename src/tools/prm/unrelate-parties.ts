import { z } from "zod";
import { RaytioError } from "../../errors.js";
import { relationshipSchema } from "../../prm/projection.js";
import { today } from "../../prm/relationships.js";
import { idParam, isoDate } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

const inputSchema = z.strictObject({
  relationship_id: idParam("Relationship id (from get_party)"),
  end_date: isoDate.optional().describe("YYYY-MM-DD it ended; default today"),
  delete: z.boolean().default(false).describe("Remove the record instead, e.g. one entered by mistake"),
});

function validation(message: string): RaytioError {
  return new RaytioError("PRM_VALIDATION", message);
}

export default defineTool({
  name: "unrelate_parties",
  title: "End or delete a relationship",
  description:
    "End a PRM relationship by setting its end_date (default today), keeping its history. With delete: true it removes the record permanently instead; use that only for mistakes. Find the id with get_party.",
  domain: "prm",
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ relationship: relationshipSchema, deleted: z.boolean(), changed: z.boolean() }),
  // Deleting removes the record and its history for good: the person confirms it. Ending keeps both.
  async confirmation({ relationship_id: id, end_date, delete: remove }, { prm }) {
    if (!remove || end_date) return undefined;
    const relationship = await prm.relationship(id);
    return {
      action: "Delete this relationship record permanently",
      details: [
        [
          "Relationship",
          `${relationship.kind}: party ${relationship.from_party_id} → party ${relationship.to_party_id}`,
        ],
        ["Dates", `${relationship.start_date ?? "open"} to ${relationship.end_date ?? "open"}`],
        ["Instead", "ending it (without delete) keeps its history"],
      ],
    };
  },
  async handler({ relationship_id: id, end_date, delete: remove }, { prm }) {
    if (remove) {
      if (end_date)
        throw validation("Give either end_date (to end the relationship) or delete: true, not both.");
      return { relationship: await prm.deleteRelationship(id), deleted: true, changed: true };
    }
    const ended = await prm.endRelationship(id, end_date ?? today());
    return { relationship: ended.relationship, deleted: false, changed: ended.changed };
  },
  summarize: (output) => {
    const { id, end_date } = output.relationship;
    if (output.deleted) return `Deleted relationship ${id}.`;
    return output.changed
      ? `Relationship ${id} ends on ${end_date}.`
      : `Relationship ${id} had already ended on ${end_date}; nothing changed.`;
  },
});
