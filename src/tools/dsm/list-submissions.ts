import { z } from "zod";
import { submissionSchema } from "../../dsm/projection.js";
import { SUBMISSION_STATUSES } from "../../dsm/status.js";
import { paginationInput, paginationOutput, summarizePage } from "../core/pagination.js";
import { idParam, oneOrMany } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

const inputSchema = z.strictObject({
  access_application_id: idParam("Only submissions to this access application").optional(),
  status: oneOrMany(SUBMISSION_STATUSES, "Only these statuses: one or a list").optional(),
  ...paginationInput,
});

export default defineTool({
  name: "list_submissions",
  title: "List submissions",
  description:
    "List DSM submissions (data people shared in answer to requests), newest first, without their data. Decrypt one with poll_and_retrieve and its request_short_code.",
  domain: "dsm",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ items: z.array(submissionSchema), ...paginationOutput }),
  handler({ limit, cursor, access_application_id, status }, { dsm }) {
    return dsm.listSubmissions({ application_id: access_application_id, status }, { limit, cursor });
  },
  summarize: (output) => summarizePage(output, "submission", "submissions"),
});
