import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import { type ConnectedServer, serverPool, startTestSandbox, structured, textOf } from "./support/harness.js";

/**
 * Issue 12: a model cannot misuse a tool by accident. Argument mistakes come back as VALIDATION
 * results it can correct, unknown arguments are refused with a pointer to the tool that takes them,
 * texts point only to exposed tools, and a wrong encryption password is refused before anything exists.
 */
let sandbox: Sandbox;
const pool = serverPool(() => sandbox);
const ALL_DOMAINS = { RAYTIO_TOOL_DOMAINS: "dsm,ppm,prm,wrm" };

beforeAll(async () => {
  sandbox = await startTestSandbox();
});

afterAll(async () => {
  await pool.closeAll();
  await sandbox.stop();
});

async function createWorkItem(
  server: ConnectedServer,
  title: string,
): Promise<{ id: string; status: string }> {
  const result = await server.call("create_work_item", { title });
  return structured<{ work_item: { id: string; status: string } }>(result).work_item;
}

/** A value of a different JSON type than every type the field accepts. */
function wrongTypedValue(schema: JsonSchema): unknown {
  const accepted = new Set(
    [schema, ...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].flatMap((branch) =>
      branch.type === undefined ? [] : Array.isArray(branch.type) ? branch.type : [branch.type],
    ),
  );
  if (accepted.has("integer")) accepted.add("number");
  const candidates: Array<[string, unknown]> = [
    ["object", { wrong: true }],
    ["boolean", true],
    ["array", [1]],
    ["string", "wrong"],
    ["number", 7],
  ];
  const pick = candidates.find(([type]) => !accepted.has(type));
  if (!pick) throw new Error(`no wrong type for ${JSON.stringify(schema)}`);
  return pick[1];
}

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
}

/** Every object schema inside `schema`, with where it sits. */
function objectSchemas(schema: JsonSchema, where: string): Array<[string, JsonSchema]> {
  const found: Array<[string, JsonSchema]> = schema.properties ? [[where, schema]] : [];
  for (const [name, child] of Object.entries(schema.properties ?? {}))
    found.push(...objectSchemas(child, `${where}.${name}`));
  for (const branch of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])])
    found.push(...objectSchemas(branch, where));
  if (schema.items) found.push(...objectSchemas(schema.items, `${where}[]`));
  return found;
}

describe("every tool, from its published schema", () => {
  it("refuses an unknown key and names a wrong-typed field, before doing anything", async () => {
    const server = await pool.connect("agent", ALL_DOMAINS);
    const tools = (await server.client.listTools()).tools;
    expect(tools.length).toBeGreaterThan(30);
    for (const tool of tools) {
      const input = tool.inputSchema as JsonSchema;
      for (const [where, object] of objectSchemas(input, tool.name)) {
        expect(object.additionalProperties, `${where} refuses unknown keys`).toBe(false);
      }
      const unknown = await server.call(tool.name, { zz_not_an_argument: 1 });
      expect(unknown.isError, tool.name).toBe(true);
      expect(textOf(unknown), tool.name).toMatch(
        new RegExp(`^VALIDATION: ${tool.name} does not take the argument "zz_not_an_argument"`),
      );
      for (const [field, schema] of Object.entries(input.properties ?? {})) {
        const result = await server.call(tool.name, { [field]: wrongTypedValue(schema) });
        expect(result.isError, `${tool.name}.${field}`).toBe(true);
        const text = textOf(result);
        expect(text, `${tool.name}.${field}`).toMatch(/^VALIDATION: /);
        expect(text, `${tool.name}.${field}`).toMatch(new RegExp(`\\b${field}(\\.|\\[|\\b).* must be `));
      }
    }
  });
});

