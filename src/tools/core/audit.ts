import type { AuditEntry } from "../../audit/record.js";
import { argumentTargets, resultIdentifiers } from "../../audit/targets.js";
import type { RaytioError } from "../../errors.js";
import type { AnyTool, ToolContext } from "./tool.js";

/** What executeTool learnt about one call, for its audit record. */
export interface CallTrace {
  /** The arguments as parsed; absent when they were refused (nothing unvalidated is recorded). */
  args?: unknown;
  /** The output as its schema parsed it; present when the call succeeded. */
  output?: Record<string, unknown>;
  failure?: RaytioError;
}

/**
 * Whether a call is on record: every call of a tool that is not annotated read-only (so the set of
 * consequential acts follows the annotations, never a list), and every call that opened encrypted data.
 */
export function isAudited(tool: AnyTool, context: ToolContext): boolean {
  return !tool.annotations.readOnlyHint || context.audit.decrypted;
}

export function auditEntry(tool: AnyTool, context: ToolContext, trace: CallTrace): AuditEntry {
  const call = context.audit;
  const declined =
    trace.failure !== undefined && (call.confirmation === "declined" || call.confirmation === "cancelled");
  return {
    time: new Date().toISOString(),
    ...call.trail.actor(),
    tool: tool.name,
    act: tool.annotations.readOnlyHint ? "read" : "write",
    decrypted: call.decrypted,
    targets: trace.args === undefined ? {} : argumentTargets(tool.inputSchema, trace.args),
    result:
      trace.output === undefined || trace.failure ? {} : resultIdentifiers(tool.outputSchema, trace.output),
    outcome: trace.failure ? (declined ? "declined" : "failed") : "done",
    ...(trace.failure ? { code: trace.failure.code } : {}),
    confirmation: call.confirmation,
  };
}

/**
 * Writes the call's record before its result goes back, so a client that sees the result can find
 * the record. A record that cannot be written is reported on stderr; the result stands, since the
 * act has happened and a failure result would invite the model to repeat it.
 */
export async function recordCall(tool: AnyTool, context: ToolContext, trace: CallTrace): Promise<void> {
  if (!isAudited(tool, context)) return;
  const entry = auditEntry(tool, context, trace);
  try {
    await context.audit.trail.log.append(entry);
  } catch (error) {
    context.logger.error("The audit record of a call could not be written", {
      tool: tool.name,
      outcome: entry.outcome,
      destination: context.audit.trail.log.destination,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
