import type { z } from "zod";
import type { AuditCall } from "../../audit/record.js";
import type { Config } from "../../config.js";
import type { DsmData } from "../../dsm/data.js";
import type { Logger } from "../../logger.js";
import type { PpmData } from "../../ppm/data.js";
import type { PrmData } from "../../prm/data.js";
import type { TokenSource } from "../../raytio/auth.js";
import type { WrmData } from "../../wrm/data.js";
import type { Redirect } from "./validation.js";

export const BASE_DOMAINS = ["dsm", "ppm", "prm", "wrm"] as const;
export type BaseDomain = (typeof BASE_DOMAINS)[number];

/** What the person is shown before an act that needs their yes (src/tools/core/confirmation.ts asks). */
export interface Confirmation {
  /** One sentence, starting with a verb: what will happen, e.g. "Email a request for personal data". */
  action: string;
  /** What the person checks before they answer, in order. */
  details: ReadonlyArray<readonly [label: string, value: string]>;
}

/**
 * All four hints are required and explicit: the MCP defaults (destructive unless said otherwise) make
 * an unannotated read look dangerous, and read-only domains are computed from `readOnlyHint`.
 */
export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/**
 * Something worth telling the client about after the call has returned, which a transport that can
 * speak later (an HTTP session's logging messages) follows up; stdio ignores it.
 */
export type ToolFollowUp = {
  /** Watch a DSM request until the person answers it, or it is cancelled or expires. */
  kind: "watch_dsm_request";
  requestShortCode: string;
};

/** What a tool handler may use. Built once per call; nothing here is global state. */
export interface ToolContext {
  tokens: TokenSource;
  config: Config;
  logger: Logger;
  /**
   * Each domain's operations, already bound to this call's signal. DSM's also reach the per-process
   * keyring (PBKDF2 once per process) and cached key envelopes.
   */
  dsm: DsmData;
  ppm: PpmData;
  prm: PrmData;
  wrm: WrmData;
  signal: AbortSignal;
  /** Tools that exist but are not exposed in this process: messages never point to them. */
  hiddenTools: ReadonlySet<string>;
  /** Sends an MCP progress notification when the client asked for them; a no-op otherwise. */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  /**
   * This call's audit facts (who acts, where records go, whether it decrypted, what a person
   * confirmed); executeTool writes the record from it (src/tools/audit.ts).
   */
  audit: AuditCall;
}

export interface ToolDefinition<
  Input extends z.ZodObject = z.ZodObject,
  Output extends z.ZodObject = z.ZodObject,
> {
  /** snake_case, unique across the registry. */
  name: string;
  title: string;
  /** Written for a model: what it does, when to use it, what to call first. Kept short (budgeted). */
  description: string;
  domain: BaseDomain;
  annotations: ToolAnnotations;
  /**
   * z.strictObject (nested objects too): an unknown key is refused, never silently dropped, since an
   * ignored argument is a change the model believes it made. The registry test checks every tool.
   */
  inputSchema: Input;
  /**
   * Arguments models send here that belong to another tool (e.g. status on update_work_item): the
   * refusal names that tool, when it is exposed.
   */
  redirects?: Readonly<Record<string, Redirect>>;
  outputSchema: Output;
  handler(input: z.output<Input>, context: ToolContext): Promise<z.input<Output>>;
  /**
   * A one-line summary placed above the JSON rendering (counts, states, how to continue). It sits
   * outside the untrusted-data fence, so it never repeats a field marked `thirdParty` (names, titles,
   * notes...): which results are fenced follows from those marks in the output schema.
   */
  summarize?(output: z.output<Output>): string;
  /**
   * Present when the act can reach another person or cannot be undone: what the person using the client
   * is asked before it happens (src/tools/core/confirmation.ts), or undefined when this call needs no
   * confirmation (e.g. a status change that rejects nothing). Called with validated arguments, before
   * the handler; it may read (never write) to describe the act.
   */
  confirmation?(input: z.output<Input>, context: ToolContext): Promise<Confirmation | undefined>;
  /** Present when a client may run the tool as an MCP task. */
  task?: ToolTask<Input>;
  /** Declares a follow-up of a successful call, derived from its output (see ToolFollowUp). */
  followUp?(output: z.input<Output>): ToolFollowUp | undefined;
}

/** One look at what a task-capable tool waits for. */
export type TaskCheck =
  /** Still waiting: the task stays `working` with this message; `expiresAt` (epoch ms) ends the wait for good. */
  | { done: false; statusMessage: string; expiresAt?: number }
  /** The wait is over: calling the tool with `resultInput` now returns the outcome at once. */
  | { done: true };

/**
 * A tool that waits for something outside (a person answering) can run as an MCP task
 * (execution.taskSupport "optional"): the call returns a task at once and the server watches in the
 * background with `check`. Its result is what the blocking call returns once the wait is over, computed
 * again on tasks/result so nothing decrypted is ever kept.
 */
export interface ToolTask<Input extends z.ZodObject> {
  /** Throws a RaytioError to fail the task with that error (e.g. REQUEST_EXPIRED). */
  check(input: z.output<Input>, context: ToolContext): Promise<TaskCheck>;
  /** The arguments of the call that returns the finished outcome without waiting. */
  resultInput(input: z.output<Input>): z.output<Input>;
}

/** Identity function that exists for type inference, so each tool file stays declarative. */
export function defineTool<Input extends z.ZodObject, Output extends z.ZodObject>(
  definition: ToolDefinition<Input, Output>,
): ToolDefinition<Input, Output> {
  return definition;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds tools of every input/output type.
export type AnyTool = ToolDefinition<any, any>;

/**
 * What deciding a tool's exposure reads: its name, domain and read-only hint. A tools/list built ahead
 * of time carries exactly this, so the early answers choose tools with the same functions.
 */
export interface ToolSummary {
  name: string;
  domain: BaseDomain;
  annotations: { readOnlyHint?: boolean | undefined };
}
