import { createHash } from "node:crypto";
import {
  acceptedContent,
  type CallToolResult,
  type InputRequiredResult,
  inputRequired,
  inputResponse,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import type { Confirmation as Confirmation_ } from "../../audit/record.js";
import type { ConfirmPolicy } from "../../config.js";
import { RaytioError } from "../../errors.js";
import { errorResult } from "./execute.js";
import type { AnyTool, Confirmation, ToolContext } from "./tool.js";

/**
 * A person's yes before an act that reaches another person or cannot be undone. The tool says what the
 * person is shown (ToolDefinition.confirmation); the server asks through the client (an elicitation
 * form: in the 2026-07-28 era an `input_required` round, which the SDK turns into elicitation/create for
 * 2025-era clients), and only the client's answer counts: no argument of any tool can give it.
 */
export type { Confirmation } from "./tool.js";

/**
 * What became of the question, for the result and the audit log: not_asked (the tool asks nothing for
 * this call, or RAYTIO_CONFIRM=never), unavailable (the client cannot show a form), accepted, declined
 * or cancelled.
 */
export type ConfirmationOutcome = Confirmation_;

/** The form: one yes/no the person must tick; anything else is a no. */
export const CONFIRM_FIELD = "confirm";
export const CONFIRM_SCHEMA = {
  type: "object",
  properties: {
    [CONFIRM_FIELD]: {
      type: "boolean",
      title: "Yes, do this",
      description: "Tick to go ahead. Leave it unticked, decline or close the form to stop: nothing is done.",
      default: false,
    },
  },
  required: [CONFIRM_FIELD],
} as const;

/** What the person reads in their client. */
export function confirmationMessage(tool: string, confirmation: Confirmation): string {
  const lines = confirmation.details.map(([label, value]) => `${label}: ${value}`);
  return [
    `${confirmation.action}?`,
    "",
    ...lines,
    "",
    `Asked by the AI agent through the Raytio tool ${tool}. Nothing happens unless you confirm.`,
  ].join("\n");
}

/**
 * Ties a confirmation to the exact call it was asked for: the answer is accepted only when the call it
 * comes back with is the same tool with the same arguments.
 */
export function callDigest(tool: string, args: unknown): string {
  return createHash("sha256")
    .update(JSON.stringify([tool, canonical(args)]))
    .digest("base64url");
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, item]) => item !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, item]) => [key, canonical(item)]),
    );
  }
  return value;
}

export function declinedError(tool: string, outcome: "declined" | "cancelled"): RaytioError {
  const how =
    outcome === "declined"
      ? "The person declined it in their client"
      : "The person closed the confirmation without answering";
  return new RaytioError(
    "DECLINED",
    `${how}, so ${tool} did nothing: nothing was created or sent. Do not retry on your own; ask the person what they want instead.`,
    { details: { tool, confirmation: outcome } },
  );
}

export function unavailableError(tool: string): RaytioError {
  return new RaytioError(
    "CONFIRMATION_UNAVAILABLE",
    `${tool} needs the person's confirmation, and this client cannot ask for it (it declares no form elicitation), so nothing was done. Use a client that supports elicitation, or ask the operator about RAYTIO_CONFIRM.`,
    { details: { tool } },
  );
}

/** What the server echoes through the client between the question and the answer (HMAC-sealed). */
export interface ConfirmState {
  /** The call asked about: the answer only counts for the same tool with the same arguments. */
  call: string;
}

export interface ConfirmationAsk {
  policy: ConfirmPolicy;
  /** The client declared form elicitation (per request in 2026-07-28, at initialize before). */
  canAsk: boolean;
  /** The answers a retried request carries (2026-07-28), or the SDK's legacy shim re-entering. */
  responses: Record<string, unknown> | undefined;
  /** The verified state of this round, when the request carries one. */
  state: ConfirmState | undefined;
  /** Seals the state of a new question. */
  mint(state: ConfirmState): Promise<string>;
}

