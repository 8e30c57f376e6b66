import { describe, expect, test } from "vitest";
import {
  type Filter,
  type LogicTree,
  likePattern,
  PostgrestError,
  parseFilter,
  parseQuery,
  parseRangeHeader,
  resolveRange,
  splitQueryString,
} from "./query.js";

const col = (name: string) => ({ name, jsonPath: [] });

function filter(search: string): Filter {
  const parsed = parseQuery(search);
  expect(parsed.filters).toHaveLength(1);
  return parsed.filters[0] as Filter;
}

function logic(search: string): LogicTree {
  const parsed = parseQuery(search);
  expect(parsed.logic).toHaveLength(1);
  return parsed.logic[0] as LogicTree;
}

function parseError(run: () => unknown): PostgrestError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PostgrestError);
    return error as PostgrestError;
  }
  throw new Error("expected a PostgrestError");
}

/** The same value every test tries to smuggle structure through. */
const NASTY = 'a,b.c(d):"e"&f=g h\\i';
const quoted = (v: string) => `"${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;

describe("query string splitting", () => {
  test("splits on & and ; and decodes + and %XX", () => {
    expect(splitQueryString("?a=1+2&b=%22x%22;c=%E2%9C%93&d")).toEqual([
      ["a", "1 2"],
      ["b", '"x"'],
      ["c", "✓"],
      ["d", undefined],
    ]);
  });

  test("keeps a malformed percent escape literally and splits only on the first =", () => {
    expect(splitQueryString("a=100%&b=x=y")).toEqual([
      ["a", "100%"],
      ["b", "x=y"],
    ]);
  });

  test("a URLSearchParams-encoded value survives, including & = ; + and spaces", () => {
    const params = new URLSearchParams({ name: `eq.${NASTY};+` });
    expect(filter(params.toString()).operation).toEqual({ op: "eq", value: `${NASTY};+` });
  });
});

describe("select", () => {
  test("defaults to *", () => {
    expect(parseQuery("").select).toEqual([{ type: "star" }]);
  });

  test("columns, aliases, star, JSON paths and casts", () => {
    expect(parseQuery("select=id, title:name,*,meta->>color,meta->tags->0,n:qty::text").select).toEqual([
      { type: "field", field: col("id") },
      { type: "field", field: col("name"), alias: "title" },
      { type: "star" },
      {
        type: "field",
        field: { name: "meta", jsonPath: [{ arrow: "->>", operand: { kind: "key", value: "color" } }] },
      },
      {
        type: "field",
        field: {
          name: "meta",
          jsonPath: [
            { arrow: "->", operand: { kind: "key", value: "tags" } },
            { arrow: "->", operand: { kind: "index", value: 0 } },
          ],
        },
      },
      { type: "field", field: col("qty"), alias: "n", cast: "text" },
    ]);
  });

  test("the first select wins", () => {
    expect(parseQuery("select=a&select=b").select).toEqual([{ type: "field", field: col("a") }]);
  });

  test("embedding is rejected with PGRST100", () => {
    for (const select of ["*,client(*)", "c:client(id)", "...client(name)", "client!inner(id)"]) {
      const error = parseError(() => parseQuery(`select=${encodeURIComponent(select)}`));
      expect(error.status).toBe(400);
      expect(error.code).toBe("PGRST100");
      expect(error.message).toContain("failed to parse select parameter");
    }
  });

  test("a quoted column name may contain reserved characters", () => {
    expect(parseQuery(`select=${encodeURIComponent('"a.b:c"')}`).select).toEqual([
      { type: "field", field: col("a.b:c") },
    ]);
  });
});

describe("horizontal filters", () => {
  test.each([
    ["eq", "5"],
    ["neq", "5"],
    ["gt", "5"],
    ["gte", "5"],
    ["lt", "5"],
    ["lte", "5"],
    ["like", "*ab*"],
    ["ilike", "*AB*"],
    ["match", "^a.*$"],
    ["imatch", "^A"],
    ["cs", "{a,b}"],
    ["cd", "{a,b}"],
    ["ov", "{a,b}"],
    ["sl", "[1,5)"],
    ["sr", "[1,5)"],
    ["nxr", "[1,5)"],
    ["nxl", "[1,5)"],
    ["adj", "[1,5)"],
    ["isdistinct", "5"],
  ])("%s", (op, value) => {
    expect(filter(`x=${op}.${encodeURIComponent(value)}`)).toEqual({
      field: col("x"),
      negated: false,
      operation: { op, value },
    });
  });

  test("not. prefix", () => {
    expect(filter("x=not.eq.5")).toEqual({
      field: col("x"),
      negated: true,
      operation: { op: "eq", value: "5" },
    });
    expect(filter("x=not.in.(1,2)").negated).toBe(true);
    expect(filter("x=not.is.null")).toEqual({
      field: col("x"),
      negated: true,
      operation: { op: "is", value: "null" },
    });
  });

  test("is accepts null, not_null, true, false, unknown case-insensitively", () => {
    for (const [raw, value] of [
      ["null", "null"],
      ["NULL", "null"],
      ["not_null", "not_null"],
      ["True", "true"],
      ["false", "false"],
      ["unknown", "unknown"],
    ]) {
      expect(filter(`x=is.${raw}`).operation).toEqual({ op: "is", value });
    }
    expect(parseError(() => parseQuery("x=is.maybe")).code).toBe("PGRST100");
  });

  test("full-text search operators with and without a language", () => {
    expect(filter("x=fts.cat").operation).toEqual({ op: "fts", value: "cat" });
    expect(filter("x=plfts(english).fat%20cats").operation).toEqual({
      op: "plfts",
      language: "english",
      value: "fat cats",
    });
    expect(filter("x=phfts.a").operation.op).toBe("phfts");
    expect(filter("x=wfts(simple).a").operation).toEqual({ op: "wfts", language: "simple", value: "a" });
  });

  test("a top-level value is everything after op., quotes and reserved characters included", () => {
    expect(filter(`x=eq.${encodeURIComponent(quoted(NASTY))}`).operation).toEqual({
      op: "eq",
      value: quoted(NASTY),
    });
    expect(filter("x=eq.a,b.c)").operation).toEqual({ op: "eq", value: "a,b.c)" });
    expect(filter("x=eq.").operation).toEqual({ op: "eq", value: "" });
    expect(filter("x=like.not.eq.1").operation).toEqual({ op: "like", value: "not.eq.1" });
  });

  test("cs/cd/ov values stay verbatim so PostgreSQL parses the array literal", () => {
    expect(filter(`tags=cs.${encodeURIComponent('{"a,b","c\\"d"}')}`).operation).toEqual({
      op: "cs",
      value: '{"a,b","c\\"d"}',
    });
  });

  test("JSON path filters", () => {
    expect(filter("meta->>color=eq.red").field).toEqual({
      name: "meta",
      jsonPath: [{ arrow: "->>", operand: { kind: "key", value: "color" } }],
    });
    expect(filter("meta->list->-1=eq.3").field.jsonPath).toEqual([
      { arrow: "->", operand: { kind: "key", value: "list" } },
      { arrow: "->", operand: { kind: "index", value: -1 } },
    ]);
  });

  test("unknown operators, quantifiers and missing operators are PGRST100", () => {
    for (const value of ["noop.1", "eq(any).1", "5", "eq", "in.1,2", "fts().x"]) {
      const error = parseError(() => parseQuery(`x=${encodeURIComponent(value)}`));
      expect(error.code).toBe("PGRST100");
      expect(error.status).toBe(400);
      expect(error.message).toMatch(/^"failed to parse filter \(.*\)" \(line 1, column \d+\)$/);
    }
  });

  test("embedded filters are rejected", () => {
    expect(parseError(() => parseQuery("client.id=eq.1")).code).toBe("PGRST100");
    expect(parseError(() => parseQuery("client.order=id")).code).toBe("PGRST100");
  });

  test("repeated keys are all kept, in order", () => {
    expect(parseQuery("x=gt.1&x=lt.5").filters.map((f) => f.operation)).toEqual([
      { op: "gt", value: "1" },
      { op: "lt", value: "5" },
    ]);
  });
});

describe("in.(...) lists", () => {
  const values = (search: string) => {
    const op = filter(search).operation;
    if (op.op !== "in") throw new Error("not in");
    return op.values;
  };

  test("plain, quoted and escaped elements", () => {
    expect(values("x=in.(1,2,3)")).toEqual(["1", "2", "3"]);
    expect(values(`x=in.(${encodeURIComponent(`${quoted(NASTY)},plain`)})`)).toEqual([NASTY, "plain"]);
    expect(values(`x=in.(${encodeURIComponent('"a\\"b","c\\\\d","\\x"')})`)).toEqual(['a"b', "c\\d", "x"]);
  });

  test("elements are not trimmed, but space around the parentheses is skipped", () => {
    expect(values("x=in.%20(%201,%202%20)%20")).toEqual(["1", " 2 "]);
  });

  test("a quote that does not close the element is literal", () => {
    expect(values(`x=in.(${encodeURIComponent('"a"b,"c')})`)).toEqual(['"a"b', '"c']);
  });

  test("empty lists parse to a single empty string (PostgREST: matches nothing)", () => {
    expect(values("x=in.()")).toEqual([""]);
    expect(values(`x=in.(${encodeURIComponent('""')})`)).toEqual([""]);
    expect(values("x=in.(,)")).toEqual(["", ""]);
  });

  test("an injected closing parenthesis cannot add a filter", () => {
    // `a)` closes the list early; PostgREST ignores what follows the list.
    expect(values(`x=in.(${encodeURIComponent("a),y.eq.1")}`)).toEqual(["a"]);
    expect(values(`x=in.(${encodeURIComponent(quoted("a),y.eq.(1"))})`)).toEqual(["a),y.eq.(1"]);
  });

  test("unterminated lists are PGRST100", () => {
    expect(parseError(() => parseQuery("x=in.(1,2")).code).toBe("PGRST100");
    expect(parseError(() => parseQuery(`x=in.(${encodeURIComponent('"abc')}`)).code).toBe("PGRST100");
  });
});

describe("logic trees", () => {
  const eq = (name: string, value: string, negated = false): LogicTree => ({
    type: "filter",
    filter: { field: col(name), negated, operation: { op: "eq", value } },
  });

  test("or, and, not.or, not.and", () => {
    expect(logic("or=(a.eq.1,b.eq.2)")).toEqual({
      type: "logic",
      operator: "or",
      negated: false,
      conditions: [eq("a", "1"), eq("b", "2")],
    });
    expect(logic("and=(a.eq.1,b.not.eq.2)")).toEqual({
      type: "logic",
      operator: "and",
      negated: false,
      conditions: [eq("a", "1"), eq("b", "2", true)],
    });
    expect(logic("not.or=(a.eq.1)")).toMatchObject({ operator: "or", negated: true });
    expect(logic("not.and=(a.eq.1)")).toMatchObject({ operator: "and", negated: true });
  });

  test("nesting to any depth, with not. on inner groups", () => {
    expect(logic("or=(a.eq.1,and(b.gt.2,not.or(c.is.null,d.in.(1,2))))")).toEqual({
      type: "logic",
      operator: "or",
      negated: false,
      conditions: [
        eq("a", "1"),
        {
          type: "logic",
          operator: "and",
          negated: false,
          conditions: [
            {
              type: "filter",
              filter: { field: col("b"), negated: false, operation: { op: "gt", value: "2" } },
            },
            {
              type: "logic",
              operator: "or",
              negated: true,
              conditions: [
                {
                  type: "filter",
                  filter: { field: col("c"), negated: false, operation: { op: "is", value: "null" } },
                },
                {
                  type: "filter",
                  filter: { field: col("d"), negated: false, operation: { op: "in", values: ["1", "2"] } },
                },
              ],
            },
          ],
        },
      ],
    });
  });

  test("quoted values keep reserved characters and escapes literally", () => {
    const tree = logic(
      `or=(${encodeURIComponent(`name.eq.${quoted(NASTY)},name.ilike.${quoted("*x,y*")}`)})`,
    );
    expect(tree).toEqual({
      type: "logic",
      operator: "or",
      negated: false,
      conditions: [
        eq("name", NASTY),
        {
          type: "filter",
          filter: { field: col("name"), negated: false, operation: { op: "ilike", value: "*x,y*" } },
        },
      ],
    });
  });

  test("a malicious unquoted value is split, a quoted one is not", () => {
    const unquoted = logic(`or=(${encodeURIComponent("a.eq.x,b.eq.1")})`);
    expect(unquoted.type === "logic" && unquoted.conditions).toHaveLength(2);
    const safe = logic(`or=(${encodeURIComponent(`a.eq.${quoted("x,b.eq.1)")}`)})`);
    expect(safe).toEqual({
      type: "logic",
      operator: "or",
      negated: false,
      conditions: [eq("a", "x,b.eq.1)")],
    });
  });

  test("{...} arrays are kept whole inside trees", () => {
    const tree = logic(`or=(${encodeURIComponent("tags.cs.{a,b},tags.ov.{c}")})`);
    expect(
      tree.type === "logic" && tree.conditions.map((c) => c.type === "filter" && c.filter.operation),
    ).toEqual([
      { op: "cs", value: "{a,b}" },
      { op: "ov", value: "{c}" },
    ]);
  });

  test("`{...}` protects commas and parentheses but not braces; quoting the whole array protects all", () => {
    const value = (search: string) => {
      const tree = logic(search);
      const first = tree.type === "logic" ? tree.conditions[0] : undefined;
      return first?.type === "filter" ? first.filter.operation : undefined;
    };
    expect(value(`or=(${encodeURIComponent('tags.cs.{"a,b.eq.1)"}')})`)).toEqual({
      op: "cs",
      value: '{"a,b.eq.1)"}',
    });
    expect(value(`or=(${encodeURIComponent('tags.cs."{\\"a}b\\"}"')})`)).toEqual({
      op: "cs",
      value: '{"a}b"}',
    });
    expect(parseError(() => parseQuery(`or=(${encodeURIComponent('tags.cs.{"a}b"}')})`)).code).toBe(
      "PGRST100",
    );
  });

  test("raw values keep trailing spaces, fields are trimmed", () => {
    expect(logic("or=(%20a.eq.1%20,b.eq.2)")).toEqual({
      type: "logic",
      operator: "or",
      negated: false,
      conditions: [eq("a", "1 "), eq("b", "2")],
    });
  });

  test("a quote followed by more text is not a quoted value", () => {
    expect(logic(`or=(${encodeURIComponent('a.eq."x"y')})`)).toMatchObject({
      conditions: [{ filter: { operation: { value: '"x"y' } } }],
    });
  });

  test("malformed trees are PGRST100", () => {
    for (const value of ["(a.eq.1", "()", "(a.eq.1,)", "(a.xx.1)", "(a.eq.1,xor(b.eq.2))"]) {
      const error = parseError(() => parseQuery(`or=${encodeURIComponent(value)}`));
      expect(error.code).toBe("PGRST100");
      expect(error.message).toContain(`failed to parse logic tree (${value})`);
    }
  });

  test("PostgREST quirks: `or=` is glued to its value, an unterminated quote is raw text", () => {
    // PostgREST parses `or=a.eq.1` as the text "ora.eq.1": a filter on a column named "ora".
    expect(logic("or=a.eq.1")).toEqual(eq("ora", "1"));
    expect(logic(`or=${encodeURIComponent('(a.eq."x)')}`)).toMatchObject({ conditions: [eq("a", '"x')] });
  });

  test("logic trees and plain filters are collected separately", () => {
    const parsed = parseQuery("a=eq.1&or=(b.eq.2,c.eq.3)&and=(d.eq.4)");
    expect(parsed.filters).toHaveLength(1);
    expect(parsed.logic).toHaveLength(2);
  });
});

describe("order, limit, offset", () => {
  test("directions and null ordering", () => {
    expect(parseQuery("order=a,b.desc,c.asc.nullsfirst,d.nullslast,meta->>x.desc").order).toEqual([
      { field: col("a") },
      { field: col("b"), direction: "desc" },
      { field: col("c"), direction: "asc", nulls: "first" },
      { field: col("d"), nulls: "last" },
      {
        field: { name: "meta", jsonPath: [{ arrow: "->>", operand: { kind: "key", value: "x" } }] },
        direction: "desc",
      },
    ]);
  });

  test("bad order terms are PGRST100", () => {
    for (const value of ["id.ac", "id.descc", "id.asc.nlsfst", "id,", "clients(name)"]) {
      expect(parseError(() => parseQuery(`order=${encodeURIComponent(value)}`)).code).toBe("PGRST100");
    }
  });

  test("limit and offset: the last wins, non-integers are ignored", () => {
    expect(parseQuery("limit=5&offset=10")).toMatchObject({ limit: 5, offset: 10 });
    expect(parseQuery("limit=5&limit=7").limit).toBe(7);
    expect(parseQuery("limit=abc").limit).toBeUndefined();
    expect(parseQuery("limit=5&limit=x").limit).toBeUndefined();
  });

  test("rpc reads turn non-filter parameters into arguments", () => {
    const parsed = parseQuery("a=1&b=hello%20world&c=eq.3&select=x", { rpcRead: true });
    expect(parsed.rpcArgs).toEqual([
      ["a", "1"],
      ["b", "hello world"],
    ]);
    expect(parsed.filters).toHaveLength(1);
    expect(parseError(() => parseQuery("a=1")).code).toBe("PGRST100");
  });

  test("columns and on_conflict", () => {
    expect(parseQuery("columns=a,b&on_conflict=c")).toMatchObject({ columns: ["a", "b"], onConflict: ["c"] });
  });
});

describe("ranges", () => {
  test("Range header syntax", () => {
    expect(parseRangeHeader("0-24")).toEqual({ lower: 0, upper: 24 });
    expect(parseRangeHeader("10-")).toEqual({ lower: 10 });
    expect(parseRangeHeader("items=0-24")).toBeUndefined();
    expect(parseRangeHeader(undefined)).toBeUndefined();
  });

  test("limit/offset and the header intersect", () => {
    expect(resolveRange({})).toEqual({ offset: 0 });
    expect(resolveRange({ limit: 10, offset: 5 })).toEqual({ offset: 5, limit: 10 });
    expect(resolveRange({ limit: 10 }, { lower: 0, upper: 2 })).toEqual({ offset: 0, limit: 3 });
    expect(resolveRange({}, { lower: 4 })).toEqual({ offset: 4 });
    expect(resolveRange({ offset: -3 })).toEqual({ offset: 0 });
    expect(resolveRange({ limit: 0 })).toEqual({ offset: 0, limit: 0 });
  });

  test("negative limits and inverted headers are 416 PGRST103", () => {
    const negative = parseError(() => resolveRange({ limit: -1 }));
    expect([negative.status, negative.code, negative.details]).toEqual([
      416,
      "PGRST103",
      "Limit should be greater than or equal to zero.",
    ]);
    expect(parseError(() => resolveRange({}, { lower: 5, upper: 2 })).code).toBe("PGRST103");
  });
});

test("likePattern turns every * into %", () => {
  expect(likePattern("*a*b\\*")).toBe("%a%b\\%");
});

test("parseFilter is usable on its own", () => {
  expect(parseFilter("name", "not.ilike.*x*")).toEqual({
    field: col("name"),
    negated: true,
    operation: { op: "ilike", value: "*x*" },
  });
});
