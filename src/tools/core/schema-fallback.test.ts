import { describe, expect, it } from "vitest";
import { z } from "zod";
import { decodeFallbacks, prepareInputSchema } from "./schema-fallback.js";

const point = z.custom<{ x: number }>(
  (value) => typeof value === "object" && value !== null && typeof (value as { x?: unknown }).x === "number",
);

describe("input schema fallback", () => {
  const original = z.object({
    name: z.string(),
    since: z.date().optional().describe("Earliest date"),
    where: point,
  });

  it("replaces fields JSON Schema cannot express with a documented string form", () => {
    const prepared = prepareInputSchema(original);
    expect(prepared.fallbacks).toEqual(["since", "where"]);
    const json = z.toJSONSchema(prepared.schema, { io: "input" }) as {
      properties: Record<string, { type: string; description?: string }>;
      required: string[];
    };
    expect(json.properties.since).toMatchObject({
      type: "string",
      description: "Earliest date. JSON-encoded value",
    });
    expect(json.properties.where).toMatchObject({ type: "string", description: "JSON-encoded value" });
    expect(json.required).toEqual(["name", "where"]);
  });

  it("leaves an expressible schema untouched", () => {
    const schema = z.object({ a: z.string() });
    expect(prepareInputSchema(schema).schema).toBe(schema);
  });

  it("decodes fallback fields so the tool's own schema validates the real type", () => {
    const decoded = decodeFallbacks({ name: "n", where: '{"x":3}' }, ["since", "where"]);
    expect(original.parse(decoded)).toEqual({ name: "n", where: { x: 3 } });
    const wrong = decodeFallbacks({ name: "n", where: "not json" }, ["where"]);
    expect(original.safeParse(wrong).success).toBe(false);
  });
});
