import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { defOf } from "../zod-def.js";
import { TOOLS } from "./registry.js";

/**
 * The one rule for id arguments (AGENTS.md, "Adding a tool"), checked over the whole registry: a model
 * that has seen `work_item_id` in one tool must not pay a refused call to learn that another says `id`.
 */

/** Each kind of record an id argument points to; the argument is `<record>_id`. */
const RECORDS = new Set([
  "access_application",
  "submission",
  "work_item",
  "party",
  "relationship",
  "run",
  "worker",
  "role",
  "model_stack",
  "mcp_server",
  "mcp_tool",
  // WRM's generic tools: their `kind` argument says which kind of record.
  "entity",
]);

/** A prefix saying a record's part in the call: `assignee_party_id`, `source_run_id`. */
const ROLES = ["assignee", "from", "to", "related_to", "source"];

/** References named after their part alone, as the records that hold them name them. */
const PART_ONLY = new Map([
  ["parent_id", "the parent work item, a work item's own parent_id field"],
  ["target_id", "what assign_worker assigns, of the kind its kind argument names"],
]);

/** The record a `<verb>_<noun>` tool acts on, where the noun is not the record's own name. */
const RECORD_OF_NOUN: Record<string, string> = {
  agent_run: "run",
  wrm_entity: "entity",
  submission_status: "submission",
};

const UUID = "6f1c1a52-3e0b-4c1d-9a47-0d2f5b8e9c11";

function unwrap(schema: z.ZodType): z.ZodType {
  let node = schema;
  for (let def = defOf(node); def.innerType; def = defOf(node)) node = def.innerType;
  return node;
}

/** Every argument, nested ones included (save_wrm_entity's entity), with whether it takes only ids. */
function argumentsOf(schema: z.ZodType, path = ""): Array<{ path: string; name: string; isId: boolean }> {
  const node = unwrap(schema);
  const def = defOf(node);
  if (def.type === "union") return (def.options ?? []).flatMap((option) => argumentsOf(option, path));
  if (def.type === "array" && def.element) return argumentsOf(def.element, `${path}[]`);
  if (def.type !== "object") return [];
  return Object.entries(def.shape ?? {}).flatMap(([name, field]) => {
    const value = unwrap(field);
    const isId = value.safeParse(UUID).success && !value.safeParse("not-an-id").success;
    const here = path ? `${path}.${name}` : name;
    return [{ path: here, name, isId }, ...argumentsOf(field, here)];
  });
}

function followsRule(name: string): boolean {
  if (PART_ONLY.has(name)) return true;
  if (!name.endsWith("_id")) return false;
  const base = name.slice(0, -3);
  if (RECORDS.has(base)) return true;
  return ROLES.some((role) => base.startsWith(`${role}_`) && RECORDS.has(base.slice(role.length + 1)));
}

describe("id arguments, in every tool", () => {
  const all = TOOLS.flatMap((tool) =>
    argumentsOf(tool.inputSchema).map((argument) => ({ tool: tool.name, ...argument })),
  );

  it("are named <record>_id, or <part>_<record>_id; never a bare id", () => {
    const ids = all.filter(
      (argument) => argument.isId || argument.name === "id" || argument.name.endsWith("_id"),
    );
    expect(ids.length).toBeGreaterThan(20);
    expect(ids.filter((argument) => !followsRule(argument.name)).map((a) => `${a.tool}: ${a.path}`)).toEqual(
      [],
    );
  });

  it("take ids, and only arguments named so take ids", () => {
    expect(
      all
        .filter((argument) => argument.isId !== followsRule(argument.name))
        .map((a) => `${a.tool}: ${a.path}`),
    ).toEqual([]);
  });

  it("name the record a get_/update_/transition_/finish_ tool acts on as every other tool does", () => {
    const wrong: string[] = [];
    for (const tool of TOOLS) {
      const match = /^(?:get|update|transition|finish)_(.+)$/.exec(tool.name);
      if (!match?.[1]) continue;
      const record = RECORD_OF_NOUN[match[1]] ?? match[1];
      const expected = `${record}_id`;
      if (!RECORDS.has(record)) wrong.push(`${tool.name}: ${record} is not a known record (RECORDS)`);
      else if (!(expected in tool.inputSchema.shape)) wrong.push(`${tool.name}: takes no ${expected}`);
    }
    expect(wrong).toEqual([]);
  });

  it("keep the names v1.17's README documents", () => {
    const takes = (tool: string, name: string) =>
      name in (TOOLS.find((candidate) => candidate.name === tool)?.inputSchema.shape ?? {});
    expect(takes("create_form", "access_application_id")).toBe(true);
    expect(takes("send_request", "access_application_id")).toBe(true);
    expect(takes("send_request", "short_link_key")).toBe(true);
    expect(takes("poll_and_retrieve", "request_short_code")).toBe(true);
  });
});
