import { z } from "zod";
import { accessApplicationSchema, formListItemSchema } from "../../dsm/projection.js";
import { idParam } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

export default defineTool({
  name: "get_access_application",
  title: "Get access application",
  description:
    "Details of one DSM access application: its schemas, its newest forms (short_link_key for send_request) and whether this account can decrypt its submissions.",
  domain: "dsm",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  inputSchema: z.strictObject({
    access_application_id: idParam("From create_access_application or list_access_applications"),
  }),
  outputSchema: z.object({
    application: accessApplicationSchema,
    forms: z.array(formListItemSchema),
    forms_total: z.number().nullable(),
    can_decrypt: z.boolean(),
  }),
  async handler({ access_application_id }, { dsm }) {
    const detail = await dsm.applicationDetail(access_application_id);
    return {
      application: detail.application,
      forms: detail.forms,
      forms_total: detail.formsTotal,
      can_decrypt: detail.canDecrypt,
    };
  },
  summarize: ({ application, forms, forms_total, can_decrypt }) =>
    `Access application ${application.id}: ${application.schemas.length} schemas, ${forms_total ?? forms.length} forms${
      (forms_total ?? 0) > forms.length ? ` (newest ${forms.length} shown)` : ""
    }; ${can_decrypt ? "this account can decrypt its submissions" : "this account holds no key for it and cannot decrypt its submissions"}.`,
});
