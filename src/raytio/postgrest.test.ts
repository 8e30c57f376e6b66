import { describe, expect, it } from "vitest";
import { containsPattern, query, quoteValue } from "./postgrest.js";

describe("PostgrestQuery", () => {
  it("writes simple filters verbatim after the operator, percent-encoded by URLSearchParams", () => {
    const params = query().select(["id", "title"]).eq("title", 'a,b.c(d):e"f&g=h i').toSearchParams();
    expect(params.get("title")).toBe('eq.a,b.c(d):e"f&g=h i');
    expect(params.toString()).not.toContain("&g=h");
  });

  it("quotes every value inside lists and logic trees", () => {
    const params = query()
      .in("status", ["A", 'x","y'])
      .where({
        op: "or",
        conditions: [
          { column: "title", op: "ilike", pattern: "*a,b)*" },
          { column: "n", op: "eq", value: 3 },
        ],
      })
      .toSearchParams();
    expect(params.get("status")).toBe('in.("A","x\\",\\"y")');
    expect(params.get("or")).toBe('(title.ilike."*a,b)*",n.eq."3")');
  });

  it("escapes backslashes before quotes", () => {
    expect(quoteValue('a\\"b')).toBe('"a\\\\\\"b"');
  });

  it("rejects identifiers that are not plain column names", () => {
    expect(() => query().eq("title;drop", "x")).toThrow(/identifier/);
    expect(() => query().select(["id", "title,or"])).toThrow(/identifier/);
    expect(() => query().order("id.desc")).toThrow(/identifier/);
  });

  it("builds order, limit and offset", () => {
    const params = query()
      .order("updated_at", "desc", "last")
      .order("id")
      .limit(26)
      .offset(50)
      .toSearchParams();
    expect(params.get("order")).toBe("updated_at.desc.nullslast,id.asc");
    expect(params.get("limit")).toBe("26");
    expect(params.get("offset")).toBe("50");
  });
});

describe("containsPattern", () => {
  it("escapes LIKE wildcards so text matches literally", () => {
    expect(containsPattern("50%_off\\")).toBe("*50\\%\\_off\\\\*");
  });
  it("turns a literal * into a single-character wildcard instead of a widening one", () => {
    expect(containsPattern("a*b")).toBe("*a_b*");
  });
});
