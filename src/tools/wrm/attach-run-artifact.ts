import { z } from "zod";
import { wrmValidation } from "../../wrm/errors.js";
import { artifactReceiptSchema } from "../../wrm/projection.js";
import { idParam } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

const inputSchema = z.strictObject({
  run_id: idParam("Running run id"),
  name: z.string().trim().min(1).max(300),
  media_type: z
    .string()
    .regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/, {
      error: "must be a media type: type/subtype in lower case, such as text/markdown or application/json",
    })
    .describe("e.g. text/markdown"),
  content: z.string().max(1_000_000).optional().describe("Inline content; or give uri"),
  uri: z
    .string()
    .max(2000)
    .regex(/^[a-z][a-z0-9+.-]*:/, {
      error: "must be an absolute URI with a scheme, such as https://example.com/report",
    })
    .optional(),
  step_seq: z.number().int().min(1).optional().describe("Step that produced it"),
});

export default defineTool({
  name: "attach_run_artifact",
  title: "Attach run artifact",
  description:
    "Attach an output (inline content or a uri, not both) to a running agent run, optionally naming the step that produced it. Artifacts are numbered in order; a finished run refuses them.",
  domain: "wrm",
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ artifact: artifactReceiptSchema }),
  async handler(input, { wrm }) {
    if ((input.content === undefined) === (input.uri === undefined)) {
      throw wrmValidation("Give exactly one of content (inline) or uri (stored elsewhere).");
    }
    return { artifact: await wrm.attachArtifact(input) };
  },
  // The media type stays inside the result: its pattern still admits words (text/ignore-previous-…),
  // and the summary is outside the untrusted-data fence.
  summarize: ({ artifact }) => `Attached artifact ${artifact.seq} to run ${artifact.run_id}.`,
});
