import { z } from "zod";
import { requestSchema } from "../../dsm/projection.js";
import { REQUEST_STATUSES } from "../../dsm/status.js";
import { paginationInput, paginationOutput, summarizePage } from "../core/pagination.js";
import { idParam, oneOrMany } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

const inputSchema = z.strictObject({
  access_application_id: idParam("Only requests for this access application").optional(),
  status: oneOrMany(REQUEST_STATUSES, "Only these statuses: one or a list").optional(),
  ...paginationInput,
});

export default defineTool({
  name: "list_requests",
  title: "List data requests",
  description:
    "List DSM data requests sent from this account's customer, newest first, optionally by access application or status (pending, submitted, expired, cancelled).",
  domain: "dsm",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ items: z.array(requestSchema), ...paginationOutput }),
  handler({ limit, cursor, access_application_id, status }, { dsm }) {
    return dsm.listRequests({ application_id: access_application_id, status }, { limit, cursor });
  },
  summarize: (output) => summarizePage(output, "request", "requests"),
});
