import { describe, expect, it } from "vitest";
import { schemaWithoutHiddenMentions, withoutHiddenMentions } from "./mentions.js";

const hidden = new Set(["search_parties", "create_form", "get_agent_run"]);

describe("withoutHiddenMentions", () => {
  it("leaves a text alone when nothing is hidden or nothing hidden is named", () => {
    const text = "Create a work item (find it with search_parties).";
    expect(withoutHiddenMentions(text, new Set())).toBe(text);
    expect(withoutHiddenMentions("List work items; see list_work_items.", hidden)).toBe(
      "List work items; see list_work_items.",
    );
  });

  it.each([
    ["Party to assign (find it with search_parties)", "Party to assign"],
    ["Call list_schemas first; then create_form.", "Call list_schemas first."],
    ["List runs, newest first. get_agent_run reads one run's steps. Done.", "List runs, newest first. Done."],
    [
      "Find parties (e.g. employees of an organisation). Use search_parties for more.",
      "Find parties (e.g. employees of an organisation).",
    ],
    [
      'x must be the party\'s id (a UUID), not its name; find the id with search_parties; received "Acme".',
      'x must be the party\'s id (a UUID), not its name; received "Acme".',
    ],
  ])("%s", (text, expected) => {
    expect(withoutHiddenMentions(text, hidden)).toBe(expected);
  });

  it("rewrites every description in a JSON Schema and drops one that is left empty", () => {
    const schema = {
      type: "object",
      properties: {
        description: { type: "string", description: "Free text" },
        key: { type: "string", description: "From create_form" },
        party: { type: "string", description: "Party (from search_parties)" },
      },
    };
    expect(schemaWithoutHiddenMentions(schema, hidden)).toEqual({
      type: "object",
      properties: {
        description: { type: "string", description: "Free text" },
        key: { type: "string" },
        party: { type: "string", description: "Party" },
      },
    });
  });
});

describe("withoutHiddenMentions on hostile text", () => {
  it("stays linear on a very long word (a regular expression that backtracks would hang here)", () => {
    const text = `Unknown key ${"h".repeat(1_000_000)}. Use search_parties.`;
    expect(withoutHiddenMentions(text, hidden)).toBe(`Unknown key ${"h".repeat(1_000_000)}.`);
  });
});
