import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LARGE_RUN_ARTIFACTS, LARGE_RUN_GOAL, LARGE_RUN_STEPS } from "../sandbox/db/seed-wrm.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import { approximateTokens } from "../src/tools/core/listing.js";
import { EXPECTED_TOOLS } from "./support/expected-tools.js";
import {
  type ConnectedServer,
  serverPool,
  startTestSandbox,
  structured,
  textOf,
  toolNames,
} from "./support/harness.js";

interface Entity {
  id: string;
  name: string;
  [field: string]: unknown;
}
interface Page<T> {
  items: T[];
  next_cursor: string | null;
  total: number | null;
}
interface Run {
  id: string;
  worker_id: string;
  work_item_id: string | null;
  goal: string | null;
  status: string;
  started_at: string;
  ended_at: string | null;
  cost_usd: number | null;
  step_count: number;
  artifact_count: number;
  input_tokens?: number | null;
  error?: string | null;
}
interface Step {
  seq: number;
  kind: string;
  tool_name: string | null;
  input: string | null;
  output: string | null;
}
interface Artifact {
  seq: number;
  name: string;
  media_type: string;
  step_seq: number | null;
  uri: string | null;
  content: string | null;
  size_bytes: number | null;
}
interface RunPage {
  run: Run;
  steps: Step[];
  artifacts: Artifact[];
  next_from_step: number | null;
  next_from_artifact: number | null;
  clipped_texts: number;
  truncated: boolean;
}

const WRITE_TOOLS = [
  "add_role_memory",
  "append_run_step",
  "assign_worker",
  "attach_run_artifact",
  "finish_agent_run",
  "save_wrm_entity",
  "start_agent_run",
];

let sandbox: Sandbox;
let admin: ConnectedServer;
const pool = serverPool(() => sandbox);
const connect = pool.connect;

async function call<T>(name: string, args: Record<string, unknown> = {}, server = admin): Promise<T> {
  return structured<T>(await server.call(name, args));
}

/** The failure text of a call that must fail. */
async function failure(name: string, args: Record<string, unknown>, server = admin): Promise<string> {
  const result = await server.call(name, args);
  expect(result.isError, `${name} should fail`).toBe(true);
  return textOf(result);
}

async function entityNamed(kind: string, name: string): Promise<Entity> {
  const page = await call<Page<Entity>>("list_wrm_entities", { kind, text: name, limit: 100 });
  const found = page.items.find((item) => item.name === name);
  if (!found) throw new Error(`no ${kind} named ${name}`);
  return found;
}

async function workerNamed(name: string): Promise<Entity> {
  const page = await call<Page<Entity>>("list_workers", { text: name });
  const found = page.items.find((item) => item.name === name);
  if (!found) throw new Error(`no worker named ${name}`);
  return found;
}

async function dbValue<T>(sql: string, params: unknown[] = []): Promise<T> {
  const result = await sandbox.db.query<T>(sql, params);
  const row = result.rows[0];
  if (!row) throw new Error(`no row for ${sql}`);
  return row;
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  admin = await connect("worker_admin");
});

afterAll(async () => {
  await pool.closeAll();
  await sandbox.stop();
});

describe("catalogue", () => {
  it("exposes the whole WRM domain to a worker administrator, within 9,000 tokens of tools/list", async () => {
    const listed = (await admin.client.listTools()).tools;
    expect(listed.map((tool) => tool.name)).toEqual(EXPECTED_TOOLS.wrm);
    expect(listed).toHaveLength(13);
    expect(approximateTokens(listed)).toBeLessThanOrEqual(9_000);
  });

  it("gives wrm-readonly (worker_viewer, or RAYTIO_TOOL_DOMAINS) only read tools", async () => {
    const expected = EXPECTED_TOOLS["wrm-readonly"];
    const viewer = await connect("worker_viewer");
    const forced = await connect("agent", { RAYTIO_TOOL_DOMAINS: "wrm-readonly" });
    for (const server of [viewer, forced]) {
      const names = await toolNames(server);
      expect(names).toEqual(expected);
      expect(names.filter((name) => WRITE_TOOLS.includes(name))).toEqual([]);
    }
    const workers = await call<Page<Entity>>("list_workers", {}, viewer);
    expect(workers.total).toBe(5);
  });

  it("refuses a viewer's write in the database even when the write tools are exposed", async () => {
    const viewer = await connect("worker_viewer", { RAYTIO_TOOL_DOMAINS: "wrm" });
    const text = await failure(
      "save_wrm_entity",
      { entity: { kind: "role", name: "Viewer-made role" } },
      viewer,
    );
    expect(text).toMatch(/^API_ERROR: Row-level security refused this write/);
    const count = await dbValue<{ n: number }>(
      "select count(*)::int as n from api.wrm_role where name = $1",
      ["Viewer-made role"],
    );
    expect(count.n).toBe(0);
  });
});

