import { AjvJsonSchemaValidator } from "@modelcontextprotocol/client/validators/ajv";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { TOOLS } from "../registry.js";
import { compactJsonSchema, type JsonSchema } from "./schema-compaction.js";
import { prepareInputSchema } from "./schema-fallback.js";
import { withTruncatedFlag } from "./tool-list.js";

describe("compactJsonSchema", () => {
  it("drops $schema, a string propertyNames and an accept-all additionalProperties, in both directions", () => {
    const record = z.record(z.string(), z.unknown());
    for (const io of ["input", "output"] as const) {
      const generated = z.toJSONSchema(z.object({ config: record }), { target: "draft-7", io }) as JsonSchema;
      expect(generated.$schema).toBeDefined();
      expect(compactJsonSchema(generated, io)).toEqual({
        type: "object",
        properties: { config: { type: "object" } },
        required: ["config"],
        ...(generated.additionalProperties === false ? { additionalProperties: false } : {}),
      });
    }
    expect(compactJsonSchema({ type: "object", additionalProperties: true }, "input")).toEqual({
      type: "object",
    });
  });

  it("keeps what constrains: additionalProperties false or a schema, a propertyNames pattern", () => {
    const kept: JsonSchema = {
      type: "object",
      additionalProperties: { type: "string" },
      propertyNames: { type: "string", pattern: "^[a-z]+$" },
      properties: { inner: { type: "object", additionalProperties: false } },
    };
    expect(compactJsonSchema(kept, "output")).toEqual(kept);
  });

  it("drops the type beside an output enum or const only when every value has that type", () => {
    expect(compactJsonSchema({ type: "string", enum: ["a", "b"] }, "output")).toEqual({ enum: ["a", "b"] });
    expect(compactJsonSchema({ type: "string", const: "a" }, "output")).toEqual({ const: "a" });
    expect(compactJsonSchema({ type: "integer", enum: [1, 2] }, "output")).toEqual({ enum: [1, 2] });
    // 1.5 is not an integer and "1" is not a number: there the type still rules a value out.
    for (const kept of [
      { type: "integer", enum: [1, 1.5] },
      { type: "number", enum: [1, "1"] },
    ])
      expect(compactJsonSchema(kept, "output")).toEqual(kept);
  });

  it("leaves input enums with their type: clients read input schemas directly and some expect it", () => {
    const input: JsonSchema = { type: "string", enum: ["a", "b"] };
    expect(compactJsonSchema(input, "input")).toEqual(input);
  });

  it("writes an output nullable as one schema: a type list, or null among the enum values", () => {
    expect(
      compactJsonSchema({ anyOf: [{ type: "string", maxLength: 5 }, { type: "null" }] }, "output"),
    ).toEqual({
      type: ["string", "null"],
      maxLength: 5,
    });
    expect(
      compactJsonSchema(
        { description: "d", anyOf: [{ type: "null" }, { type: "string", enum: ["a", "b"] }] },
        "output",
      ),
    ).toEqual({ description: "d", enum: ["a", "b", null] });
    expect(
      compactJsonSchema({ anyOf: [{ type: "string", const: "a" }, { type: "null" }] }, "output"),
    ).toEqual({
      enum: ["a", null],
    });
    expect(
      compactJsonSchema(
        {
          anyOf: [
            { type: "object", properties: { a: { type: "string" } }, required: ["a"] },
            { type: "null" },
          ],
        },
        "output",
      ),
    ).toEqual({ type: ["object", "null"], properties: { a: { type: "string" } }, required: ["a"] });
  });

  it("keeps an anyOf whose branch would clash with its parent or says more than one type's rules", () => {
    const unions: JsonSchema[] = [
      // Two descriptions cannot both sit on one schema.
      { description: "outer", anyOf: [{ type: "string", description: "inner" }, { type: "null" }] },
      // enum beside a type it does not imply: merging would need both, so it stays a union.
      { anyOf: [{ type: "number", enum: [1, "a"] }, { type: "null" }] },
      // Not a nullable.
      { anyOf: [{ type: "string" }, { type: "number" }] },
      { anyOf: [{ type: "string" }, { type: "null" }, { type: "number" }] },
      // Only the shape zod writes is merged: a branch carrying another type's keyword stays as it is.
      { anyOf: [{ type: "string", minimum: 3 }, { type: "null" }] },
    ];
    for (const kept of unions) expect(compactJsonSchema(kept, "output")).toEqual(kept);
    // In input schemas the union is left as zod wrote it.
    const input: JsonSchema = { anyOf: [{ type: "string", maxLength: 5 }, { type: "null" }] };
    expect(compactJsonSchema(input, "input")).toEqual(input);
  });

  it("treats enum, const, default and required as data, never as schemas", () => {
    const schema: JsonSchema = {
      type: "object",
      properties: {
        a: { default: { $schema: "x", additionalProperties: {} } },
        b: { enum: [{ additionalProperties: true }] },
        c: { const: { propertyNames: { type: "string" } } },
      },
      required: ["a"],
    };
    expect(compactJsonSchema(schema, "output")).toEqual(schema);
  });

  it("returns a new object and leaves its argument as it was", () => {
    const schema: JsonSchema = {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      properties: { a: { anyOf: [{ type: "string", enum: ["x"] }, { type: "null" }] } },
    };
    const before = structuredClone(schema);
    compactJsonSchema(schema, "output");
    expect(schema).toEqual(before);
  });
});

