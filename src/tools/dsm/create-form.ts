import { z } from "zod";
import { auditTarget } from "../../audit/targets.js";
import { type FormPage, formPageSchema, PAGE_FILTERS } from "../../dsm/projection.js";
import { RaytioError } from "../../errors.js";
import { assertKnownSchemas, getSystemSchema } from "../../schemas/loader.js";
import { serverWrote, thirdParty } from "../../untrusted-text.js";
import { idParam, recipientEmail } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

const pageInput = z.strictObject({
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

/**
 * Two forms in one object schema (a root union would split the tool's JSON Schema): v1.17's short
 * form `{access_application_id, system_schemas, recipient_email}` and the full form with pages. The
 * handler enforces the either-or rule the description states.
 */
const inputSchema = z.strictObject({
  access_application_id: idParam("From create_access_application"),
  system_schemas: z
    .array(z.string().min(1).max(100))
    .min(1)
    .max(20)
    .optional()
    .describe("Short form: one required page per schema"),
  pages: z.array(pageInput).min(1).max(20).optional().describe("Full form: named pages"),
  name: z.string().trim().min(1).max(200).optional().describe("Default: the application's name"),
  reference: z.string().trim().min(1).max(200).optional().describe("Your reference, shown on submissions"),
  recipient_email: recipientEmail
    .optional()
    .describe("Who the form is for; send_request's default recipient"),
});

/** v1.17's shape: the payload under `data`, the ids under their documented names. */
const outputSchema = z.object({
  data: z.object({
    short_link_key: auditTarget(z.string()),
    form_id: z.string(),
    access_application_id: z.string(),
    name: thirdParty(z.string()),
    reference: thirdParty(z.string()).nullable(),
    recipient_email: thirdParty(z.string()).nullable(),
    pages: z.array(formPageSchema),
    created_at: z.string(),
  }),
});

type Input = z.output<typeof inputSchema>;

/** The short form's pages: one required page per schema, titled as the schema is. */
function pagesOf(input: Input): FormPage[] {
  if ((input.system_schemas === undefined) === (input.pages === undefined)) {
    throw new RaytioError(
      "DSM_VALIDATION",
      `Give either system_schemas (one required page per schema) or pages (named pages, optional or multiple instances)${input.pages ? ", not both" : ""}.`,
      { details: { field: "system_schemas" } },
    );
  }
  if (input.pages) {
    return input.pages.map((page) => ({
      name: page.name,
      description: page.description ?? null,
      schemas: page.schemas,
      optional: page.optional,
      allow_multiple: page.allow_multiple,
      filter: page.filter ?? null,
    }));
  }
  const names = input.system_schemas ?? [];
  assertKnownSchemas(names);
  return names.map((name) => ({
    name: getSystemSchema(name)?.title ?? name,
    description: null,
    schemas: [name],
    optional: false,
    allow_multiple: false,
    filter: null,
  }));
}

export default defineTool({
  name: "create_form",
  title: "Create form",
  description:
    "Create a DSM form (Raytio link) for an access application. Give access_application_id and either system_schemas (one required page each) or pages (names, optional pages, multiple instances). Returns the short_link_key for send_request.",
  domain: "dsm",
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  inputSchema,
  outputSchema,
  async handler(input, { dsm }) {
    const applicationId = input.access_application_id;
    const pages = pagesOf(input);
    const requested = pages.flatMap((page) => page.schemas);
    assertKnownSchemas(requested);
    const repeated = [...new Set(requested.filter((name, index) => requested.indexOf(name) !== index))];
    if (repeated.length > 0) {
      throw new RaytioError(
        "DSM_VALIDATION",
        `Each schema may appear on one page only; repeated: ${repeated.join(", ")}. Use allow_multiple for several instances.`,
        { details: { field: input.pages ? "pages" : "system_schemas", repeated } },
      );
    }
    await dsm.proveEncryptionPassword();
    const application = await dsm.getApplication(applicationId);
    // An application that lists no schemas collects whatever its forms ask for.
    const foreign =
      application.schemas.length === 0 ? [] : requested.filter((name) => !application.schemas.includes(name));
    if (foreign.length > 0) {
      throw new RaytioError(
        "DSM_VALIDATION",
        `Access application ${application.id} does not collect ${foreign.join(", ")}; its schemas are ${application.schemas.join(", ")}. Create an application with those schemas, or remove them from the form.`,
        {
          details: {
            field: input.pages ? "pages" : "system_schemas",
            not_in_application: foreign,
            application_schemas: application.schemas,
          },
        },
      );
    }
    const form = await dsm.createForm({
      applicationId: application.id,
      name: input.name ?? application.name,
      reference: input.reference,
      recipientEmail: input.recipient_email,
      pages,
    });
    const output = {
      data: {
        short_link_key: form.short_link_key,
        form_id: form.id,
        access_application_id: form.application_id,
        name: form.name,
        reference: form.reference,
        recipient_email: form.recipient_email,
        pages: form.pages,
        created_at: form.created_at,
      },
    };
    // The short form's page names are the catalogue's titles, chosen here: no one else wrote them.
    return serverWrote(output, input.system_schemas ? pages.map((page) => page.name) : []);
  },
  summarize: ({ data }) =>
    `Created form ${data.short_link_key} with ${data.pages.length} page${data.pages.length === 1 ? "" : "s"}. Next: send_request with this short_link_key.`,
});
