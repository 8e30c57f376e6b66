import { z } from "zod";
import { thirdParty } from "../untrusted-text.js";
import {
  GUARDRAIL_SCOPES,
  GUARDRAIL_SEVERITIES,
  MCP_TRANSPORTS,
  MEMORY_KINDS,
  RUN_STATUSES,
  SCORER_KINDS,
  STEP_KINDS,
  WORKER_STATUSES,
} from "./types.js";

export { WORKER_STATUSES } from "./types.js";

/**
 * Response schemas. Row schemas read what the API sends (upper-case enums) and turn it into what tools
 * show; their keys are the columns selected. Output schemas are the lean shapes published in tools/list.
 */
function apiEnum<const T extends readonly [string, ...string[]]>(values: T) {
  return z
    .string()
    .transform((value) => value.toLowerCase())
    .pipe(z.enum(values));
}

// Workers ------------------------------------------------------------------------------------------

export const workerListItemSchema = z.object({
  id: z.string(),
  name: thirdParty(z.string()),
  purpose: thirdParty(z.string()).nullable(),
  status: z.enum(WORKER_STATUSES),
  model_stack_id: z.string().nullable(),
  updated_at: z.string(),
});

// Every other WRM entity, in one flat shape: each kind fills the fields it has -----------------------

const reference = z.object({ id: z.string(), name: thirdParty(z.string()) });

/** One WRM entity of any kind; `get_wrm_entity` adds a worker's assignments. */
export const entitySchema = z.object({
  id: z.string(),
  name: thirdParty(z.string()),
  purpose: thirdParty(z.string()).nullable().optional(),
  status: z.enum(WORKER_STATUSES).optional(),
  model_stack_id: z.string().nullable().optional(),
  provider: thirdParty(z.string()).optional(),
  model: thirdParty(z.string()).optional(),
  parameters: thirdParty(z.record(z.string(), z.unknown())).optional(),
  fallbacks: thirdParty(z.array(z.object({ provider: z.string(), model: z.string() }))).optional(),
  transport: z.enum(MCP_TRANSPORTS).optional(),
  endpoint: thirdParty(z.string()).optional(),
  mcp_server_id: z.string().optional(),
  read_only: z.boolean().optional(),
  description: thirdParty(z.string()).nullable().optional(),
  instructions: thirdParty(z.string()).optional(),
  rule: thirdParty(z.string()).optional(),
  scope: z.enum(GUARDRAIL_SCOPES).optional(),
  severity: z.enum(GUARDRAIL_SEVERITIES).optional(),
  scorer_kind: z.enum(SCORER_KINDS).optional(),
  config: thirdParty(z.record(z.string(), z.unknown())).optional(),
  enabled: z.boolean().optional(),
  updated_at: z.string(),
  roles: z.array(reference).optional(),
  mcp_tools: z.array(reference).optional(),
  guardrails: z.array(reference).optional(),
});
export type WrmEntity = z.output<typeof entitySchema>;

export const entityRowSchema = entitySchema.omit({ roles: true, mcp_tools: true, guardrails: true }).extend({
  status: apiEnum(WORKER_STATUSES).optional(),
  transport: apiEnum(MCP_TRANSPORTS).optional(),
  scope: apiEnum(GUARDRAIL_SCOPES).optional(),
  severity: apiEnum(GUARDRAIL_SEVERITIES).optional(),
  scorer_kind: apiEnum(SCORER_KINDS).optional(),
});

export type EntityRow = z.output<typeof entityRowSchema>;
type EntityColumn = Extract<keyof typeof entityRowSchema.shape, string>;

/**
 * One kind's row as the API sends it: the columns named here, each required (a column the backend
 * dropped or renamed is a contract mismatch, not an absent field). Its keys are the columns selected.
 */
function kindRow<const Column extends EntityColumn>(...columns: Column[]) {
  // The intersection states what TypeScript cannot see for a generic Column: no key outside the row.
  const mask = Object.fromEntries(columns.map((column) => [column, true])) as {
    [C in Column]: true;
  } & Record<Exclude<Column, EntityColumn>, never>;
  return entityRowSchema.pick(mask).required();
}

/**
 * Each kind's projections: `list` is what a list shows, `get` what a single read and a write echo.
 * These are the only place a kind's columns are named; queries select their keys and the probe reads
 * with them.
 */
