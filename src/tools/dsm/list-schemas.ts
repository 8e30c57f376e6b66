import { z } from "zod";
import { getSystemSchema, listSystemSchemas, schemaFields } from "../../schemas/loader.js";
import {
  decodeCursor,
  pageOf,
  paginationInput,
  paginationOutput,
  summarizePage,
} from "../core/pagination.js";
import { defineTool } from "../core/tool.js";

const inputSchema = z.strictObject({
  query: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe("Keywords matched against names, titles, descriptions, tags and field titles"),
  include_fields: z.boolean().default(false).describe("Also list each schema's fields"),
  ...paginationInput,
});

const fieldSchema = z.object({
  name: z.string(),
  title: z.string(),
  type: z.string(),
  encrypted: z.boolean(),
  required: z.boolean(),
});

const schemaItemSchema = z.object({
  name: z.string(),
  title: z.string(),
  description: z.string(),
  field_count: z.number(),
  encrypted_fields: z.array(z.string()),
  fields: z.array(fieldSchema).optional(),
});

export default defineTool({
  name: "list_schemas",
  title: "List data schemas",
  description:
    "List Raytio system schemas (the kinds of personal data you can request), with their fields and which are end-to-end encrypted. Filter by keyword.",
  domain: "dsm",
  // Not open-world: the catalogue ships with this server, so no call leaves the process.
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  inputSchema,
  outputSchema: z.object({ items: z.array(schemaItemSchema), ...paginationOutput }),
  async handler({ query, include_fields, limit, cursor }) {
    // include_fields changes only how items look, not which ones match, so a cursor survives toggling it.
    const filters = { query: query ?? null };
    const offset = decodeCursor(cursor, filters);
    const matches = listSystemSchemas({ query });
    const rows = matches.slice(offset, offset + limit + 1).map((summary) => {
      const schema = include_fields ? getSystemSchema(summary.name) : undefined;
      return schema ? { ...summary, fields: schemaFields(schema) } : summary;
    });
    return { ...pageOf(rows, offset, limit, filters), total: matches.length };
  },
  summarize: (output) => summarizePage(output, "schema", "schemas"),
});
