/**
 * WRM vocabulary. Tools speak lower-case values; the API stores them upper-case (docs/raytio-api.md),
 * so every enum crosses the boundary through `toApi` on the way in and `apiEnum` on the way out.
 */
export const WORKER_STATUSES = ["active", "paused", "retired"] as const;
export const MCP_TRANSPORTS = ["stdio", "http"] as const;
export const GUARDRAIL_SCOPES = ["input", "output", "tool_call", "all"] as const;
export const GUARDRAIL_SEVERITIES = ["info", "warn", "block"] as const;
export const SCORER_KINDS = ["llm_judge", "exact_match", "regex", "json_schema", "code", "human"] as const;
export const MEMORY_KINDS = ["fact", "preference", "lesson", "procedure"] as const;
export const RUN_STATUSES = ["running", "succeeded", "failed", "cancelled"] as const;
export const FINISHED_RUN_STATUSES = ["succeeded", "failed", "cancelled"] as const;
export const STEP_KINDS = ["plan", "model_call", "tool_call", "message", "error"] as const;

/** Everything `get_wrm_entity` and `save_wrm_entity` handle. */
export const ENTITY_KINDS = [
  "worker",
  "model_stack",
  "mcp_server",
  "mcp_tool",
  "role",
  "guardrail",
  "eval_scorer",
] as const;
/** Workers have their own list tool (list_workers); these are the rest. */
export const CONFIG_KINDS = [
  "model_stack",
  "mcp_server",
  "mcp_tool",
  "role",
  "guardrail",
  "eval_scorer",
] as const;
export const ASSIGNMENT_KINDS = ["role", "mcp_tool", "guardrail"] as const;

export type WorkerStatus = (typeof WORKER_STATUSES)[number];
export type EntityKind = (typeof ENTITY_KINDS)[number];
export type ConfigKind = (typeof CONFIG_KINDS)[number];
export type AssignmentKind = (typeof ASSIGNMENT_KINDS)[number];
export type RunStatus = (typeof RUN_STATUSES)[number];
export type StepKind = (typeof STEP_KINDS)[number];
export type MemoryKind = (typeof MEMORY_KINDS)[number];

export function toApi(value: string): string {
  return value.toUpperCase();
}

/** Human label of an entity kind for messages ("model stack"). */
export function kindLabel(kind: EntityKind | AssignmentKind): string {
  return kind === "mcp_server" ? "MCP server" : kind === "mcp_tool" ? "MCP tool" : kind.replace(/_/g, " ");
}

/** "an MCP server", "a role". */
export function withArticle(label: string): string {
  return `${/^[aeiou]|^MCP/i.test(label) ? "an" : "a"} ${label}`;
}

/** "1 role", "3 roles". */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