export type ConfirmationStep =
  /** Go ahead, having recorded what became of the question. */
  | { kind: "proceed"; outcome: ConfirmationOutcome }
  /** Answer with this instead of acting: the question itself, or a refusal (`refusal`, on record). */
  | {
      kind: "answer";
      result: CallToolResult | InputRequiredResult;
      outcome: ConfirmationOutcome;
      refusal?: RaytioError;
    };

const answerSchema = z.object({ [CONFIRM_FIELD]: z.boolean() });

/**
 * Decides, before a tool acts, whether the person is asked, and reads their answer when it comes back.
 * `args` have been validated. Only the client's inputResponses can carry the answer: the tool's own
 * arguments are never read here, so no argument can skip, pre-fill or fake it.
 */
export async function confirmationStep(
  tool: AnyTool,
  args: unknown,
  context: ToolContext,
  ask: ConfirmationAsk,
): Promise<ConfirmationStep> {
  if (!tool.confirmation || ask.policy === "never") return { kind: "proceed", outcome: "not_asked" };
  const confirmation = await tool.confirmation(args, context);
  if (!confirmation) return { kind: "proceed", outcome: "not_asked" };
  if (!ask.canAsk) {
    if (ask.policy === "always") {
      const refusal = unavailableError(tool.name);
      return { kind: "answer", result: errorResult(refusal), outcome: "unavailable", refusal };
    }
    return { kind: "proceed", outcome: "unavailable" };
  }
  const call = callDigest(tool.name, args);
  if (ask.state?.call === call && ask.responses) {
    const answer = inputResponse(ask.responses, CONFIRM_FIELD);
    if (answer.kind === "elicit") {
      const accepted = acceptedContent(ask.responses, CONFIRM_FIELD, answerSchema);
      if (answer.action === "accept" && accepted?.[CONFIRM_FIELD] === true)
        return { kind: "proceed", outcome: "accepted" };
      const outcome = answer.action === "cancel" ? "cancelled" : "declined";
      const refusal = declinedError(tool.name, outcome);
      return { kind: "answer", result: errorResult(refusal), outcome, refusal };
    }
  }
  // First round, or an answer to another question: ask (again) about exactly this call.
  return {
    kind: "answer",
    outcome: "not_asked",
    result: inputRequired({
      inputRequests: {
        [CONFIRM_FIELD]: inputRequired.elicit({
          message: confirmationMessage(tool.name, confirmation),
          requestedSchema: CONFIRM_SCHEMA as never,
        }),
      },
      requestState: await ask.mint({ call }),
    }),
  };
}

/** Whether a client's declared capabilities include form elicitation (a bare `elicitation: {}` is form). */
export function supportsFormElicitation(capabilities: { elicitation?: object } | undefined): boolean {
  const elicitation = capabilities?.elicitation as { form?: object; url?: object } | undefined;
  if (!elicitation) return false;
  return elicitation.form !== undefined || Object.keys(elicitation).length === 0;
}

/**
 * Said once, when a client that cannot show a form first speaks: under `auto` the acts that reach a
 * person go ahead unasked for it, as in 1.17, and the person running it should know.
 */
export function cannotConfirmWarning(
  policy: ConfirmPolicy,
  capabilities: { elicitation?: object } | undefined,
): string | undefined {
  if (policy === "never" || supportsFormElicitation(capabilities)) return undefined;
  if (policy === "always")
    return "This MCP client cannot show a confirmation form (it declares no form elicitation), so under RAYTIO_CONFIRM=always send_request, final submission statuses and relationship deletions are refused with CONFIRMATION_UNAVAILABLE.";
  return "This MCP client cannot show a confirmation form (it declares no form elicitation), so under RAYTIO_CONFIRM=auto send_request, final submission statuses and relationship deletions go ahead without asking you, as 1.17 did. Use a client with elicitation, or set RAYTIO_CONFIRM=always to refuse them instead.";
}
