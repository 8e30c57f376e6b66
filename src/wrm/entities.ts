import { TABLES, type TableName } from "../raytio/paths.js";
import { type AssignmentKind, type EntityKind, toApi } from "./types.js";

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

/** What save_wrm_entity writes: the kind, and the fields given in the tools' (lower-case) words. */
export type EntityFields = { kind: EntityKind } & Record<string, unknown>;

const API_ENUM_FIELDS = new Set(["status", "transport", "scope", "severity", "scorer_kind"]);

/** The API body for a payload: only the fields given, enums in the API's upper case. */
export function toApiBody(payload: EntityFields): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(payload)) {
    if (field === "kind" || value === undefined) continue;
    body[field] = API_ENUM_FIELDS.has(field) && typeof value === "string" ? toApi(value) : value;
  }
  return body;
}

export function missingOnCreate(payload: EntityFields): string[] {
  return KIND_SPECS[payload.kind].requiredOnCreate.filter((field) => payload[field] === undefined);
}