describe("unknown arguments", () => {
  it("refuses status on update_work_item, points to transition_work_item, and changes nothing", async () => {
    const server = await pool.connect("project_user");
    const item = await createWorkItem(server, "Issue 12: unknown key refused");
    const result = await server.call("update_work_item", {
      work_item_id: item.id,
      title: "x",
      status: "done",
    });
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text).toMatch(/^VALIDATION: update_work_item does not take the argument "status"/);
    expect(text).toContain("use transition_work_item with an intent");
    const after = structured<{ work_item: { title: string; status: string } }>(
      await server.call("get_work_item", { work_item_id: item.id }),
    );
    expect(after.work_item).toMatchObject({ title: "Issue 12: unknown key refused", status: "new" });
  });

  it("names every unknown key and leaves out the pointer when that tool is not exposed", async () => {
    const server = await pool.connect("project_user", { RAYTIO_EXCLUDE_TOOLS: "transition_work_item" });
    const result = await server.call("update_work_item", {
      work_item_id: "00000000-0000-4000-8000-000000000000",
      status: "done",
      colour: "red",
    });
    const text = textOf(result);
    expect(text).toMatch(/^VALIDATION: update_work_item does not take the arguments "status", "colour"/);
    expect(text).not.toContain("transition_work_item");
  });

  it("refuses an unknown key inside a nested object too", async () => {
    const server = await pool.connect("agent", ALL_DOMAINS);
    const result = await server.call("save_wrm_entity", {
      entity: { kind: "role", name: "R", colour: "red" },
    });
    expect(textOf(result)).toMatch(/^VALIDATION: entity does not take "colour"/);
  });
});

