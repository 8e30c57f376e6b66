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
    // The vouch travels beside the fields: it is never serialised or listed.
    expect(Object.keys(output)).toEqual(["items", "next_cursor"]);
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
    caller.remember({ long: "x".repeat(11) });
    expect(caller.wrote("x".repeat(11))).toBe(false);
    // Keys are the caller's text too (an object they sent, such as external_refs).
    caller.remember({ external_refs: { crm: "7" } });
    expect(caller.wrote("crm")).toBe(true);
  });
});