describe("workers", () => {
  it("lists workers by name with filters and cursors", async () => {
    const all = await call<Page<Entity>>("list_workers", {});
    expect(all.items.map((worker) => worker.name)).toEqual([
      "Backlog Triage",
      "Compliance Auditor",
      "Invoice Reconciler",
      "Legacy Report Bot",
      "Onboarding Concierge",
    ]);
    expect(all.total).toBe(5);
    const paused = await call<Page<Entity>>("list_workers", { status: "paused" });
    expect(paused.items.map((worker) => [worker.name, worker.status])).toEqual([
      ["Invoice Reconciler", "paused"],
    ]);

    const triageRole = await entityNamed("role", "Triage analyst");
    const holders = await call<Page<Entity>>("list_workers", { role_id: triageRole.id });
    expect(holders.items.map((worker) => worker.name)).toEqual(["Backlog Triage"]);

    const stack = await entityNamed("model_stack", "GPT-4.1 document review");
    const onStack = await call<Page<Entity>>("list_workers", { model_stack_id: stack.id });
    expect(onStack.items.map((worker) => worker.name)).toEqual(["Compliance Auditor"]);

    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 5; page += 1) {
      const result: Page<Entity> = await call("list_workers", { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...result.items.map((worker) => worker.name));
      if (!result.next_cursor) break;
      cursor = result.next_cursor;
    }
    expect(seen).toEqual(all.items.map((worker) => worker.name));
  });

  it("gets a worker with its roles, MCP tools and guardrails", async () => {
    const triage = await workerNamed("Backlog Triage");
    const got = await call<{ kind: string; entity: Entity }>("get_wrm_entity", {
      kind: "worker",
      entity_id: triage.id,
    });
    expect(got.kind).toBe("worker");
    expect(got.entity).toMatchObject({
      name: "Backlog Triage",
      status: "active",
      roles: [{ name: "Triage analyst" }],
      guardrails: [{ name: "Confirm before writes" }, { name: "Prompt injection screen" }],
    });
    expect((got.entity.mcp_tools as Entity[]).map((tool) => tool.name)).toEqual([
      "GitHub/search_issues",
      "Raytio/create_work_item",
      "Raytio/list_work_items",
    ]);
    const stack = await call<{ entity: Entity }>("get_wrm_entity", {
      kind: "model_stack",
      entity_id: got.entity.model_stack_id,
    });
    expect(stack.entity).toMatchObject({
      name: "Claude Haiku fast triage",
      provider: "anthropic",
      model: "claude-haiku-4-5",
      parameters: { temperature: 0, max_tokens: 2048 },
      fallbacks: [{ provider: "anthropic", model: "claude-sonnet-4-5" }],
    });
  });
});

