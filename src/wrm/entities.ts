import { TABLES, type TableName } from "../raytio/paths.js";
import { ENTITY_ROWS } from "./projection.js";
import { type AssignmentKind, type EntityKind, toApi } from "./types.js";

type Column<Kind extends EntityKind> = keyof (typeof ENTITY_ROWS)[Kind]["get"]["shape"] & string;

/**
 * How each WRM entity kind maps onto the API beyond its columns (which its row schemas in
 * ENTITY_ROWS name): its table, the columns free-text search looks in and the fields a create must
 * set. The generic tools (list_wrm_entities, get_wrm_entity, save_wrm_entity) are driven by this
 * table so each kind behaves the same way.
 */
export interface KindSpec<Kind extends EntityKind = EntityKind> {
  table: TableName;
  search: readonly Column<Kind>[];
  /** Fields a create must set (the API has no default for them). */
  requiredOnCreate: readonly Column<Kind>[];
}

export const KIND_SPECS: { [Kind in EntityKind]: KindSpec<Kind> } = {
  worker: { table: TABLES.worker, search: ["name", "purpose"], requiredOnCreate: ["name"] },
  model_stack: {
    table: TABLES.modelStack,
    search: ["name", "provider", "model"],
    requiredOnCreate: ["name", "provider", "model"],
  },
  mcp_server: {
    table: TABLES.mcpServer,
    search: ["name", "endpoint", "description"],
    requiredOnCreate: ["name", "transport", "endpoint"],
  },
  mcp_tool: {
    table: TABLES.mcpTool,
    search: ["name", "description"],
    requiredOnCreate: ["mcp_server_id", "name"],
  },
  role: { table: TABLES.wrmRole, search: ["name", "description"], requiredOnCreate: ["name"] },
  guardrail: {
    table: TABLES.guardrail,
    search: ["name", "rule"],
    requiredOnCreate: ["name", "rule", "scope", "severity"],
  },
  eval_scorer: {
    table: TABLES.evalScorer,
    search: ["name", "description"],
    requiredOnCreate: ["name", "scorer_kind"],
  },
};

/** Only kinds whose rows have an `enabled` column can be filtered by it. */
export function hasEnabled(kind: EntityKind): boolean {
  return "enabled" in ENTITY_ROWS[kind].get.shape;
}

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
  const required: readonly string[] = KIND_SPECS[payload.kind].requiredOnCreate;
  return required.filter((field) => payload[field] === undefined);
}
