import { z } from "zod";
import { RaytioError } from "../../errors.js";
import { activitySchema } from "../../ppm/projection.js";
import { idParam } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

/** A day's work is the most one entry may record; longer spans are separate entries. */
const MAX_MINUTES = 24 * 60;

const inputSchema = z.strictObject({
  work_item_id: idParam("Work item id"),
  kind: z.enum(["comment", "time_entry"]),
  body: z
    .string()
    .max(20_000)
    .optional()
    .describe("Comment text (required for comment); note for a time entry"),
  minutes: z.number().int().min(1).max(MAX_MINUTES).optional().describe("Time spent (time_entry only)"),
});

export default defineTool({
  name: "add_work_item_activity",
  title: "Add work item activity",
  description:
    "Add a comment or a time entry (minutes, optional note) to a PPM work item, recorded as this account, now. Status changes are not activities you add: use transition_work_item.",
  domain: "ppm",
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({ activity: activitySchema }),
  async handler(input, { ppm }) {
    const body = input.body?.trim() || undefined;
    if (input.kind === "comment" && (body === undefined || input.minutes !== undefined)) {
      throw new RaytioError("PPM_VALIDATION", "A comment needs a non-empty body and takes no minutes.", {
        details: { kind: input.kind },
      });
    }
    if (input.kind === "time_entry" && input.minutes === undefined) {
      throw new RaytioError(
        "PPM_VALIDATION",
        "A time entry needs minutes (1-1440); body is an optional note.",
        {
          details: { kind: input.kind, missing: "minutes" },
        },
      );
    }
    const activity = await ppm.addActivity(input.work_item_id, {
      kind: input.kind,
      body,
      minutes: input.minutes,
    });
    return { activity };
  },
  summarize: (output) =>
    output.activity.kind === "time_entry"
      ? `Logged ${output.activity.minutes} minutes on work item ${output.activity.work_item_id}.`
      : `Commented on work item ${output.activity.work_item_id}.`,
});