describe("configuration entities", () => {
  it("lists every kind, with kind-specific filters", async () => {
    const totals: Record<string, number | null> = {};
    for (const kind of ["model_stack", "mcp_server", "mcp_tool", "role", "guardrail", "eval_scorer"]) {
      totals[kind] = (await call<Page<Entity>>("list_wrm_entities", { kind })).total;
    }
    expect(totals).toEqual({
      model_stack: 4,
      mcp_server: 4,
      mcp_tool: 13,
      role: 4,
      guardrail: 4,
      eval_scorer: 4,
    });

    const github = await entityNamed("mcp_server", "GitHub");
    expect(github).toMatchObject({
      transport: "http",
      endpoint: "https://api.githubcopilot.com/mcp/",
      enabled: true,
    });
    const tools = await call<Page<Entity>>("list_wrm_entities", {
      kind: "mcp_tool",
      mcp_server_id: github.id,
    });
    expect(tools.items.map((tool) => [tool.name, tool.read_only, tool.enabled])).toEqual([
      ["create_issue", false, true],
      ["create_pull_request", false, false],
      ["get_file_contents", true, true],
      ["search_issues", true, true],
    ]);
    const disabled = await call<Page<Entity>>("list_wrm_entities", { kind: "mcp_tool", enabled: false });
    expect(disabled.items.map((tool) => tool.name)).toEqual([
      "create_pull_request",
      "export_kpi_pack",
      "write_file",
    ]);
    const blocking = await call<Page<Entity>>("list_wrm_entities", { kind: "guardrail", text: "never" });
    expect(blocking.items.map((item) => [item.name, item.scope, item.severity])).toEqual([
      ["No personal data in outputs", "output", "block"],
      ["Prompt injection screen", "input", "block"],
    ]);
    expect(await failure("list_wrm_entities", { kind: "role", mcp_server_id: github.id })).toMatch(
      /^WRM_VALIDATION: mcp_server_id filters only kind mcp_tool/,
    );
    expect(await failure("list_wrm_entities", { kind: "role", enabled: true })).toMatch(
      /^WRM_VALIDATION: enabled/,
    );
  });

  it("gets each kind in full", async () => {
    const role = await entityNamed("role", "Compliance reviewer");
    expect(role.instructions).toBeUndefined();
    const full = await call<{ entity: Entity }>("get_wrm_entity", { kind: "role", entity_id: role.id });
    expect(full.entity.instructions).toMatch(/^For each submission, confirm the purpose/);
    const scorer = await entityNamed("eval_scorer", "Mentions work item id");
    const scorerFull = await call<{ entity: Entity }>("get_wrm_entity", {
      kind: "eval_scorer",
      entity_id: scorer.id,
    });
    expect(scorerFull.entity).toMatchObject({ scorer_kind: "regex", config: { pattern: "#\\d+" } });
    const tool = await entityNamed("mcp_tool", "write_file");
    const toolFull = await call<{ entity: Entity }>("get_wrm_entity", {
      kind: "mcp_tool",
      entity_id: tool.id,
    });
    expect(toolFull.entity).toMatchObject({ name: "write_file", read_only: false, enabled: false });
  });

  it("creates and updates every kind with save_wrm_entity", async () => {
    const stamp = Date.now();
    const save = (entity: Record<string, unknown>, id?: string) =>
      call<{ kind: string; created: boolean; entity: Entity }>("save_wrm_entity", {
        entity,
        ...(id ? { entity_id: id } : {}),
      });

    const stack = await save({
      kind: "model_stack",
      name: `Stack ${stamp}`,
      provider: "anthropic",
      model: "claude-opus-4-1",
      parameters: { temperature: 0.5 },
      fallbacks: [{ provider: "openai", model: "gpt-4.1" }],
    });
    expect(stack).toMatchObject({ kind: "model_stack", created: true, entity: { model: "claude-opus-4-1" } });
    const stackUpdated = await save(
      { kind: "model_stack", parameters: { temperature: 0.1 } },
      stack.entity.id,
    );
    expect(stackUpdated).toMatchObject({
      created: false,
      entity: { name: `Stack ${stamp}`, model: "claude-opus-4-1", parameters: { temperature: 0.1 } },
    });

    const worker = await save({
      kind: "worker",
      name: `Worker ${stamp}`,
      purpose: "Test",
      model_stack_id: stack.entity.id,
    });
    expect(worker.entity).toMatchObject({ status: "active", model_stack_id: stack.entity.id });
    const paused = await save({ kind: "worker", status: "paused", purpose: null }, worker.entity.id);
    expect(paused.entity).toMatchObject({ name: `Worker ${stamp}`, status: "paused", purpose: null });

    const server = await save({
      kind: "mcp_server",
      name: `Server ${stamp}`,
      transport: "http",
      endpoint: "https://mcp.example/x",
    });
    expect(server.entity).toMatchObject({ transport: "http", enabled: true });
    expect((await save({ kind: "mcp_server", enabled: false }, server.entity.id)).entity.enabled).toBe(false);

    const tool = await save({
      kind: "mcp_tool",
      mcp_server_id: server.entity.id,
      name: "do_thing",
      read_only: true,
    });
    expect(tool.entity).toMatchObject({ mcp_server_id: server.entity.id, read_only: true, enabled: true });
    expect(
      (await save({ kind: "mcp_tool", description: "Does the thing" }, tool.entity.id)).entity.description,
    ).toBe("Does the thing");

    const role = await save({ kind: "role", name: `Role ${stamp}`, instructions: "Be careful." });
    expect(
      (await save({ kind: "role", instructions: "Be very careful." }, role.entity.id)).entity.instructions,
    ).toBe("Be very careful.");

    const guardrail = await save({
      kind: "guardrail",
      name: `Guard ${stamp}`,
      rule: "No secrets",
      scope: "all",
      severity: "block",
    });
    expect((await save({ kind: "guardrail", severity: "warn" }, guardrail.entity.id)).entity).toMatchObject({
      rule: "No secrets",
      scope: "all",
      severity: "warn",
    });

    const scorer = await save({
      kind: "eval_scorer",
      name: `Scorer ${stamp}`,
      scorer_kind: "exact_match",
      config: { expected: "42" },
    });
    expect(
      (await save({ kind: "eval_scorer", config: { expected: "43" } }, scorer.entity.id)).entity,
    ).toMatchObject({
      scorer_kind: "exact_match",
      config: { expected: "43" },
    });

    const found = await call<Page<Entity>>("list_workers", { text: `Worker ${stamp}` });
    expect(found.items.map((item) => item.status)).toEqual(["paused"]);
  });

  it("refuses incomplete, duplicate and dangling saves with WRM errors", async () => {
    expect(
      await failure("save_wrm_entity", { entity: { kind: "guardrail", name: "Half a guardrail" } }),
    ).toMatch(/^WRM_VALIDATION: Creating a guardrail needs rule, scope, severity/);
    expect(await failure("save_wrm_entity", { entity: { kind: "role", name: "Triage analyst" } })).toMatch(
      /^WRM_VALIDATION: A role named "Triage analyst" already exists/,
    );
    const otherStack = await dbValue<{ id: string }>(
      "select id from api.wrm_model_stack where customer_id = 'cust_other' limit 1",
    );
    const dangling = await failure("save_wrm_entity", {
      entity: { kind: "worker", name: `Dangling ${Date.now()}`, model_stack_id: otherStack.id },
    });
    expect(dangling).toMatch(
      new RegExp(`^WRM_NOT_FOUND: model stack ${otherStack.id} was not found: .*another customer`),
    );
    const missing = "00000000-0000-4000-8000-000000000000";
    expect(
      await failure("save_wrm_entity", { entity_id: missing, entity: { kind: "role", name: "Nobody" } }),
    ).toMatch(
      /^WRM_NOT_FOUND: role 00000000-0000-4000-8000-000000000000 was not found: it may not exist, or it may belong to another customer/,
    );
    const role = await entityNamed("role", "Reconciler");
    expect(await failure("save_wrm_entity", { entity_id: role.id, entity: { kind: "role" } })).toMatch(
      /^WRM_VALIDATION: Nothing to update/,
    );
  });
});

