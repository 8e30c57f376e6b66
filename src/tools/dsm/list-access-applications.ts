import { z } from "zod";
import { accessApplicationListItemSchema } from "../../dsm/projection.js";
import { paginationInput, paginationOutput, summarizePage } from "../core/pagination.js";
import { defineTool } from "../core/tool.js";

const inputSchema = z.strictObject({
  name: z.string().min(1).max(200).optional().describe("Substring of the application's name"),
  ...paginationInput,
});

export default defineTool({
  name: "list_access_applications",
  title: "List access applications",
  description:
    "List DSM access applications (the containers that receive end-to-end-encrypted data) this account can use, newest first.",
  domain: "dsm",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ items: z.array(accessApplicationListItemSchema), ...paginationOutput }),
  handler({ limit, cursor, ...filters }, { dsm }) {
    return dsm.listApplications(filters, { limit, cursor });
  },
  summarize: (output) => summarizePage(output, "access application", "access applications"),
});