describe("argument errors are VALIDATION results", () => {
  it("names the field, what it must be and what it got, in one sentence", async () => {
    const server = await pool.connect("project_user");
    const result = await server.call("list_work_items", { limit: "ten" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^VALIDATION: limit must be a number; received "ten" \(3 characters\)\./);
  });

  it("reports a wrong status value without noise from the list form of the union", async () => {
    const server = await pool.connect("project_user");
    const text = textOf(await server.call("list_work_items", { status: "finished" }));
    expect(text).toMatch(/^VALIDATION: status must be one of new, in_progress, .*; received "finished"/);
    expect(text).not.toMatch(/list|array|Too big|characters at/i);
    const inList = textOf(await server.call("list_work_items", { status: ["done", "finished"] }));
    expect(inList).toMatch(/^VALIDATION: status\[1\] must be one of new, .*; received "finished"/);
  });

  it("says which tool finds an id when a name is given instead, only when that tool is exposed", async () => {
    const withPrm = await pool.connect("agent", ALL_DOMAINS);
    const named = textOf(
      await withPrm.call("relate_parties", {
        from_party_id: "Aroha Ngata",
        kind: "employee_of",
        to_party_id: "00000000-0000-4000-8000-000000000000",
      }),
    );
    expect(named).toMatch(/^VALIDATION: from_party_id must be the party's id \(a UUID\), not its name/);
    expect(named).toContain("find the id with search_parties");

    const withoutPrm = await pool.connect("project_user");
    const text = textOf(await withoutPrm.call("create_work_item", { title: "x", assignee_party_id: "Acme" }));
    expect(text).toMatch(/^VALIDATION: assignee_party_id must be the party's id \(a UUID\), not its name/);
    expect(text).not.toContain("search_parties");
  });
});

describe("status filters take one value or a list", () => {
  it.each([
    ["list_work_items", "project_user", "done", ["done", "cancelled"]],
    ["list_agent_runs", "worker_admin", "succeeded", ["succeeded", "failed"]],
    ["list_workers", "worker_admin", "active", ["active", "paused"]],
    ["list_submissions", "data_sharing_admin", "submitted", ["submitted", "accepted"]],
    ["list_requests", "data_sharing_admin", "pending", ["pending", "expired"]],
  ])("%s", async (tool, account, one, many) => {
    const server = await pool.connect(account);
    const single = structured<{ items: Array<{ status: string }> }>(
      await server.call(tool, { status: one, limit: 100 }),
    );
    expect(single.items.length).toBeGreaterThan(0);
    expect(single.items.every((item) => item.status === one)).toBe(true);
    const list = structured<{ items: Array<{ status: string }> }>(
      await server.call(tool, { status: many, limit: 100 }),
    );
    expect(list.items.every((item) => many.includes(item.status))).toBe(true);
    expect(list.items.length).toBeGreaterThanOrEqual(single.items.length);
    const published = (await server.client.listTools()).tools.find((entry) => entry.name === tool);
    const status = published?.inputSchema.properties?.status as { anyOf?: Array<{ type?: string }> };
    expect(status.anyOf?.map((branch) => branch.type)).toEqual(["string", "array"]);
  });
});

describe("tools refer only to what is exposed", () => {
  const TOOL_NAME = /\b[a-z]+(?:_[a-z]+)+\b/g;

  it("lists no pointer to a hidden tool in any description, and keeps them when exposed", async () => {
    const ppmOnly = await pool.connect("project_user");
    const listed = (await ppmOnly.client.listTools()).tools;
    const names = new Set(listed.map((tool) => tool.name));
    const everyTool = new Set(
      (await (await pool.connect("agent", ALL_DOMAINS)).client.listTools()).tools.map((tool) => tool.name),
    );
    const mentioned = (JSON.stringify(listed).match(TOOL_NAME) ?? []).filter((word) => everyTool.has(word));
    expect(mentioned.filter((name) => !names.has(name))).toEqual([]);
    expect(JSON.stringify(listed)).not.toContain("search_parties");

    const withPrm = await pool.connect("project_user", { RAYTIO_TOOL_DOMAINS: "ppm,prm" });
    expect(JSON.stringify((await withPrm.client.listTools()).tools)).toContain("search_parties");
  });

  it("takes a hidden tool out of messages too", async () => {
    const server = await pool.connect("project_user");
    const text = textOf(
      await server.call("create_work_item", {
        title: "x",
        assignee_party_id: "00000000-0000-4000-8000-000000000000",
      }),
    );
    expect(text).toMatch(/^PPM_VALIDATION: assignee_party_id .* is not a party this account can see\./);
    expect(text).not.toContain("search_parties");
  });

  it("answers a call to an existing but hidden tool with TOOL_NOT_EXPOSED and the setting to change", async () => {
    const byRoles = await pool.connect("project_user");
    const result = await byRoles.call("search_parties", { name: "Acme" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(
      /^TOOL_NOT_EXPOSED: search_parties exists but this server does not expose it: .*roles grant ppm.*RAYTIO_TOOL_DOMAINS=ppm,prm/,
    );

    const readOnly = await pool.connect("project_user", { RAYTIO_READ_ONLY: "true" });
    expect(textOf(await readOnly.call("create_work_item", { title: "x" }))).toMatch(
      /^TOOL_NOT_EXPOSED: create_work_item .*RAYTIO_READ_ONLY/,
    );
    const excluded = await pool.connect("project_user", { RAYTIO_EXCLUDE_TOOLS: "get_work_item" });
    expect(textOf(await excluded.call("get_work_item", { work_item_id: "x" }))).toMatch(
      /^TOOL_NOT_EXPOSED: get_work_item .*RAYTIO_EXCLUDE_TOOLS/,
    );
  });
});

describe("credentials are proven before they waste a person's time", () => {
  it("refuses a DSM write with a wrong encryption password before creating anything", async () => {
    const server = await pool.connect("data_sharing_admin", {
      RAYTIO_AGENT_ENCRYPTION_PASSWORD: "not the sandbox encryption passphrase",
    });
    const name = "Issue 12: never created";
    const result = await server.call("create_access_application", { name, schemas: ["ss_Person_Name"] });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^DECRYPTION_FAILED: User key: .*RAYTIO_AGENT_ENCRYPTION_PASSWORD/);
    const listed = structured<{ items: unknown[] }>(await server.call("list_access_applications", { name }));
    expect(listed.items).toEqual([]);
  });

  it("tells the client over MCP logging when sign-in fails at start", async () => {
    const server = await pool.connect("project_user", {
      RAYTIO_AGENT_PASSWORD: "not-the-password",
      RAYTIO_TOOL_DOMAINS: "ppm",
    });
    const messages: string[] = [];
    const logged = new Promise<void>((resolve) => {
      server.client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
        messages.push(String(notification.params.data));
        resolve();
      });
    });
    // With static domains the sign-in starts once the first tool list is served.
    await server.client.listTools();
    await logged;
    expect(messages[0]).toMatch(/^Sign-in to Raytio failed, so every tool call will fail/);
    expect(messages.join("\n")).not.toContain("not-the-password");
  });
});
