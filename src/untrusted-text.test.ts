import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  CallerText,
  carriesThirdPartyText,
  isThirdParty,
  serverWrote,
  thirdParty,
  thirdPartyValues,
  vouchedText,
} from "./untrusted-text.js";

describe("third-party text marks", () => {
  const item = z.object({
    id: z.string(),
    name: thirdParty(z.string()),
    notes: thirdParty(z.string()).nullable().optional().describe("Free text"),
    tags: thirdParty(z.array(z.string())),
    refs: thirdParty(z.record(z.string(), z.unknown())),
  });
  const page = z.object({ items: z.array(item), next_cursor: z.string().nullable() });
  const empty = { id: "p-1", name: "", notes: null, tags: [], refs: {} };

  it("survive describe(), extend() and wrapping, and stay out of the published JSON Schema", () => {
    expect(isThirdParty(thirdParty(z.string()).describe("copy"))).toBe(true);
    expect(isThirdParty(z.string())).toBe(false);
    const extended = item.extend({ extra: z.number() });
    expect(carriesThirdPartyText(extended, { ...empty, extra: 1, name: "Acme" })).toBe(true);
    expect(JSON.stringify(z.toJSONSchema(page))).not.toMatch(/thirdParty/);
  });

  it("count only non-empty values, at any depth", () => {
    expect(carriesThirdPartyText(page, { items: [empty], next_cursor: "c" })).toBe(false);
    expect(carriesThirdPartyText(page, { items: [], next_cursor: null })).toBe(false);
    for (const filled of [{ name: "Acme" }, { notes: "n" }, { tags: ["vip"] }, { refs: { crm: 1 } }]) {
      expect(
        carriesThirdPartyText(page, { items: [empty, { ...empty, ...filled }], next_cursor: null }),
      ).toBe(true);
    }
  });

  it("list the marked values, record keys included, and nothing else", () => {
    const values = thirdPartyValues(page, {
      items: [{ id: "p-1", name: "Acme", notes: "call back", tags: ["vip"], refs: { crm: "42" } }],
      next_cursor: "cursor-1",
    });
    expect(values.sort()).toEqual(["42", "Acme", "call back", "crm", "vip"]);
  });

  it("look through unions and pipes", () => {
    const union = z.object({ value: z.union([z.number(), thirdParty(z.string())]) });
    expect(carriesThirdPartyText(union, { value: "text" })).toBe(true);
    expect(carriesThirdPartyText(union, { value: 3 })).toBe(false);
    const piped = z.object({ text: thirdParty(z.string()).pipe(z.string()) });
    expect(carriesThirdPartyText(piped, { text: "x" })).toBe(true);
  });

  it("leave out text the caller wrote, exactly as written, and text this server vouched for", () => {
    const caller = new CallerText();
    caller.remember({ name: "Acme", tags: ["vip"], refs: { crm: "42" }, limit: 10 });
    const own = {
      items: [{ ...empty, name: "Acme", tags: ["vip"], refs: { crm: "42" } }],
      next_cursor: null,
    };
    expect(carriesThirdPartyText(page, own, (text) => caller.wrote(text))).toBe(false);
    // Anything else in a marked field, even a near copy, is still someone else's.
    for (const other of [{ name: "Acme " }, { name: "acme" }, { notes: "Acme!" }, { tags: ["vip", "x"] }]) {
      const mixed = { items: [{ ...own.items[0], ...other }], next_cursor: null };
      expect(carriesThirdPartyText(page, mixed, (text) => caller.wrote(text))).toBe(true);
    }
    const output = serverWrote({ items: [{ ...empty, name: "Phone Number" }], next_cursor: null }, [
      "Phone Number",
    ]);
    expect(carriesThirdPartyText(page, output, (text) => vouchedText(output).has(text))).toBe(false);
    // The vouch travels beside the fields: it is never serialised, listed, or carried into a copy.
    expect(JSON.stringify(output)).not.toMatch(/Stryker|wrote/);
    expect(inspect(output)).not.toContain("strings this server wrote");
    expect(vouchedText({ ...output }).size).toBe(0);
    for (const notAnObject of [null, undefined, "Phone Number", 3, ["Phone Number"]]) {
      expect(vouchedText(notAnObject).size).toBe(0);
    }
  });

  it("remember a bounded amount: the oldest strings and very long ones are not kept", () => {
    const caller = new CallerText(3, 10);
    caller.remember(["one", "two", "three"]);
    caller.remember(["four"]);
    expect(["one", "two", "three", "four"].map((text) => caller.wrote(text))).toEqual([
      false,
      true,
      true,
      true,
    ]);
    caller.remember({ long: "x".repeat(11), limit: "y".repeat(10) });
    expect(caller.wrote("x".repeat(11))).toBe(false);
    expect(caller.wrote("y".repeat(10))).toBe(true);
    // Keys are the caller's text too (an object they sent, such as external_refs).
    const keys = new CallerText();
    keys.remember({ external_refs: { crm: "7", "": "empty key" }, note: null, flag: true });
    expect(keys.wrote("crm")).toBe(true);
    expect(keys.wrote("")).toBe(false);
  });

  it("find marks inside tuples, records, intersections and lazy schemas", () => {
    const marked = thirdParty(z.string());
    const cases: [string, z.ZodType, unknown][] = [
      ["tuple item", z.tuple([marked, z.number()]), ["Acme", 1]],
      ["tuple rest", z.tuple([z.number()], marked), [1, "Acme"]],
      ["record value", z.record(z.string(), marked), { crm: "Acme" }],
      ["record key", z.record(marked, z.number()), { Acme: 1 }],
      [
        "intersection",
        z.intersection(z.object({ id: z.string() }), z.object({ name: marked })),
        { name: "Acme" },
      ],
      ["lazy", z.lazy(() => z.object({ name: marked })), { name: "Acme" }],
    ];
    for (const [shape, schema, value] of cases) {
      expect(thirdPartyValues(schema, value), shape).toEqual(["Acme"]);
    }
    // The same shapes with unmarked parts hold nothing third-party.
    expect(thirdPartyValues(z.tuple([z.string()], z.string()), ["a", "b"])).toEqual([]);
    expect(thirdPartyValues(z.record(z.string(), z.string()), { a: "b" })).toEqual([]);
    // Items past the end of a tuple without a rest have no schema, so nothing to mark them.
    expect(thirdPartyValues(z.tuple([marked]), ["Acme", "extra"])).toEqual(["Acme"]);
  });

  it("never list an empty key or read a value through a union member it does not fit", () => {
    expect(
      thirdPartyValues(z.object({ refs: thirdParty(z.record(z.string(), z.string())) }), {
        refs: { "": "x" },
      }),
    ).toEqual(["x"]);
    const marked = thirdParty(z.string());
    // A plain string must not be read as a record, an array or a tuple of marked characters.
    for (const container of [
      z.object({}).catchall(marked),
      z.array(marked),
      z.tuple([marked], marked),
      z.record(z.string(), marked),
    ]) {
      expect(carriesThirdPartyText(z.union([z.string(), container]), "plain")).toBe(false);
    }
    // Nor an unmarked list as an object whose every key is marked.
    expect(
      carriesThirdPartyText(z.union([z.array(z.string()), z.object({}).catchall(marked)]), ["plain"]),
    ).toBe(false);
  });

  it("stop reading at the first third-party string", () => {
    let asked = 0;
    const known = () => {
      asked += 1;
      return false;
    };
    const tags = thirdParty(z.array(z.string()));
    expect(carriesThirdPartyText(tags, ["a", "b", "c"], known)).toBe(true);
    expect(asked).toBe(1);
  });
});
