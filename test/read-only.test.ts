import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import { READ_ONLY_TOOLS } from "./support/expected-tools.js";
import { type ConnectedServer, serverPool, startTestSandbox, structured, textOf } from "./support/harness.js";

/**
 * RAYTIO_READ_ONLY and the *-readonly domains expose exactly the tools annotated readOnlyHint, and a
 * client may call those without asking the person. This proves the annotation true for every such tool
 * in the registry: each is called, with arguments that make it succeed, and neither the database nor
 * the API saw a write.
 */
let sandbox: Sandbox;
let agent: ConnectedServer;
const pool = serverPool(() => sandbox);

/** Functions the reads call through POST /rpc/…; each only selects (docs/raytio-api.md). */
const READ_RPCS = [
  "/db/v1/rpc/fnd_authz_user_groups",
  "/db/v1/rpc/prm_related_parties",
  "/db/v1/rpc/prm_party_relationships",
];

/** Every row of every table, as one fingerprint per table (read as the superuser, past row-level security). */
async function fingerprint(): Promise<Record<string, string>> {
  const tables = await sandbox.db.query<{ name: string }>(
    `select format('%I.%I', table_schema, table_name) as name from information_schema.tables
      where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')
      order by 1`,
  );
  const prints: Record<string, string> = {};
  for (const { name } of tables.rows) {
    const result = await sandbox.db.query<{ print: string }>(
      `select count(*) || ':' || coalesce(md5(string_agg(t::text, '|' order by t::text)), '') as print from ${name} t`,
    );
    prints[name] = result.rows[0]?.print ?? "";
  }
  return prints;
}

type Page = { items: Array<Record<string, unknown>> };
const first = async (name: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> => {
  const item = structured<Page>(await agent.call(name, { limit: 5, ...args })).items[0];
  if (!item) throw new Error(`${name} listed nothing to read further`);
  return item;
};

beforeAll(async () => {
  sandbox = await startTestSandbox();
  agent = await pool.connect("agent", { RAYTIO_TOOL_DOMAINS: "dsm,ppm,prm,wrm" });
});

afterAll(async () => {
  await pool.closeAll();
  await sandbox.stop();
});

describe("tools annotated read-only", () => {
  it("are exactly the ones listed by hand, and none of them writes, called with arguments that succeed", async () => {
    const listed = (await agent.client.listTools()).tools;
    const readOnly = listed
      .filter((tool) => tool.annotations?.readOnlyHint === true)
      .map((tool) => tool.name);
    expect([...readOnly].sort()).toEqual([...READ_ONLY_TOOLS].sort());

    // Ids to read come from list calls made before the baseline: reads too, but not the ones under test.
    const application = await first("list_access_applications");
    const request = await first("list_requests");
    const workItem = await first("list_work_items");
    const party = await first("search_parties");
    const run = await first("list_agent_runs");
    const role = await first("list_wrm_entities", { kind: "role" });
    const worker = await first("list_workers");

    const calls: Record<string, Record<string, unknown>> = {
      get_access_application: { access_application_id: application.id },
      list_access_applications: {},
      list_requests: {},
      list_schemas: { query: "Person", include_fields: true },
      list_submissions: {},
      poll_and_retrieve: { request_short_code: request.request_short_code, wait_seconds: 0 },
      get_work_item: { work_item_id: workItem.id },
      list_work_item_activities: { work_item_id: workItem.id },
      list_work_items: {},
      get_party: { party_id: party.id },
      search_parties: { name: "a" },
      get_agent_run: { run_id: run.id },
      get_wrm_entity: { kind: "worker", entity_id: worker.id },
      list_agent_runs: {},
      list_role_memories: { role_id: role.id },
      list_workers: {},
      list_wrm_entities: { kind: "model_stack" },
    };
    // A read-only tool added to the registry needs its arguments here, or this fails.
    expect(Object.keys(calls).sort()).toEqual([...READ_ONLY_TOOLS].sort());

    const before = await fingerprint();
    expect(Object.keys(before).length).toBeGreaterThan(10);
    const firstRequest = sandbox.requests.length;
    for (const [name, args] of Object.entries(calls)) {
      const result = await agent.call(name, args);
      expect(result.isError, `${name}: ${textOf(result)}`).toBeFalsy();
    }
    const made = sandbox.requests.slice(firstRequest).filter((request) => request.url.startsWith("/db/v1/"));
    expect(made.length).toBeGreaterThanOrEqual(Object.keys(calls).length);
    const writes = made.filter(
      (request) =>
        request.method !== "GET" &&
        !(request.method === "POST" && READ_RPCS.includes(request.url.split("?")[0] ?? "")),
    );
    expect(writes.map((request) => `${request.method} ${request.url}`)).toEqual([]);
    expect(await fingerprint()).toEqual(before);
  });
});
