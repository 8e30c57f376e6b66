/**
 * The tools a client must see for each domain, written out by hand. Tests compare tools/list with
 * these lists rather than with the server's own `toolsForDomains`, so a filtering bug (a read-only
 * domain leaking a write tool, a domain losing a tool) shows as a difference instead of on both sides.
 * Adding a tool means adding its name here: that is the point.
 */
export const EXPECTED_TOOLS = {
  dsm: [
    "create_access_application",
    "create_form",
    "get_access_application",
    "list_access_applications",
    "list_requests",
    "list_schemas",
    "list_submissions",
    "poll_and_retrieve",
    "send_request",
    "update_submission_status",
  ],
  ppm: [
    "add_work_item_activity",
    "create_work_item",
    "get_work_item",
    "list_work_item_activities",
    "list_work_items",
    "transition_work_item",
    "update_work_item",
  ],
  "ppm-readonly": ["get_work_item", "list_work_item_activities", "list_work_items"],
  prm: ["create_party", "get_party", "relate_parties", "search_parties", "unrelate_parties", "update_party"],
  wrm: [
    "add_role_memory",
    "append_run_step",
    "assign_worker",
    "attach_run_artifact",
    "finish_agent_run",
    "get_agent_run",
    "get_wrm_entity",
    "list_agent_runs",
    "list_role_memories",
    "list_workers",
    "list_wrm_entities",
    "save_wrm_entity",
    "start_agent_run",
  ],
  "wrm-readonly": [
    "get_agent_run",
    "get_wrm_entity",
    "list_agent_runs",
    "list_role_memories",
    "list_workers",
    "list_wrm_entities",
  ],
} as const satisfies Record<string, readonly string[]>;

export type ExpectedDomain = keyof typeof EXPECTED_TOOLS;

/** The names tools/list must give for these domains: domain by domain, each in name order. */
export function expectedToolNames(domains: readonly ExpectedDomain[]): string[] {
  return domains.flatMap((domain) => EXPECTED_TOOLS[domain]);
}

/** Every tool annotated read-only, by hand; the read-only checks compare against this. */
export const READ_ONLY_TOOLS: readonly string[] = [
  "get_access_application",
  "list_access_applications",
  "list_requests",
  "list_schemas",
  "list_submissions",
  "poll_and_retrieve",
  ...EXPECTED_TOOLS["ppm-readonly"],
  "get_party",
  "search_parties",
  ...EXPECTED_TOOLS["wrm-readonly"],
];