describe("assignments", () => {
  it("assigns and unassigns roles, MCP tools and guardrails idempotently", async () => {
    const worker = await call<{ entity: Entity }>("save_wrm_entity", {
      entity: { kind: "worker", name: `Assignee ${Date.now()}` },
    });
    const workerId = worker.entity.id;
    const role = await entityNamed("role", "Compliance reviewer");
    const tool = await entityNamed("mcp_tool", "read_file");
    const guardrail = await entityNamed("guardrail", "Cite sources");
    const targets = [
      ["role", role.id],
      ["mcp_tool", tool.id],
      ["guardrail", guardrail.id],
    ] as const;
    for (const [kind, target_id] of targets) {
      const first = await call("assign_worker", { worker_id: workerId, kind, target_id, assigned: true });
      expect(first).toMatchObject({ assigned: true, changed: true });
      const again = await call("assign_worker", { worker_id: workerId, kind, target_id, assigned: true });
      expect(again).toMatchObject({ assigned: true, changed: false });
    }
    const assigned = await call<{ entity: Entity }>("get_wrm_entity", {
      kind: "worker",
      entity_id: workerId,
    });
    expect(assigned.entity).toMatchObject({
      roles: [{ id: role.id, name: "Compliance reviewer" }],
      mcp_tools: [{ id: tool.id, name: "Filesystem/read_file" }],
      guardrails: [{ id: guardrail.id, name: "Cite sources" }],
    });
    const holders = await call<Page<Entity>>("list_workers", { role_id: role.id });
    expect(holders.items.map((item) => item.id)).toContain(workerId);

    const removed = await call("assign_worker", {
      worker_id: workerId,
      kind: "mcp_tool",
      target_id: tool.id,
      assigned: false,
    });
    expect(removed).toMatchObject({ changed: true });
    const removedAgain = await call("assign_worker", {
      worker_id: workerId,
      kind: "mcp_tool",
      target_id: tool.id,
      assigned: false,
    });
    expect(removedAgain).toMatchObject({ changed: false });
    const after = await call<{ entity: Entity }>("get_wrm_entity", { kind: "worker", entity_id: workerId });
    expect(after.entity.mcp_tools).toEqual([]);
    expect(after.entity.roles).toHaveLength(1);

    const otherRole = await dbValue<{ id: string }>(
      "select id from api.wrm_role where customer_id = 'cust_other' limit 1",
    );
    expect(
      await failure("assign_worker", {
        worker_id: workerId,
        kind: "role",
        target_id: otherRole.id,
        assigned: true,
      }),
    ).toMatch(new RegExp(`^WRM_NOT_FOUND: role ${otherRole.id} was not found`));
    const missing = "00000000-0000-4000-8000-00000000beef";
    expect(
      await failure("assign_worker", {
        worker_id: missing,
        kind: "guardrail",
        target_id: guardrail.id,
        assigned: false,
      }),
    ).toMatch(new RegExp(`^WRM_NOT_FOUND: worker ${missing} was not found`));
  });
});

