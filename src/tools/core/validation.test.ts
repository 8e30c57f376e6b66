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

  /** The message and error for `x` holding `value` against `field`, in a tool that takes only x. */
  function errorFor(field: z.ZodType, value: unknown, accepted = ["x"]) {
    const parsed = z.strictObject({ x: field }).safeParse({ x: value }, { reportInput: true });
    if (parsed.success) throw new Error("expected a failure");
    return argumentsError(parsed.error.issues, { tool: "demo_tool", accepted, hidden: new Set() });
  }

  it.each<[string, z.ZodType, unknown, string]>([
    ["a single allowed value", z.literal("fast"), "slow", 'x must be fast; received "slow" (4 characters).'],
    ["an exclusive minimum", z.number().positive(), 0, "x must be more than 0; received number 0."],
    ["an exclusive maximum", z.number().lt(10), 10, "x must be less than 10; received number 10."],
    ["a divisor", z.number().multipleOf(5), 7, "x must be a multiple of 5; received number 7."],
    [
      "a minimum length above one",
      z.string().min(3),
      "a",
      'x must be at least 3 characters; received "a" (1 character).',
    ],
    [
      "a maximum of one character",
      z.string().max(1),
      "ab",
      'x must be at most 1 character; received "ab" (2 characters).',
    ],
    [
      "a minimum number of items",
      z.array(z.string()).min(2),
      ["a"],
      "x must be at least 2 items; received a list of 1 item.",
    ],
    [
      "a set's size",
      z.set(z.string()).min(2),
      new Set(["a"]),
      "x must be at least 2 items; received an object.",
    ],
    ["a value of another type", z.string(), { a: 1 }, "x must be a string; received an object."],
    ["null", z.string(), null, "x must be a string; received null."],
    ["a boolean", z.number(), true, "x must be a number; received boolean true."],
    ["a literal null", z.literal(null), 1, "x must be null; received number 1."],
  ])("says what is wrong with %s", (_, field, value, expected) => {
    expect(errorFor(field, value).message).toBe(expected);
  });

  it("cuts long received text, keys and field names to 40 characters, and says so", () => {
    const forty = "s".repeat(40);
    expect(errorFor(z.number(), forty).message).toBe(
      `x must be a number; received "${forty}" (40 characters).`,
    );
    expect(errorFor(z.number(), `${forty}tail`).message).toBe(
      `x must be a number; received "${forty}…" (44 characters).`,
    );
    const record = errorFor(z.record(z.string(), z.number()), { [forty]: "a", [`${forty}tail`]: "b" });
    expect(record.message).toBe(
      `x.${forty} must be a number; received "a" (1 character). x.${forty}… must be a number; received "b" (1 character).`,
    );
    expect(record.details).toEqual({ fields: [`x.${forty}`, `x.${forty}…`] });
  });

  it("names at most ten unknown arguments, each cut short, and says when a tool takes none", () => {
    const keys = [
      "k".repeat(40),
      "l".repeat(41),
      ...Array.from({ length: 10 }, (_, index) => `extra_${index}`),
    ];
    const parsed = z
      .strictObject({})
      .safeParse(Object.fromEntries(keys.map((key) => [key, 1])), { reportInput: true });
    if (parsed.success) throw new Error("expected a failure");
    const error = argumentsError(parsed.error.issues, { tool: "demo_tool", accepted: [], hidden: new Set() });
    expect(error.message).toBe(
      `demo_tool does not take the arguments "${"k".repeat(40)}", "${"l".repeat(40)}…", "extra_0", "extra_1", "extra_2", "extra_3", "extra_4", "extra_5", "extra_6", "extra_7" and 2 more; it takes no arguments.`,
    );
    expect(error.details).toEqual({
      fields: ["k".repeat(40), "l".repeat(40), ...Array.from({ length: 8 }, (_, index) => `extra_${index}`)],
    });
  });

  it("names unknown arguments beside the other problems, and never takes an Object member for a redirect", () => {
    const parsed = schema.safeParse({ id: "abcd", constructor: 1, toString: 2 }, { reportInput: true });
    if (parsed.success) throw new Error("expected a failure");
    for (const redirects of [undefined, {}]) {
      const error = argumentsError(parsed.error.issues, {
        tool: "demo_tool",
        accepted: ["id"],
        redirects,
        hidden: new Set(),
      });
      expect(error.message).toBe(
        'demo_tool does not take the arguments "constructor", "toString"; it takes id. id must be three letters; received "abcd" (4 characters).',
      );
      expect(error.details).toEqual({ fields: ["constructor", "toString", "id"] });
    }
  });

  it("says each problem once, and at most five of them", () => {
    const twice = z
      .string()
      .refine(() => false, "must be x")
      .refine(() => false, "must be x");
    expect(errorFor(twice, "a").message).toBe('x must be x; received "a" (1 character).');
    const seven = z.strictObject(
      Object.fromEntries(["a", "b", "c", "d", "e", "f", "g"].map((key) => [key, z.string()])),
    );
    const parsed = seven.safeParse({}, { reportInput: true });
    if (parsed.success) throw new Error("expected a failure");
    const error = argumentsError(parsed.error.issues, { tool: "demo_tool", accepted: [], hidden: new Set() });
    expect(error.message).toBe(
      "a is required (a string). b is required (a string). c is required (a string). d is required (a string). e is required (a string). (2 more problems.)",
    );
    expect(error.details).toEqual({ fields: ["a", "b", "c", "d", "e", "f", "g"] });
  });

  it("describes a value that is not an object at all", () => {
    for (const [input, expected] of [
      ["text", 'the arguments must be an object; received "text" (4 characters).'],
      [null, "the arguments must be an object; received null."],
    ] as const) {
      const parsed = schema.safeParse(input, { reportInput: true });
      if (parsed.success) throw new Error("expected a failure");
      expect(
        argumentsError(parsed.error.issues, { tool: "demo_tool", accepted: [], hidden: new Set() }).message,
      ).toBe(expected);
    }
  });

  it.each<[string, z.ZodType, unknown, string]>([
    [
      "lists the types wanted when the value fits no branch's type",
      z.union([z.string(), z.number()]),
      true,
      "x must be a string or a number; received boolean true.",
    ],
    [
      "follows the branch that got furthest into the value",
      z.union([z.string(), z.array(z.string())]),
      [1],
      "x[0] must be a string; received number 1.",
    ],
    [
      "names a list as a list",
      z.union([z.string(), z.array(z.string())]),
      5,
      "x must be a string or a list; received number 5.",
    ],
    [
      "at equal depth, prefers a branch whose type fits (listed first)",
      z.union([z.string().min(3), z.number(), z.string().regex(/^z/)]),
      "a",
      'x must be at least 3 characters; received "a" (1 character).',
    ],
    [
      "at equal depth, prefers a branch whose type fits (listed last)",
      z.union([z.number(), z.string().min(3), z.string().regex(/^z/)]),
      "a",
      'x must be at least 3 characters; received "a" (1 character).',
    ],
    [
      "says nothing was received when the value is missing",
      z.union([z.string(), z.number()]),
      undefined,
      "x must be a string or a number; received nothing.",
    ],
    [
      "between two branches that fit, takes the first",
      z.union([z.string().min(3), z.string().regex(/^z/)]),
      "a",
      'x must be at least 3 characters; received "a" (1 character).',
    ],
    [
      "measures how far a branch got by its deepest problem",
      z.union([
        z.object({ a: z.string(), b: z.object({ c: z.object({ d: z.string() }) }) }),
        z.object({ a: z.object({ e: z.string() }) }),
      ]),
      { a: { e: 1 }, b: { c: { d: 1 } } },
      "x.a must be a string; received an object.",
    ],
    [
      "lists allowed values beside types",
      z.union([z.literal("all"), z.intersection(z.object({}), z.array(z.number()))]),
      ["a"],
      "x must be one of all or an object; received a list of 1 item.",
    ],
    [
      "says so when the value matched more than one exclusive branch",
      z.xor([z.string(), z.string().min(1)]),
      "a",
      'x must be a different string; received "a" (1 character).',
    ],
    [
      "says so for a list that matched more than one exclusive branch",
      z.xor([z.array(z.string()), z.array(z.string()).max(3)]),
      [],
      "x must be a different list; received a list of 0 items.",
    ],
    [
      "says so for null that matched more than one exclusive branch",
      z.xor([z.null(), z.null().optional()]),
      null,
      "x must be a different null; received null.",
    ],
  ])("in a union, %s", (_, field, value, expected) => {
    expect(errorFor(field, value).message).toBe(expected);
  });
});
