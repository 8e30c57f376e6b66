import { describe, expect, it } from "vitest";
import { z } from "zod";
import { carriesThirdPartyText, isThirdParty, thirdParty, thirdPartyValues } from "./untrusted-text.js";

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
});