describe("role memories", () => {
  it("lists a role's memories newest first, fenced as untrusted, with provenance", async () => {
    const role = await entityNamed("role", "Triage analyst");
    const result = await admin.call("list_role_memories", { role_id: role.id });
    const page =
      structured<Page<{ kind: string; content: string; source_run_id: string | null; created_by: string }>>(
        result,
      );
    expect(page.total).toBe(8);
    expect(page.items[0]?.content).toBe(
      "Blocked items get a comment naming the blocker before any priority change.",
    );
    expect(page.items.filter((memory) => memory.source_run_id !== null)).toHaveLength(6);
    expect(textOf(result)).toMatch(/<untrusted-data-[0-9a-f-]+>/);
    const lessons = await call<Page<{ kind: string }>>("list_role_memories", {
      role_id: role.id,
      kind: "lesson",
    });
    expect(lessons.items.map((memory) => memory.kind)).toEqual(["lesson", "lesson"]);
    const injected = await call<Page<{ content: string }>>("list_role_memories", {
      role_id: role.id,
      text: "IGNORE ALL",
    });
    expect(injected.total).toBe(1);
  });

  it("adds a memory with provenance and refuses another customer's role", async () => {
    const role = await entityNamed("role", "Onboarding guide");
    const runs = await call<Page<Run>>("list_agent_runs", { status: ["succeeded"], limit: 1 });
    const runId = runs.items[0]?.id;
    const added = await call<{
      memory: { id: string; kind: string; source_run_id: string; created_by: string };
    }>("add_role_memory", {
      role_id: role.id,
      kind: "procedure",
      content: "Follow up after two working days.",
      source_run_id: runId,
    });
    expect(added.memory).toMatchObject({
      kind: "procedure",
      source_run_id: runId,
      created_by: "5b1f7e2a-0000-4000-8000-000000000007",
    });
    const listed = await call<Page<{ id: string; content: string }>>("list_role_memories", {
      role_id: role.id,
    });
    expect(listed.items[0]).toEqual(
      expect.objectContaining({ id: added.memory.id, content: "Follow up after two working days." }),
    );

    const otherRole = await dbValue<{ id: string }>(
      "select id from api.wrm_role where customer_id = 'cust_other' limit 1",
    );
    expect(
      await failure("add_role_memory", { role_id: otherRole.id, kind: "fact", content: "Sneaky" }),
    ).toMatch(new RegExp(`^WRM_NOT_FOUND: role ${otherRole.id} was not found`));
    const hidden = await call<Page<unknown>>("list_role_memories", { role_id: otherRole.id });
    expect(hidden).toMatchObject({ items: [], total: 0 });
  });
});