export const ENTITY_ROWS = {
  worker: {
    list: kindRow("id", "name", "purpose", "status", "model_stack_id", "updated_at"),
    get: kindRow("id", "name", "purpose", "status", "model_stack_id", "updated_at"),
  },
  model_stack: {
    list: kindRow("id", "name", "provider", "model", "updated_at"),
    get: kindRow("id", "name", "provider", "model", "parameters", "fallbacks", "updated_at"),
  },
  mcp_server: {
    list: kindRow("id", "name", "transport", "endpoint", "enabled", "updated_at"),
    get: kindRow("id", "name", "transport", "endpoint", "description", "enabled", "updated_at"),
  },
  mcp_tool: {
    list: kindRow("id", "mcp_server_id", "name", "description", "read_only", "enabled", "updated_at"),
    get: kindRow("id", "mcp_server_id", "name", "description", "read_only", "enabled", "updated_at"),
  },
  role: {
    list: kindRow("id", "name", "description", "updated_at"),
    get: kindRow("id", "name", "description", "instructions", "updated_at"),
  },
  guardrail: {
    list: kindRow("id", "name", "rule", "scope", "severity", "enabled", "updated_at"),
    get: kindRow("id", "name", "rule", "scope", "severity", "enabled", "updated_at"),
  },
  eval_scorer: {
    list: kindRow("id", "name", "scorer_kind", "description", "updated_at"),
    get: kindRow("id", "name", "scorer_kind", "description", "config", "updated_at"),
  },
} as const;

export const workerListRowSchema = ENTITY_ROWS.worker.list;

/** A worker's assignments, from the `wrm_worker_assignment` view. */
export const assignmentRowSchema = z.object({
  kind: z.enum(["ROLE", "MCP_TOOL", "GUARDRAIL"]),
  target_id: z.string(),
  target_name: z.string(),
});

// Role memories --------------------------------------------------------------------------------------

export const memorySchema = z.object({
  id: z.string(),
  role_id: z.string(),
  kind: z.enum(MEMORY_KINDS),
  content: thirdParty(z.string()),
  source_run_id: z.string().nullable(),
  created_by: z.string(),
  created_at: z.string(),
});
export const memoryRowSchema = memorySchema.extend({ kind: apiEnum(MEMORY_KINDS) });

/** What add_role_memory echoes: provenance without the (agent-written) text. */
export const memoryReceiptSchema = memorySchema.omit({ content: true });
export const memoryReceiptRowSchema = memoryRowSchema.omit({ content: true });

// Agent runs -----------------------------------------------------------------------------------------

export const runSchema = z.object({
  id: z.string(),
  worker_id: z.string(),
  work_item_id: z.string().nullable(),
  goal: thirdParty(z.string()).nullable(),
  status: z.enum(RUN_STATUSES),
  started_at: z.string(),
  ended_at: z.string().nullable(),
  cost_usd: z.number().nullable(),
  step_count: z.number(),
  artifact_count: z.number(),
  input_tokens: z.number().nullable().optional(),
  output_tokens: z.number().nullable().optional(),
  error: thirdParty(z.string()).nullable().optional(),
  created_by: z.string().optional(),
});
export type AgentRun = z.output<typeof runSchema>;
export const runRowSchema = runSchema.extend({ status: apiEnum(RUN_STATUSES) });
/** A list shows a run without its token counts, error text and author. */
export const runListRowSchema = runRowSchema.omit({
  input_tokens: true,
  output_tokens: true,
  error: true,
  created_by: true,
});

export const stepSchema = z.object({
  seq: z.number(),
  kind: z.enum(STEP_KINDS),
  tool_name: thirdParty(z.string()).nullable(),
  mcp_tool_id: z.string().nullable(),
  input: thirdParty(z.string()).nullable(),
  output: thirdParty(z.string()).nullable(),
  started_at: z.string(),
  ended_at: z.string().nullable(),
});
export type RunStep = z.output<typeof stepSchema>;
export const stepRowSchema = stepSchema.extend({ kind: apiEnum(STEP_KINDS) });

/** What append_run_step echoes: where the step landed, without its (agent-written) text. */
export const stepReceiptSchema = stepSchema
  .pick({ seq: true, kind: true, tool_name: true, started_at: true, ended_at: true })
  .extend({ run_id: z.string() });
export const stepReceiptRowSchema = stepReceiptSchema.extend({ kind: apiEnum(STEP_KINDS) });

export const artifactSchema = z.object({
  seq: z.number(),
  id: z.string(),
  name: thirdParty(z.string()),
  // The API holds media types to a strict type/subtype pattern, so one cannot carry prose.
  media_type: z.string(),
  step_seq: z.number().nullable(),
  uri: thirdParty(z.string()).nullable(),
  content: thirdParty(z.string()).nullable(),
  size_bytes: z.number().nullable(),
  created_at: z.string(),
});
export type RunArtifact = z.output<typeof artifactSchema>;

export const artifactReceiptSchema = artifactSchema.omit({ content: true }).extend({ run_id: z.string() });
