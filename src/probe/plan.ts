import { z } from "zod";
import { userGroupSchema } from "../account/roles.js";
import { submissionWithRecordsSchema } from "../dsm/lookups.js";
import {
  accessApplicationSchema,
  formListItemSchema,
  formSchema,
  requestRowSchema,
} from "../dsm/projection.js";
import { applicationKeyRowSchema, userKeyRowSchema } from "../dsm/services.js";
import { activityRowSchema, workItemRowSchema } from "../ppm/projection.js";
import {
  partyDetailRowSchema,
  partyListRowSchema,
  partyRefRowSchema,
  partyRelationshipRowSchema,
  relationshipRowSchema,
} from "../prm/projection.js";
import { columnsOf } from "../raytio/pages.js";
import { RPCS, type RpcName, TABLES, type TableName } from "../raytio/paths.js";
import type { SignInFlow } from "../raytio/sign-in-flow.js";
import { ASSIGNMENT_TABLES, KIND_SPECS } from "../wrm/entities.js";
import {
  artifactReceiptSchema,
  artifactSchema,
  assignmentRowSchema,
  ENTITY_ROWS,
  memoryRowSchema,
  runRowSchema,
  stepReceiptRowSchema,
  stepRowSchema,
} from "../wrm/projection.js";

/**
 * Every backend assumption the operations rely on, in the order docs/raytio-api.md lists them, with
 * how the probe checks it read-only. A table check reads one row with exactly the columns the tools
 * select and validates it with the tools' own row schemas; an RPC check calls the function with
 * arguments that can change nothing. What cannot be checked without writing is listed, not called.
 */

export interface TableAssumption {
  id: string;
  kind: "table";
  table: TableName;
  /** Every column an operation selects, filters, orders or writes: the union of what tools use. */
  columns: readonly string[];
  /** The row schemas tools read this table with; each is checked against the row the probe reads. */
  schemas: readonly z.ZodType[];
}

export interface RpcAssumption {
  id: string;
  kind: "rpc";
  rpc: RpcName;
  /** The named arguments the operations send. */
  args: readonly string[];
  /** Arguments that read nothing private and change nothing; absent for a function that writes. */
  harmless?: Record<string, unknown>;
  /** Columns selected from the result, and the schema that checks each row. */
  select?: readonly string[];
  /** Result columns the operations use beyond the selected ones (e.g. to order by). */
  alsoUses?: readonly string[];
  schema?: z.ZodType;
}

export type BackendAssumption = TableAssumption | RpcAssumption;

/**
 * Each sign-in flow's two assumptions: that it signs in, and that it renews without a new sign-in.
 * The probe checks the configured flow's pair and lists the other's as not exercised.
 */
export const SIGN_IN_ASSUMPTIONS = {
  "token-endpoint": { signIn: "AUTH-TOKEN-ENDPOINT-SIGN-IN", renewal: "AUTH-TOKEN-ENDPOINT-RENEWAL" },
  srp: { signIn: "AUTH-COGNITO-SRP-SIGN-IN", renewal: "AUTH-COGNITO-SRP-RENEWAL" },
} as const satisfies Record<SignInFlow["name"], { signIn: string; renewal: string }>;

/** An id no row has: what the harmless calls ask about, so they find nothing and touch nothing. */
export const NIL_ID = "00000000-0000-0000-0000-000000000000";

const union = (...lists: ReadonlyArray<readonly string[]>): string[] => [...new Set(lists.flat())];

function table(
  id: string,
  name: TableName,
  schemas: z.ZodType[],
  extra: readonly string[] = [],
): TableAssumption {
  return { id, kind: "table", table: name, columns: union(...schemas.map(columnsOf), extra), schemas };
}

const wrmEntity = (id: string, kind: keyof typeof KIND_SPECS, extra: readonly string[] = []) =>
  table(
    id,
    KIND_SPECS[kind].table,
    [ENTITY_ROWS[kind].list, ENTITY_ROWS[kind].get],
    [...KIND_SPECS[kind].search, ...extra],
  );

const link = (id: string, kind: keyof typeof ASSIGNMENT_TABLES) =>
  table(id, ASSIGNMENT_TABLES[kind].table, [
    z.object({ worker_id: z.string(), [ASSIGNMENT_TABLES[kind].column]: z.string() }),
  ]);

