import type { z } from "zod";
import type { Config } from "../config.js";
import type { DsmData } from "../dsm/data.js";
import type { Logger } from "../logger.js";
import type { PpmData } from "../ppm/data.js";
import type { PrmData } from "../prm/data.js";
import type { TokenSource } from "../raytio/auth.js";
import type { WrmData } from "../wrm/data.js";

export const BASE_DOMAINS = ["dsm", "ppm", "prm", "wrm"] as const;
export type BaseDomain = (typeof BASE_DOMAINS)[number];

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
  /** Sends an MCP progress notification when the client asked for them; a no-op otherwise. */
  progress(progress: number, total?: number, message?: string): Promise<void>;
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
  inputSchema: Input;
  outputSchema: Output;
  handler(input: z.output<Input>, context: ToolContext): Promise<z.input<Output>>;
  /** A one-line human summary placed above the JSON rendering (e.g. counts, how to continue). */
  summarize?(output: z.output<Output>): string;
  /**
   * The output carries text written by a third party (decrypted submissions, party notes, role
   * memories): its text rendering is fenced as untrusted data so a model does not follow
   * instructions hidden in it.
   */
  untrustedOutput?: boolean;
}

/** Identity function that exists for type inference, so each tool file stays declarative. */
export function defineTool<Input extends z.ZodObject, Output extends z.ZodObject>(
  definition: ToolDefinition<Input, Output>,
): ToolDefinition<Input, Output> {
  return definition;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds tools of every input/output type.
export type AnyTool = ToolDefinition<any, any>;
