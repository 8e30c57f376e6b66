import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { containsPattern, query } from "../../src/raytio/postgrest.js";
import { type LogicTree, parseQuery } from "./query.js";

/**
 * The server's query builder against the sandbox's PostgREST parser: whatever text a model supplies,
 * the parsed request must contain exactly the conditions the builder meant, with the text intact.
 */
const anyText = fc.string({ unit: "binary", minLength: 1, maxLength: 40 });
const nasty = fc.constantFrom(
  "a,b",
  "x.eq.1",
  "(",
  ")",
  'say "hi"',
  "a\\b",
  "k=v&z=1",
  "a b",
  "{x}",
  "a:b",
  "*",
  "%_",
);
const text = fc.oneof(
  anyText,
  nasty,
  fc.array(nasty, { minLength: 1, maxLength: 4 }).map((parts) => parts.join("")),
);

function parse(q: ReturnType<typeof query>) {
  return parseQuery(`?${q.toString()}`);
}

describe("query builder ↔ PostgREST parser", () => {
  it("keeps a simple filter value literal and adds no other condition", () => {
    fc.assert(
      fc.property(text, (value) => {
        const parsed = parse(query().eq("title", value));
        expect(parsed.filters).toHaveLength(1);
        expect(parsed.logic).toHaveLength(0);
        expect(parsed.filters[0]?.operation).toEqual({ op: "eq", value });
      }),
    );
  });

  it("keeps every in-list element literal", () => {
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 5 }), (values) => {
        const parsed = parse(query().in("status", values));
        expect(parsed.filters).toHaveLength(1);
        expect(parsed.filters[0]?.operation).toEqual({ op: "in", values });
      }),
    );
  });

  it("keeps or-tree patterns literal, with exactly the intended branches", () => {
    fc.assert(
      fc.property(text, (value) => {
        const pattern = containsPattern(value);
        const parsed = parse(
          query().where({
            op: "or",
            conditions: [
              { column: "title", op: "ilike", pattern },
              { column: "description", op: "ilike", pattern },
            ],
          }),
        );
        expect(parsed.filters).toHaveLength(0);
        expect(parsed.logic).toHaveLength(1);
        const tree = parsed.logic[0] as Extract<LogicTree, { type: "logic" }>;
        expect(tree.operator).toBe("or");
        expect(
          tree.conditions.map((condition) =>
            condition.type === "filter" ? condition.filter.operation : null,
          ),
        ).toEqual([
          { op: "ilike", value: pattern },
          { op: "ilike", value: pattern },
        ]);
      }),
    );
  });
});