describe("agent runs", () => {
  it("records a full run: start, 20 steps, artifacts, finish, and reads it back in order", async () => {
    const worker = await workerNamed("Compliance Auditor");
    const workItem = await dbValue<{ id: string }>(
      "select id from api.ppm_work_item where customer_id = 'cust_demo' order by created_at limit 1",
    );
    const started = await call<{ run: Run }>("start_agent_run", {
      worker_id: worker.id,
      goal: "Lifecycle test run",
      work_item_id: workItem.id,
    });
    expect(started.run).toMatchObject({
      status: "running",
      step_count: 0,
      ended_at: null,
      work_item_id: workItem.id,
    });
    const runId = started.run.id;

    for (let index = 1; index <= 10; index += 1) {
      const step = await call<{ step: { seq: number; kind: string; run_id: string } }>("append_run_step", {
        run_id: runId,
        kind: index % 2 === 0 ? "tool_call" : "model_call",
        ...(index % 2 === 0 ? { tool_name: "read_file" } : {}),
        input: `input ${index}`,
        output: `output ${index}`,
      });
      expect(step.step).toMatchObject({ seq: index, run_id: runId });
    }
    // Ten more at once: the database numbers them 11-20 with no gap and no duplicate.
    const concurrent = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        call<{ step: { seq: number } }>("append_run_step", {
          run_id: runId,
          kind: "message",
          output: `concurrent ${index}`,
        }),
      ),
    );
    expect(concurrent.map((result) => result.step.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 10 }, (_, index) => index + 11),
    );

    const attached = [
      await call<{ artifact: Artifact }>("attach_run_artifact", {
        run_id: runId,
        name: "findings.md",
        media_type: "text/markdown",
        content: "# Findings\n\nAll good.",
        step_seq: 20,
      }),
      await call<{ artifact: Artifact }>("attach_run_artifact", {
        run_id: runId,
        name: "evidence.pdf",
        media_type: "application/pdf",
        uri: "s3://bucket/evidence.pdf",
        step_seq: 2,
      }),
      await call<{ artifact: Artifact }>("attach_run_artifact", {
        run_id: runId,
        name: "notes.txt",
        media_type: "text/plain",
        content: "ünïcødé notes",
      }),
    ];
    expect(attached.map((result) => [result.artifact.seq, result.artifact.size_bytes])).toEqual([
      [1, 21],
      [2, null],
      [3, 17],
    ]);
    expect(
      await failure("attach_run_artifact", {
        run_id: runId,
        name: "x",
        media_type: "text/plain",
        content: "a",
        uri: "s3://b/c",
      }),
    ).toMatch(/^WRM_VALIDATION: Give exactly one of content/);
    // A bad media type is explained in words a model can act on, never as the raw pattern.
    const badMediaType = await failure("attach_run_artifact", {
      run_id: runId,
      name: "x",
      media_type: "Markdown text",
      content: "a",
    });
    expect(badMediaType).toContain("media_type");
    expect(badMediaType).toContain("must be a media type: type/subtype in lower case, such as text/markdown");
    expect(badMediaType).not.toMatch(/\[a-z0-9\]|\^|\$\//);
    expect(
      await failure("attach_run_artifact", {
        run_id: runId,
        name: "x",
        media_type: "text/plain",
        content: "a",
        step_seq: 99,
      }),
    ).toMatch(new RegExp(`^WRM_NOT_FOUND: step 99 of agent run ${runId} was not found`));
    expect(await failure("append_run_step", { run_id: runId, kind: "tool_call" })).toMatch(
      /^WRM_VALIDATION: A tool_call step needs tool_name/,
    );

    const finished = await call<{ run: Run }>("finish_agent_run", {
      run_id: runId,
      status: "succeeded",
      cost_usd: 0.1234,
      input_tokens: 12000,
      output_tokens: 3400,
    });
    expect(finished.run).toMatchObject({
      status: "succeeded",
      step_count: 20,
      artifact_count: 3,
      cost_usd: 0.1234,
      input_tokens: 12000,
    });
    expect(Date.parse(finished.run.ended_at ?? "")).toBeGreaterThanOrEqual(
      Date.parse(finished.run.started_at),
    );

    const read = await call<RunPage>("get_agent_run", { run_id: runId });
    expect(read.steps.map((step) => step.seq)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
    expect(read.steps.slice(0, 10).map((step) => step.output)).toEqual(
      Array.from({ length: 10 }, (_, index) => `output ${index + 1}`),
    );
    expect(read.steps[1]).toMatchObject({ kind: "tool_call", tool_name: "read_file", input: "input 2" });
    expect(read.artifacts.map((artifact) => [artifact.seq, artifact.name, artifact.step_seq])).toEqual([
      [1, "findings.md", 20],
      [2, "evidence.pdf", 2],
      [3, "notes.txt", null],
    ]);
    expect(read.artifacts[1]).toMatchObject({ uri: "s3://bucket/evidence.pdf", content: null });
    expect(read).toMatchObject({ next_from_step: null, next_from_artifact: null, truncated: false });

    const listed = await call<Page<Run>>("list_agent_runs", { worker_id: worker.id, limit: 1 });
    expect(listed.items[0]).toMatchObject({
      id: runId,
      status: "succeeded",
      step_count: 20,
      goal: "Lifecycle test run",
    });
    const byItem = await call<Page<Run>>("list_agent_runs", { work_item_id: workItem.id });
    expect(byItem.items.map((run) => run.id)).toContain(runId);

    // A finished run is closed: the tools say so, and the database refuses any other path too.
    expect(await failure("append_run_step", { run_id: runId, kind: "message", output: "late" })).toMatch(
      /^WRM_VALIDATION: .*agent run \S+ is finished \(succeeded\): a finished run accepts no more steps or artifacts/,
    );
    expect(
      await failure("attach_run_artifact", {
        run_id: runId,
        name: "late.txt",
        media_type: "text/plain",
        content: "late",
      }),
    ).toMatch(/^WRM_VALIDATION: .*is finished \(succeeded\)/);
    expect(await failure("finish_agent_run", { run_id: runId, status: "failed" })).toMatch(
      /^WRM_VALIDATION: .*is already finished \(succeeded\)/,
    );
    await expect(
      sandbox.db.query(
        "insert into api.wrm_run_step (customer_id, run_id, kind) values ('cust_demo', $1, 'MESSAGE')",
        [runId],
      ),
    ).rejects.toThrow(/is finished \(succeeded\)/);
    const after = await dbValue<{ step_count: number; status: string }>(
      "select step_count, status from api.wrm_agent_run where id = $1",
      [runId],
    );
    expect(after).toEqual({ step_count: 20, status: "SUCCEEDED" });
  });

  it("refuses to start a run for a paused worker or a hidden work item", async () => {
    const paused = await workerNamed("Invoice Reconciler");
    expect(await failure("start_agent_run", { worker_id: paused.id })).toMatch(
      /^WRM_VALIDATION: .*only an active worker can start a run/,
    );
    const active = await workerNamed("Backlog Triage");
    const otherItem = await dbValue<{ id: string }>(
      "select id from api.ppm_work_item where customer_id = 'cust_other' limit 1",
    );
    expect(await failure("start_agent_run", { worker_id: active.id, work_item_id: otherItem.id })).toMatch(
      new RegExp(`^WRM_NOT_FOUND: work item ${otherItem.id} was not found: .*another customer`),
    );
  });

  it("pages through a large run, every step and artifact exactly once and in order", async () => {
    const triage = await workerNamed("Backlog Triage");
    const runs = await call<Page<Run>>("list_agent_runs", { worker_id: triage.id, limit: 100 });
    const large = runs.items.find((run) => run.goal === LARGE_RUN_GOAL);
    expect(large).toMatchObject({ step_count: LARGE_RUN_STEPS, artifact_count: LARGE_RUN_ARTIFACTS });
    const runId = large?.id ?? "";

    const first = await admin.call("get_agent_run", { run_id: runId });
    const firstPage = structured<RunPage>(first);
    expect(firstPage).toMatchObject({ truncated: true, next_from_step: 51 });
    expect(firstPage.steps).toHaveLength(50);
    expect(textOf(first)).toContain("call again with from_step=51");
    expect(textOf(first)).toMatch(/<untrusted-data-[0-9a-f-]+>/);

    const steps: Step[] = [];
    const artifacts: Artifact[] = [];
    let fromStep: number | null = 1;
    let fromArtifact: number | null = 1;
    for (let call = 0; call < 20 && (fromStep !== null || fromArtifact !== null); call += 1) {
      const page: RunPage = structured(
        await admin.call("get_agent_run", {
          run_id: runId,
          from_step: fromStep ?? LARGE_RUN_STEPS + 1,
          step_limit: fromStep === null ? 0 : 100,
          from_artifact: fromArtifact ?? LARGE_RUN_ARTIFACTS + 1,
          artifact_limit: fromArtifact === null ? 0 : 5,
        }),
      );
      steps.push(...page.steps);
      artifacts.push(...page.artifacts);
      fromStep = page.next_from_step;
      fromArtifact = page.next_from_artifact;
    }
    expect(steps.map((step) => step.seq)).toEqual(
      Array.from({ length: LARGE_RUN_STEPS }, (_, index) => index + 1),
    );
    for (const step of steps.slice(1)) expect(step.output).toMatch(new RegExp(`^Sweep step ${step.seq}: `));
    expect(artifacts.map((artifact) => artifact.seq)).toEqual(
      Array.from({ length: LARGE_RUN_ARTIFACTS }, (_, index) => index + 1),
    );
    // The big report is cut at max_chars, and says by how much.
    expect(artifacts[0]?.content).toMatch(/… \[truncated \d+ chars\]$/);
    expect(artifacts[0]?.content?.length).toBeLessThan(2100);
    const whole = await call<RunPage>("get_agent_run", {
      run_id: runId,
      step_limit: 0,
      artifact_limit: 1,
      max_chars: 20_000,
    });
    expect(whole.artifacts[0]?.content?.length).toBeGreaterThan(10_000);
    expect(whole.clipped_texts).toBe(whole.artifacts[0]?.content?.endsWith("chars]") ? 1 : 0);
  });

  it("cuts pages to the response budget and still continues exactly after the last step shown", async () => {
    const small = await connect("worker_admin", { RAYTIO_MAX_RESPONSE_TOKENS: "2000" });
    const runs = await call<Page<Run>>("list_agent_runs", { limit: 100 }, small);
    const runId = runs.items.find((run) => run.goal === LARGE_RUN_GOAL)?.id;
    const seqs: number[] = [];
    let from: number | null = 1;
    let calls = 0;
    while (from !== null && calls < 100) {
      const page: RunPage = await call(
        "get_agent_run",
        { run_id: runId, from_step: from, step_limit: 100, artifact_limit: 0 },
        small,
      );
      expect(page.steps.length).toBeLessThan(100);
      seqs.push(...page.steps.map((step) => step.seq));
      from = page.next_from_step;
      calls += 1;
    }
    expect(calls).toBeGreaterThan(3);
    expect(seqs).toEqual(Array.from({ length: LARGE_RUN_STEPS }, (_, index) => index + 1));
  });
});