export const BACKEND_ASSUMPTIONS: readonly BackendAssumption[] = [
  {
    id: "FND-RPC-USER-GROUPS",
    kind: "rpc",
    rpc: RPCS.userGroups,
    args: [],
    harmless: {},
    schema: userGroupSchema,
  },
  table("FND-T-USER-KEY", TABLES.userKey, [userKeyRowSchema]),
  table("DSM-T-ACCESS-APPLICATION", TABLES.accessApplication, [accessApplicationSchema]),
  table(
    "DSM-T-ACCESS-APPLICATION-KEY",
    TABLES.accessApplicationKey,
    [applicationKeyRowSchema],
    ["application_id"],
  ),
  {
    id: "DSM-RPC-CREATE-ACCESS-APPLICATION",
    kind: "rpc",
    rpc: RPCS.dsmCreateAccessApplication,
    args: ["name", "description", "schemas", "public_key", "sealed_private_key"],
    select: columnsOf(accessApplicationSchema),
    schema: accessApplicationSchema,
  },
  table("DSM-T-FORM", TABLES.form, [formSchema, formListItemSchema]),
  table("DSM-T-REQUEST", TABLES.request, [requestRowSchema], ["message"]),
  table("DSM-T-SUBMISSION", TABLES.submission, [submissionWithRecordsSchema]),
  table("PPM-T-WORK-ITEM", TABLES.workItem, [workItemRowSchema]),
  {
    id: "PPM-RPC-TRANSITION-WORK-ITEM",
    kind: "rpc",
    rpc: RPCS.ppmTransitionWorkItem,
    args: ["p_id", "p_from", "p_to", "p_reason"],
    select: columnsOf(workItemRowSchema),
    schema: workItemRowSchema,
  },
  table("PPM-T-ACTIVITY", TABLES.activity, [activityRowSchema]),
  table("PRM-T-PARTY", TABLES.party, [partyDetailRowSchema, partyListRowSchema, partyRefRowSchema]),
  table("PRM-T-RELATIONSHIP", TABLES.relationship, [relationshipRowSchema]),
  {
    id: "PRM-RPC-RELATED-PARTIES",
    kind: "rpc",
    rpc: RPCS.prmRelatedParties,
    args: ["party_id", "kind", "include_ended"],
    harmless: { party_id: NIL_ID, kind: null, include_ended: false },
    select: columnsOf(partyListRowSchema),
    schema: partyListRowSchema,
  },
  {
    id: "PRM-RPC-PARTY-RELATIONSHIPS",
    kind: "rpc",
    rpc: RPCS.prmPartyRelationships,
    args: ["party_id"],
    harmless: { party_id: NIL_ID },
    select: columnsOf(partyRelationshipRowSchema),
    alsoUses: ["is_open"],
    schema: partyRelationshipRowSchema,
  },
  wrmEntity("WRM-T-WORKER", "worker"),
  wrmEntity("WRM-T-MODEL-STACK", "model_stack"),
  wrmEntity("WRM-T-MCP-SERVER", "mcp_server"),
  wrmEntity("WRM-T-MCP-TOOL", "mcp_tool"),
  wrmEntity("WRM-T-ROLE", "role"),
  wrmEntity("WRM-T-GUARDRAIL", "guardrail"),
  wrmEntity("WRM-T-EVAL-SCORER", "eval_scorer"),
  link("WRM-T-WORKER-ROLE", "role"),
  link("WRM-T-WORKER-MCP-TOOL", "mcp_tool"),
  link("WRM-T-WORKER-GUARDRAIL", "guardrail"),
  table("WRM-T-WORKER-ASSIGNMENT", TABLES.workerAssignment, [assignmentRowSchema], ["worker_id"]),
  table("WRM-T-ROLE-MEMORY", TABLES.roleMemory, [memoryRowSchema]),
  table("WRM-T-AGENT-RUN", TABLES.agentRun, [runRowSchema]),
  table("WRM-T-RUN-STEP", TABLES.runStep, [stepRowSchema, stepReceiptRowSchema]),
  table("WRM-T-RUN-ARTIFACT", TABLES.runArtifact, [artifactSchema, artifactReceiptSchema]),
];
