import { z } from "zod";
import { requestSchema } from "../../dsm/projection.js";
import { RaytioError } from "../../errors.js";
import { idParam, recipientEmail, shortCode } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

const MAX_EXPIRY_MINUTES = 30 * 24 * 60;

/** v1.17's shape: the payload under `data`, the ids under their documented names. */
const outputSchema = z.object({
  data: requestSchema
    .omit({ application_id: true })
    .extend({ access_application_id: z.string(), short_link_key: z.string() }),
});

const inputSchema = z.strictObject({
  access_application_id: idParam("Optional check: the form's application").optional(),
  short_link_key: shortCode("The form's key (from create_form)"),
  recipient_email: recipientEmail
    .optional()
    .describe("Default: the form's recipient_email, then RAYTIO_TARGET_USER_EMAIL"),
  message: z.string().trim().max(2_000).optional().describe("Shown to the person with the request"),
  expiry_minutes: z
    .number()
    .int()
    .min(1)
    .max(MAX_EXPIRY_MINUTES)
    .optional()
    .describe("Default: RAYTIO_REQUEST_EXPIRY_MINUTES"),
});

function sameApplication(expected: string | undefined, actual: string): boolean {
  return expected === undefined || expected.toLowerCase() === actual.toLowerCase();
}

export default defineTool({
  name: "send_request",
  title: "Send data request",
  description:
    "Send a DSM form to a person by email, asking them to share the data. Returns the request_short_code for poll_and_retrieve. Call create_form first.",
  domain: "dsm",
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  inputSchema,
  outputSchema,
  // It emails a real person: they see who asks, for what and until when, before anything is sent.
  async confirmation(input, { dsm, config }) {
    const form = await dsm.formByShortLink(input.short_link_key);
    const recipient = input.recipient_email ?? form.recipient_email ?? config.targetUserEmail;
    // Refusals (no recipient, another application's form) come from the handler, before anything is sent.
    if (!recipient || !sameApplication(input.access_application_id, form.application_id)) return undefined;
    const application = await dsm.getApplication(form.application_id);
    const minutes = input.expiry_minutes ?? config.requestExpiryMinutes;
    const schemas = [...new Set(form.pages.flatMap((page) => page.schemas))];
    return {
      action: `Email ${recipient} a request to share their personal data`,
      details: [
        ["Recipient", recipient],
        ["Access application", application.name],
        ["Data asked for", schemas.length > 0 ? schemas.join(", ") : "(whatever the form asks)"],
        ["Message to them", input.message ?? "(none)"],
        ["Expires", `${minutes} minutes after sending`],
      ],
    };
  },
  async handler(input, { dsm, config }) {
    const form = await dsm.formByShortLink(input.short_link_key);
    if (!sameApplication(input.access_application_id, form.application_id)) {
      throw new RaytioError(
        "DSM_VALIDATION",
        `Form ${form.short_link_key} belongs to access application ${form.application_id}, not ${input.access_application_id}. Check both ids, or omit access_application_id.`,
        { details: { field: "access_application_id", form_application_id: form.application_id } },
      );
    }
    const recipient = input.recipient_email ?? form.recipient_email ?? config.targetUserEmail;
    if (!recipient) {
      throw new RaytioError(
        "DSM_VALIDATION",
        "No recipient: give recipient_email (or create the form with one), or set RAYTIO_TARGET_USER_EMAIL for a default recipient.",
        { details: { field: "recipient_email" } },
      );
    }
    await dsm.proveEncryptionPassword();
    const minutes = input.expiry_minutes ?? config.requestExpiryMinutes;
    const { application_id, ...request } = await dsm.sendRequest({
      formId: form.id,
      recipientEmail: recipient,
      message: input.message,
      expiresAt: new Date(Date.now() + minutes * 60_000).toISOString(),
    });
    return {
      data: { ...request, access_application_id: application_id, short_link_key: form.short_link_key },
    };
  },
  followUp: ({ data }) => ({ kind: "watch_dsm_request", requestShortCode: data.request_short_code }),
  summarize: ({ data }) =>
    `Sent request ${data.request_short_code}; it expires at ${data.expires_at}. Next: poll_and_retrieve with this request_short_code.`,
});