describe("customer isolation", () => {
  it("hides another customer's workforce: invisible in lists, WRM_NOT_FOUND by id", async () => {
    const other = await connect("other_customer");
    const theirWorkers = await call<Page<Entity>>("list_workers", {}, other);
    expect(theirWorkers.items.map((worker) => worker.name)).toEqual(["Other customer worker"]);
    const theirWorkerId = theirWorkers.items[0]?.id ?? "";
    const theirRuns = await call<Page<Run>>("list_agent_runs", {}, other);
    expect(theirRuns.items.map((run) => run.goal)).toEqual(["Other customer confidential run"]);
    const theirRunId = theirRuns.items[0]?.id ?? "";

    const mine = await call<Page<Entity>>("list_workers", { text: "Other customer" });
    expect(mine).toMatchObject({ items: [], total: 0 });
    const hidden = await failure("get_wrm_entity", { kind: "worker", entity_id: theirWorkerId });
    expect(hidden.split("\n")[0]).toBe(
      `WRM_NOT_FOUND: worker ${theirWorkerId} was not found: it may not exist, or it may belong to another customer (row-level security hides other customers' records).`,
    );
    expect(await failure("get_agent_run", { run_id: theirRunId })).toMatch(
      /^WRM_NOT_FOUND: agent run .* another customer/,
    );
    expect(await failure("append_run_step", { run_id: theirRunId, kind: "message", output: "x" })).toMatch(
      new RegExp(`^WRM_NOT_FOUND: agent run ${theirRunId} was not found`),
    );
    expect(await failure("start_agent_run", { worker_id: theirWorkerId })).toMatch(
      new RegExp(`^WRM_NOT_FOUND: worker ${theirWorkerId} was not found`),
    );
    expect(
      await failure("save_wrm_entity", {
        entity_id: theirWorkerId,
        entity: { kind: "worker", status: "retired" },
      }),
    ).toMatch(/^WRM_NOT_FOUND/);
    const mineRuns = await call<Page<Run>>("list_agent_runs", { limit: 100 });
    expect(mineRuns.items.map((run) => run.id)).not.toContain(theirRunId);
    const untouched = await dbValue<{ status: string }>("select status from api.wrm_worker where id = $1", [
      theirWorkerId,
    ]);
    expect(untouched.status).toBe("ACTIVE");
  });
});
