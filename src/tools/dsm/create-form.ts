import { z } from "zod";
import { requireApplication } from "../../dsm/lookups.js";
import { FORM_SELECT, type FormPage, formSchema, PAGE_FILTERS } from "../../dsm/projection.js";
import { RaytioError } from "../../errors.js";
import { TABLES, tablePath } from "../../raytio/paths.js";
import { query } from "../../raytio/postgrest.js";
import { assertKnownSchemas } from "../../schemas/loader.js";
import { idParam } from "../schemas.js";
import { defineTool } from "../tool.js";

const pageInput = z.object({
  name: z.string().trim().min(1).max(100),
  description: z.string().trim().max(500).optional(),
  schemas: z.array(z.string().min(1).max(100)).min(1).max(10),
  optional: z.boolean().default(false).describe("The person may skip the page"),
  allow_multiple: z.boolean().default(false).describe("Several instances allowed, e.g. addresses"),
  filter: z
    .enum(PAGE_FILTERS)
    .optional()
    .describe("oneOf: exactly one schema; anyOf: one or more; omit: all"),
});

const inputSchema = z.object({
  application_id: idParam("Access application id"),
  name: z.string().trim().min(1).max(200),
  reference: z.string().trim().min(1).max(200).optional().describe("Your reference, shown on submissions"),
  pages: z.array(pageInput).min(1).max(20),
});

export default defineTool({
  name: "create_form",
  title: "Create form",
  description:
    "Create a DSM form (Raytio link) for an access application: pages of its schemas to fill in. Returns the short_link_key for send_request.",
  domain: "dsm",
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ form: formSchema }),
  async handler(input, { api, signal }) {
    const requested = input.pages.flatMap((page) => page.schemas);
    assertKnownSchemas(requested);
    const repeated = [...new Set(requested.filter((name, index) => requested.indexOf(name) !== index))];
    if (repeated.length > 0) {
      throw new RaytioError(
        "DSM_VALIDATION",
        `Each schema may appear on one page only; repeated: ${repeated.join(", ")}. Use allow_multiple for several instances.`,
        { details: { field: "pages", repeated } },
      );
    }
    const application = await requireApplication(api, input.application_id, signal);
    const foreign = requested.filter((name) => !application.schemas.includes(name));
    if (foreign.length > 0) {
      throw new RaytioError(
        "DSM_VALIDATION",
        `Access application ${application.id} does not collect ${foreign.join(", ")}; its schemas are ${application.schemas.join(", ")}. Create an application with those schemas, or remove them from the pages.`,
        {
          details: { field: "pages", not_in_application: foreign, application_schemas: application.schemas },
        },
      );
    }
    const pages: FormPage[] = input.pages.map((page) => ({
      name: page.name,
      description: page.description ?? null,
      schemas: page.schemas,
      optional: page.optional,
      allow_multiple: page.allow_multiple,
      filter: page.filter ?? null,
    }));
    const response = await api.post(tablePath(TABLES.form), {
      query: query().select(FORM_SELECT),
      body: { application_id: application.id, name: input.name, reference: input.reference ?? null, pages },
      prefer: ["return=representation"],
      schema: z.array(formSchema),
      signal,
    });
    const form = response.data[0];
    if (!form) throw new RaytioError("API_ERROR", "The Raytio API created the form but returned no row.");
    return { form };
  },
  summarize: ({ form }) =>
    `Created form ${form.short_link_key} with ${form.pages.length} page${form.pages.length === 1 ? "" : "s"}. Next: send_request with this short_link_key.`,
});
