import { z } from "zod";
import { RaytioError } from "../../errors.js";
import { apiCode, notFoundAs, relationshipNotFound } from "../../prm/errors.js";
import { RELATIONSHIP_SELECT, relationshipRowSchema, relationshipSchema } from "../../prm/projection.js";
import { isOpen, today } from "../../prm/relationships.js";
import { TABLES, tablePath } from "../../raytio/paths.js";
import { query } from "../../raytio/postgrest.js";
import { idParam, isoDate } from "../schemas.js";
import { defineTool } from "../tool.js";

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
  async handler({ relationship_id: id, end_date, delete: remove }, { api, signal }) {
    const byId = query().select(RELATIONSHIP_SELECT).eq("id", id);
    if (remove) {
      if (end_date)
        throw validation("Give either end_date (to end the relationship) or delete: true, not both.");
      const deleted = await api
        .delete(tablePath(TABLES.relationship), {
          query: byId,
          prefer: ["return=representation"],
          single: true,
          schema: relationshipRowSchema,
          signal,
        })
        .catch(notFoundAs(() => relationshipNotFound(id)));
      return { relationship: deleted.data, deleted: true, changed: true };
    }

    const end = end_date ?? today();
    const current = await api
      .get(tablePath(TABLES.relationship), {
        query: byId,
        single: true,
        schema: relationshipRowSchema,
        signal,
      })
      .catch(notFoundAs(() => relationshipNotFound(id)));
    const { start_date: start, end_date: ended } = current.data;
    if (ended !== null && !isOpen(ended)) {
      if (ended === end) return { relationship: current.data, deleted: false, changed: false };
      throw validation(
        `Relationship ${id} already ended on ${ended}. To correct its dates, delete it (delete: true) and record it again with relate_parties.`,
      );
    }
    if (start !== null && end < start) {
      throw validation(`end_date ${end} is before the relationship's start_date ${start}.`);
    }
    const updated = await api
      .patch(tablePath(TABLES.relationship), {
        query: byId,
        body: { end_date: end },
        prefer: ["return=representation"],
        single: true,
        schema: relationshipRowSchema,
        signal,
      })
      .catch(notFoundAs(() => relationshipNotFound(id)))
      .catch((error: unknown) => {
        if (apiCode(error) === "23514")
          throw validation(`end_date ${end} is not allowed for relationship ${id}.`);
        throw error;
      });
    return { relationship: updated.data, deleted: false, changed: true };
  },
  summarize: (output) => {
    const { id, end_date } = output.relationship;
    if (output.deleted) return `Deleted relationship ${id}.`;
    return output.changed
      ? `Relationship ${id} ends on ${end_date}.`
      : `Relationship ${id} had already ended on ${end_date}; nothing changed.`;
  },
});
