import { describe, expect, it } from "vitest";
import { z } from "zod";
import { oneOrMany } from "./schemas.js";
import { argumentsError } from "./validation.js";

const schema = z.strictObject({
  id: z.string().refine((value) => value.length === 3, { error: "must be three letters" }),
  status: oneOrMany(["new", "done"], "Only these statuses").optional(),
  limit: z.number().int().max(5).optional(),
  name: z.string().min(1).max(6).optional(),
  code: z
    .string()
    .regex(/^[a-z]+$/)
    .optional(),
  entity: z
    .discriminatedUnion("kind", [
      z.strictObject({ kind: z.literal("a"), x: z.string() }),
      z.strictObject({ kind: z.literal("b") }),
    ])
    .optional(),
});

function messageFor(input: unknown, hidden: ReadonlySet<string> = new Set()): string {
  const parsed = schema.safeParse(input, { reportInput: true });
  if (parsed.success) throw new Error("expected a failure");
  return argumentsError(parsed.error.issues, {
    tool: "demo_tool",
    accepted: Object.keys(schema.shape),
    redirects: { state: { tool: "other_tool", purpose: "change the state", how: "with an intent" } },
    hidden,
  }).message;
}

describe("argumentsError", () => {
  it.each([
    [{}, "id is required (a string)."],
    [{ id: "abcd" }, 'id must be three letters; received "abcd" (4 characters).'],
    [{ id: "abc", limit: "ten" }, 'limit must be a number; received "ten" (3 characters).'],
    [{ id: "abc", limit: 2.5 }, "limit must be an integer; received number 2.5."],
    [{ id: "abc", limit: 9 }, "limit must be at most 5; received number 9."],
    [{ id: "abc", name: "" }, 'name must not be empty; received "" (0 characters).'],
    [
      { id: "abc", name: "abcdefgh" },
      'name must be at most 6 characters; received "abcdefgh" (8 characters).',
    ],
    [{ id: "abc", code: "A1" }, 'code is not in the expected format; received "A1" (2 characters).'],
    [{ id: "abc", status: "open" }, 'status must be one of new, done; received "open" (4 characters).'],
    [
      { id: "abc", status: ["done", "open"] },
      'status[1] must be one of new, done; received "open" (4 characters).',
    ],
    [{ id: "abc", status: [] }, "status must be at least 1 item; received a list of 0 items."],
    [{ id: "abc", entity: { kind: "c" } }, 'entity.kind must be one of a, b; received "c" (1 character).'],
    [{ id: "abc", entity: { kind: "a", x: 1 } }, "entity.x must be a string; received number 1."],
    [{ id: "abc", entity: { kind: "b", y: 1 } }, 'entity does not take "y".'],
  ])("%j", (input, expected) => {
    expect(messageFor(input)).toBe(expected);
  });

  it("names unknown keys, the accepted ones, and the tool an intent belongs to unless it is hidden", () => {
    const pointed = messageFor({ id: "abc", state: "done", colour: 1 });
    expect(pointed).toBe(
      'demo_tool does not take the arguments "state", "colour"; it takes id, status, limit, name, code, entity. To change the state, use other_tool with an intent.',
    );
    expect(messageFor({ id: "abc", state: "done" }, new Set(["other_tool"]))).toBe(
      'demo_tool does not take the argument "state"; it takes id, status, limit, name, code, entity.',
    );
  });
});
