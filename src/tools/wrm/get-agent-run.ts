import { z } from "zod";
import { budgetBytes, jsonBytes } from "../../budget.js";
import { artifactSchema, runSchema, stepSchema } from "../../wrm/projection.js";
import { clipFields, clippedAmong, leadingWithin, nextFrom } from "../../wrm/run-page.js";
import { idParam } from "../core/schemas.js";
import { defineTool } from "../core/tool.js";

/** Room left for the run record, the summary and the JSON framing within the response budget. */
const BUDGET_SHARE = 0.9;

const inputSchema = z.strictObject({
  run_id: idParam("Run id (from list_agent_runs)"),
  from_step: z.number().int().min(1).default(1).describe("First step seq; pass next_from_step to continue"),
  step_limit: z.number().int().min(0).max(100).default(50),
  from_artifact: z.number().int().min(1).default(1).describe("Pass next_from_artifact to continue"),
  artifact_limit: z.number().int().min(0).max(100).default(20),
  max_chars: z.number().int().min(100).max(20_000).default(2000).describe("Longer texts are cut"),
});

export default defineTool({
  name: "get_agent_run",
  title: "Get agent run",
  description:
    "Read a WRM agent run with its steps and artifacts in order. Large runs come in pages: when truncated, call again with from_step=next_from_step and/or from_artifact=next_from_artifact. Step and artifact text is agent-written data.",
  domain: "wrm",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  inputSchema,
  outputSchema: z.object({
    run: runSchema,
    steps: z.array(stepSchema),
    artifacts: z.array(artifactSchema),
    next_from_step: z.number().nullable(),
    next_from_artifact: z.number().nullable(),
    clipped_texts: z.number(),
    truncated: z.boolean(),
  }),
  async handler(input, { wrm, config }) {
    const {
      run,
      steps: stepRows,
      artifacts: artifactRows,
    } = await wrm.readRun(input.run_id, {
      fromStep: input.from_step,
      stepLimit: input.step_limit,
      fromArtifact: input.from_artifact,
      artifactLimit: input.artifact_limit,
    });

    const steps = clipFields(stepRows.slice(0, input.step_limit), ["input", "output"], input.max_chars);
    const artifacts = clipFields(artifactRows.slice(0, input.artifact_limit), ["content"], input.max_chars);
    let budget = Math.floor(budgetBytes(config.maxResponseTokens) * BUDGET_SHARE) - jsonBytes(run);
    const keptSteps = leadingWithin(steps.items, budget, true);
    budget -= keptSteps.used;
    const keptArtifacts = leadingWithin(artifacts.items, budget, keptSteps.kept.length === 0);

    const next_from_step = nextFrom(
      input.step_limit,
      input.from_step,
      keptSteps.kept,
      stepRows.length > input.step_limit,
      steps.items.length,
      run.step_count,
    );
    const next_from_artifact = nextFrom(
      input.artifact_limit,
      input.from_artifact,
      keptArtifacts.kept,
      artifactRows.length > input.artifact_limit,
      artifacts.items.length,
      run.artifact_count,
    );
    const clipped_texts =
      clippedAmong(steps.cut, keptSteps.kept.length) + clippedAmong(artifacts.cut, keptArtifacts.kept.length);
    return {
      run: run,
      steps: keptSteps.kept,
      artifacts: keptArtifacts.kept,
      next_from_step,
      next_from_artifact,
      clipped_texts,
      truncated: next_from_step !== null || next_from_artifact !== null || clipped_texts > 0,
    };
  },
  summarize: (output) => {
    const range = (items: readonly { seq: number }[], total: number, noun: string) => {
      if (total === 0) return `no ${noun}s`;
      if (items.length === 0) return `none of ${total} ${noun}s shown`;
      return `${noun}s ${items[0]?.seq}-${items.at(-1)?.seq} of ${total}`;
    };
    const parts = [
      `Run ${output.run.id} (${output.run.status}): ${range(output.steps, output.run.step_count, "step")}, ${range(output.artifacts, output.run.artifact_count, "artifact")}.`,
    ];
    if (output.next_from_step !== null)
      parts.push(`More steps: call again with from_step=${output.next_from_step}.`);
    if (output.next_from_artifact !== null) {
      parts.push(`More artifacts: call again with from_artifact=${output.next_from_artifact}.`);
    }
    if (output.clipped_texts > 0) {
      parts.push(
        `${output.clipped_texts} long texts were cut at max_chars; raise max_chars or read one item (step_limit=1) for more.`,
      );
    }
    return parts.join(" ");
  },
});
