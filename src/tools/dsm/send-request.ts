import { z } from "zod";
import { requireFormByShortLink } from "../../dsm/lookups.js";
import { REQUEST_SELECT, requestRowSchema, requestSchema, requestView } from "../../dsm/projection.js";
import { RaytioError } from "../../errors.js";
import { TABLES, tablePath } from "../../raytio/paths.js";
import { query } from "../../raytio/postgrest.js";
import { defineTool } from "../tool.js";

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const MAX_EXPIRY_MINUTES = 30 * 24 * 60;

const inputSchema = z.object({
  short_link_key: z
    .string()
    .regex(/^[A-Za-z0-9_-]{6,64}$/)
    .describe("From create_form"),
  recipient_email: z
    .string()
    .max(320)
    .refine((value) => EMAIL.test(value), { error: "must be an email address" })
    .optional()
    .describe("Default: RAYTIO_TARGET_USER_EMAIL"),
  message: z.string().trim().max(2_000).optional().describe("Shown to the person with the request"),
  expiry_minutes: z
    .number()
    .int()
    .min(1)
    .max(MAX_EXPIRY_MINUTES)
    .optional()
    .describe("Default: RAYTIO_REQUEST_EXPIRY_MINUTES"),
});

export default defineTool({
  name: "send_request",
  title: "Send data request",
  description:
    "Send a DSM form to a person by email, asking them to share the data. Returns the request_short_code for poll_and_retrieve. Call create_form first.",
  domain: "dsm",
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ request: requestSchema }),
  async handler(input, { api, config, signal }) {
    const recipient = input.recipient_email ?? config.targetUserEmail;
    if (!recipient) {
      throw new RaytioError(
        "DSM_VALIDATION",
        "No recipient: give recipient_email, or set RAYTIO_TARGET_USER_EMAIL for a default recipient.",
        { details: { field: "recipient_email" } },
      );
    }
    const form = await requireFormByShortLink(api, input.short_link_key, signal);
    const minutes = input.expiry_minutes ?? config.requestExpiryMinutes;
    const response = await api.post(tablePath(TABLES.request), {
      query: query().select(REQUEST_SELECT),
      body: {
        form_id: form.id,
        recipient_email: recipient,
        message: input.message ?? null,
        expires_at: new Date(Date.now() + minutes * 60_000).toISOString(),
      },
      prefer: ["return=representation"],
      schema: z.array(requestRowSchema),
      signal,
    });
    const row = response.data[0];
    if (!row) throw new RaytioError("API_ERROR", "The Raytio API created the request but returned no row.");
    return { request: requestView(row) };
  },
  summarize: ({ request }) =>
    `Sent request ${request.request_short_code}; it expires at ${request.expires_at}. Next: poll_and_retrieve with this request_short_code.`,
});
