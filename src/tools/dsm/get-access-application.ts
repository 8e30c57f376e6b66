import { z } from "zod";
import { requireApplication } from "../../dsm/lookups.js";
import { accessApplicationSchema, FORM_LIST_SELECT, formListItemSchema } from "../../dsm/projection.js";
import { TABLES, tablePath } from "../../raytio/paths.js";
import { query } from "../../raytio/postgrest.js";
import { idParam } from "../schemas.js";
import { defineTool } from "../tool.js";

const MAX_FORMS = 20;

export default defineTool({
  name: "get_access_application",
  title: "Get access application",
  description:
    "Details of one DSM access application: its schemas, its newest forms (short_link_key for send_request) and whether this account can decrypt its submissions.",
  domain: "dsm",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  inputSchema: z.strictObject({ id: idParam("Access application id (list_access_applications)") }),
  outputSchema: z.object({
    application: accessApplicationSchema,
    forms: z.array(formListItemSchema),
    forms_total: z.number().nullable(),
    can_decrypt: z.boolean(),
  }),
  async handler({ id }, { api, signal }) {
    const [application, forms, keys] = await Promise.all([
      requireApplication(api, id, signal),
      api.get(tablePath(TABLES.form), {
        query: query()
          .select(FORM_LIST_SELECT)
          .eq("application_id", id)
          .order("created_at", "desc")
          .order("id")
          .limit(MAX_FORMS),
        prefer: ["count=exact"],
        schema: z.array(formListItemSchema),
        signal,
      }),
      // Only whether a sealed copy exists for this account: the key itself is not fetched.
      api.get(tablePath(TABLES.accessApplicationKey), {
        query: query().select("application_id").eq("application_id", id).limit(1),
        schema: z.array(z.object({ application_id: z.string() })),
        signal,
      }),
    ]);
    return {
      application,
      forms: forms.data,
      forms_total: forms.total ?? null,
      can_decrypt: keys.data.length > 0,
    };
  },
  summarize: ({ application, forms, forms_total, can_decrypt }) =>
    `Access application ${application.id}: ${application.schemas.length} schemas, ${forms_total ?? forms.length} forms${
      (forms_total ?? 0) > forms.length ? ` (newest ${forms.length} shown)` : ""
    }; ${can_decrypt ? "this account can decrypt its submissions" : "this account holds no key for it and cannot decrypt its submissions"}.`,
});
