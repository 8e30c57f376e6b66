/**
 * Every Raytio API path the server calls, in one place. The real platform's paths beyond the token
 * endpoint are not public; docs/raytio-api.md is the contract these follow, and swapping in confirmed
 * paths later should only touch this file.
 */
export const DB_PREFIX = "/db/v1";

export const TABLES = {
  userKey: "fnd_user_key",
  accessApplication: "dsm_access_application",
  accessApplicationKey: "dsm_access_application_key",
  form: "dsm_form",
  request: "dsm_request",
  submission: "dsm_submission",
  workItem: "ppm_work_item",
  activity: "ppm_activity",
  party: "prm_party",
  relationship: "prm_relationship",
  worker: "wrm_worker",
  modelStack: "wrm_model_stack",
  mcpServer: "wrm_mcp_server",
  mcpTool: "wrm_mcp_tool",
  wrmRole: "wrm_role",
  roleMemory: "wrm_role_memory",
  guardrail: "wrm_guardrail",
  evalScorer: "wrm_eval_scorer",
  workerRole: "wrm_worker_role",
  workerMcpTool: "wrm_worker_mcp_tool",
  workerGuardrail: "wrm_worker_guardrail",
  workerAssignment: "wrm_worker_assignment",
  agentRun: "wrm_agent_run",
  runStep: "wrm_run_step",
  runArtifact: "wrm_run_artifact",
} as const;

export const RPCS = {
  userGroups: "fnd_authz_user_groups",
  dsmCreateAccessApplication: "dsm_create_access_application",
  prmRelatedParties: "prm_related_parties",
  prmPartyRelationships: "prm_party_relationships",
  ppmTransitionWorkItem: "ppm_transition_work_item",
} as const;

export type TableName = (typeof TABLES)[keyof typeof TABLES];
export type RpcName = (typeof RPCS)[keyof typeof RPCS];

export function tablePath(table: TableName): string {
  return `${DB_PREFIX}/${table}`;
}

export function rpcPath(fn: RpcName): string {
  return `${DB_PREFIX}/rpc/${fn}`;
}