/** Every subschema of a JSON Schema (the root too), found through the keywords that hold schemas. */
function subschemas(schema: JsonSchema): JsonSchema[] {
  const found: JsonSchema[] = [schema];
  const visit = (value: unknown) => {
    if (value && typeof value === "object" && !Array.isArray(value))
      found.push(...subschemas(value as JsonSchema));
  };
  for (const [key, value] of Object.entries(schema)) {
    if (["items", "additionalProperties", "propertyNames", "not", "contains"].includes(key)) visit(value);
    if (["anyOf", "oneOf", "allOf"].includes(key) && Array.isArray(value)) value.forEach(visit);
    if (
      ["properties", "patternProperties", "$defs", "definitions"].includes(key) &&
      value &&
      typeof value === "object"
    )
      Object.values(value).forEach(visit);
  }
  return found;
}

/** Values that sit on every edge the rules touch: each type, the listed values, lengths and bounds. */
function probesFor(schema: JsonSchema): unknown[] {
  const listed = [
    ...(Array.isArray(schema.enum) ? schema.enum : []),
    ...("const" in schema ? [schema.const] : []),
  ];
  const nested = (schema.anyOf as JsonSchema[] | undefined)?.flatMap((branch) => probesFor(branch)) ?? [];
  return [
    null,
    true,
    false,
    0,
    1,
    -1,
    0.5,
    2 ** 53 + 2,
    "",
    "a",
    "x".repeat(2001),
    [],
    ["a"],
    [1, null],
    {},
    { a: 1 },
    { id: "x", name: "y" },
    ...listed,
    ...listed.map((value) => (typeof value === "string" ? `${value}x` : value)),
    ...nested,
    ...fc.sample(fc.jsonValue({ maxDepth: 2 }), { numRuns: 40, seed: 16 }),
  ];
}

describe("every published schema, compacted", () => {
  const validator = new AjvJsonSchemaValidator();
  const generated = TOOLS.flatMap((tool) => [
    {
      where: `${tool.name} input`,
      io: "input" as const,
      schema: z.toJSONSchema(prepareInputSchema(tool.inputSchema).schema, { target: "draft-7", io: "input" }),
    },
    {
      where: `${tool.name} output`,
      io: "output" as const,
      schema: z.toJSONSchema(withTruncatedFlag(tool.outputSchema), { target: "draft-7", io: "output" }),
    },
  ]);

  // Validation is compositional: a schema's verdict depends on its subschemas only through their
  // verdicts. So when every subschema and its compacted form agree on every value, so do the roots.
  it("accepts and refuses exactly what the generated schema does, at every subschema (SDK client's AJV)", () => {
    let compared = 0;
    for (const { where, io, schema } of generated) {
      for (const node of subschemas(schema as JsonSchema)) {
        const original = validator.getValidator(node as never);
        const compacted = validator.getValidator(compactJsonSchema(node, io) as never);
        for (const value of probesFor(node)) {
          expect(
            compacted(value).valid,
            `${where}: ${JSON.stringify(node)} on ${JSON.stringify(value)}`,
          ).toBe(original(value).valid);
          compared += 1;
        }
      }
    }
    expect(compared).toBeGreaterThan(10_000);
  });

  it("is already as short as it gets: compacting twice changes nothing", () => {
    for (const { io, schema } of generated) {
      const once = compactJsonSchema(schema as JsonSchema, io);
      expect(compactJsonSchema(once, io)).toEqual(once);
    }
  });
});
