import { z } from "zod";
import { TABLES, type TableName } from "../raytio/paths.js";
import { idParam } from "../tools/schemas.js";
import {
  type AssignmentKind,
  type EntityKind,
  GUARDRAIL_SCOPES,
  GUARDRAIL_SEVERITIES,
  MCP_TRANSPORTS,
  SCORER_KINDS,
  toApi,
  WORKER_STATUSES,
} from "./types.js";

/**
 * How each WRM entity kind maps onto the API: its table, the columns a list shows, the columns a single
 * read shows, and the columns free-text search looks in. The generic tools (list_wrm_entities,
 * get_wrm_entity, save_wrm_entity) are driven by this table so each kind behaves the same way.
 */
export interface KindSpec {
  table: TableName;
  listSelect: readonly string[];
  getSelect: readonly string[];
  search: readonly string[];
  /** Fields a create must set (the API has no default for them). */
  requiredOnCreate: readonly string[];
  /** Only these kinds can be filtered by `enabled`. */
  hasEnabled: boolean;
}

export const KIND_SPECS: Record<EntityKind, KindSpec> = {
  worker: {
    table: TABLES.worker,
    listSelect: ["id", "name", "purpose", "status", "model_stack_id", "updated_at"],
    getSelect: ["id", "name", "purpose", "status", "model_stack_id", "updated_at"],
    search: ["name", "purpose"],
    requiredOnCreate: ["name"],
    hasEnabled: false,
  },
  model_stack: {
    table: TABLES.modelStack,
    listSelect: ["id", "name", "provider", "model", "updated_at"],
    getSelect: ["id", "name", "provider", "model", "parameters", "fallbacks", "updated_at"],
    search: ["name", "provider", "model"],
    requiredOnCreate: ["name", "provider", "model"],
    hasEnabled: false,
  },
  mcp_server: {
    table: TABLES.mcpServer,
    listSelect: ["id", "name", "transport", "endpoint", "enabled", "updated_at"],
    getSelect: ["id", "name", "transport", "endpoint", "description", "enabled", "updated_at"],
    search: ["name", "endpoint", "description"],
    requiredOnCreate: ["name", "transport", "endpoint"],
    hasEnabled: true,
  },
  mcp_tool: {
    table: TABLES.mcpTool,
    listSelect: ["id", "mcp_server_id", "name", "description", "read_only", "enabled", "updated_at"],
    getSelect: ["id", "mcp_server_id", "name", "description", "read_only", "enabled", "updated_at"],
    search: ["name", "description"],
    requiredOnCreate: ["mcp_server_id", "name"],
    hasEnabled: true,
  },
  role: {
    table: TABLES.wrmRole,
    listSelect: ["id", "name", "description", "updated_at"],
    getSelect: ["id", "name", "description", "instructions", "updated_at"],
    search: ["name", "description"],
    requiredOnCreate: ["name"],
    hasEnabled: false,
  },
  guardrail: {
    table: TABLES.guardrail,
    listSelect: ["id", "name", "rule", "scope", "severity", "enabled", "updated_at"],
    getSelect: ["id", "name", "rule", "scope", "severity", "enabled", "updated_at"],
    search: ["name", "rule"],
    requiredOnCreate: ["name", "rule", "scope", "severity"],
    hasEnabled: true,
  },
  eval_scorer: {
    table: TABLES.evalScorer,
    listSelect: ["id", "name", "scorer_kind", "description", "updated_at"],
    getSelect: ["id", "name", "scorer_kind", "description", "config", "updated_at"],
    search: ["name", "description"],
    requiredOnCreate: ["name", "scorer_kind"],
    hasEnabled: false,
  },
};

/** The join table behind each kind of worker assignment, and its column for the assigned record. */
export const ASSIGNMENT_TABLES: Record<
  AssignmentKind,
  { table: TableName; column: string; target: TableName }
> = {
  role: { table: TABLES.workerRole, column: "role_id", target: TABLES.wrmRole },
  mcp_tool: { table: TABLES.workerMcpTool, column: "mcp_tool_id", target: TABLES.mcpTool },
  guardrail: { table: TABLES.workerGuardrail, column: "guardrail_id", target: TABLES.guardrail },
};

// save_wrm_entity payloads: every field optional, so one shape serves create and partial update ------

const name = z.string().trim().min(1).max(200);
const description = z.string().max(2000).nullable();
const settings = z.record(z.string(), z.unknown());

export const savePayloadSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("worker"),
    name: name.optional(),
    purpose: description.optional(),
    status: z.enum(WORKER_STATUSES).optional(),
    model_stack_id: idParam("Model stack id; null clears").nullable().optional(),
  }),
  z.strictObject({
    kind: z.literal("model_stack"),
    name: name.optional(),
    provider: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_.-]{0,49}$/)
      .optional()
      .describe("e.g. anthropic, openai"),
    model: z.string().min(1).max(200).optional(),
    parameters: settings.optional().describe("e.g. temperature, max_tokens"),
    fallbacks: z
      .array(z.strictObject({ provider: z.string().min(1).max(50), model: z.string().min(1).max(200) }))
      .max(10)
      .optional()
      .describe("Tried in order"),
  }),
  z.strictObject({
    kind: z.literal("mcp_server"),
    name: name.optional(),
    transport: z.enum(MCP_TRANSPORTS).optional(),
    endpoint: z.string().min(1).max(2000).optional().describe("URL (http) or command (stdio)"),
    description: description.optional(),
    enabled: z.boolean().optional(),
  }),
  z.strictObject({
    kind: z.literal("mcp_tool"),
    mcp_server_id: idParam("Server exposing it").optional(),
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,128}$/)
      .optional(),
    description: description.optional(),
    read_only: z.boolean().optional(),
    enabled: z.boolean().optional(),
  }),
  z.strictObject({
    kind: z.literal("role"),
    name: name.optional(),
    description: description.optional(),
    instructions: z.string().max(20_000).optional(),
  }),
  z.strictObject({
    kind: z.literal("guardrail"),
    name: name.optional(),
    rule: z.string().min(1).max(4000).optional(),
    scope: z.enum(GUARDRAIL_SCOPES).optional(),
    severity: z.enum(GUARDRAIL_SEVERITIES).optional(),
    enabled: z.boolean().optional(),
  }),
  z.strictObject({
    kind: z.literal("eval_scorer"),
    name: name.optional(),
    scorer_kind: z.enum(SCORER_KINDS).optional(),
    description: description.optional(),
    config: settings.optional(),
  }),
]);
export type SavePayload = z.output<typeof savePayloadSchema>;

const API_ENUM_FIELDS = new Set(["status", "transport", "scope", "severity", "scorer_kind"]);

/** The API body for a payload: only the fields given, enums in the API's upper case. */
export function toApiBody(payload: SavePayload): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(payload)) {
    if (field === "kind" || value === undefined) continue;
    body[field] = API_ENUM_FIELDS.has(field) && typeof value === "string" ? toApi(value) : value;
  }
  return body;
}

export function missingOnCreate(payload: SavePayload): string[] {
  const given = payload as Record<string, unknown>;
  return KIND_SPECS[payload.kind].requiredOnCreate.filter((field) => given[field] === undefined);
}
