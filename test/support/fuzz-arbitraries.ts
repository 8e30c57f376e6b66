import fc from "fast-check";

/**
 * A small JSON Schema → fast-check bridge over exactly the subset `tools/list` publishes (type, enum,
 * const, anyOf/oneOf/allOf, properties/required/additionalProperties, items, length, range, pattern,
 * format). It makes two kinds of tool arguments: valid-shaped ones (so a call really executes) and
 * invalid ones (each breaks the schema in at least one way the schema forbids, plus optional nasties).
 */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const MAX_DEPTH = 5;
export const ONE_MEBIBYTE = 1024 * 1024;

/** Text that has broken query builders, databases and loggers before. */
export const NASTY_STRINGS: readonly string[] = [
  "\u0000",
  "a\u0000b",
  "' OR 1=1 --",
  '"); drop table ppm_work_item; --',
  "*",
  "%",
  "_",
  "\\",
  '"',
  "x*,status.eq.DONE),or(title.ilike.*",
  "),or(id.not.is.null",
  "eq.1&select=*",
  "\ud800",
  "\r\n\r\nX-Injected: 1",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell-style payload, literally.
  "${jndi:ldap://example.invalid/a}",
  "<script>alert(1)</script>",
  "../../../../etc/passwd",
  "%00%2e%2e%2f",
  "😀👩‍👩‍👧‍👦🇳🇿",
  "٩(͡๏̯͡๏)۶",
  " ",
];

export const PROTO_KEYS = ["__proto__", "constructor", "prototype"] as const;

/** 1,000 levels of `{"a": …}` or `[…]`, built without recursion. */
export function deeplyNested(levels: number, kind: "object" | "array" = "object"): Json {
  let value: Json = "bottom";
  for (let i = 0; i < levels; i += 1) value = kind === "object" ? { a: value } : [value];
  return value;
}

/** An object whose prototype-pollution keys are own properties, as JSON.parse makes them. */
export function withProtoKeys(base: Record<string, unknown>): Record<string, unknown> {
  const polluted = JSON.parse(
    '{"__proto__": {"polluted": "yes", "isAdmin": true}, "constructor": {"prototype": {"polluted": "yes"}}, "prototype": {"polluted": "yes"}}',
  ) as Record<string, unknown>;
  return Object.assign(JSON.parse(JSON.stringify(base)) as Record<string, unknown>, polluted);
}

function typesOf(schema: JsonSchema): Set<string> | undefined {
  if (schema.const !== undefined) return new Set([jsonType(schema.const)]);
  if (schema.enum) return new Set(schema.enum.map(jsonType));
  const union = schema.anyOf ?? schema.oneOf;
  if (union) {
    const all = new Set<string>();
    for (const member of union) {
      const types = typesOf(member);
      if (!types) return undefined;
      for (const type of types) all.add(type);
    }
    return all;
  }
  if (schema.allOf?.[0]) return typesOf(mergeAllOf(schema));
  if (schema.type === undefined) return schema.properties ? new Set(["object"]) : undefined;
  const types = new Set(Array.isArray(schema.type) ? schema.type : [schema.type]);
  if (types.has("integer")) types.add("number");
  return types;
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function mergeAllOf(schema: JsonSchema): JsonSchema {
  const { allOf, ...rest } = schema;
  return Object.assign({}, rest, ...(allOf ?? []));
}

function stringArb(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.min(schema.maxLength ?? 60, Math.max(minLength, 60));
  const fits = (value: string) => value.length >= minLength && value.length <= (schema.maxLength ?? Infinity);
  if (schema.pattern) {
    return fc.stringMatching(new RegExp(schema.pattern)).filter(fits);
  }
  switch (schema.format) {
    case "uuid":
      return fc.uuid();
    case "date":
      return fc
        .date({ min: new Date("1990-01-01"), max: new Date("2100-01-01"), noInvalidDate: true })
        .map((date) => date.toISOString().slice(0, 10));
    case "date-time":
      return fc
        .date({ min: new Date("1990-01-01"), max: new Date("2100-01-01"), noInvalidDate: true })
        .map((date) => date.toISOString());
    case "email":
      return fc.emailAddress().filter(fits);
  }
  const candidates: Array<fc.Arbitrary<string>> = [
    fc.string({ minLength, maxLength }),
    fc.string({ minLength, maxLength, unit: "grapheme" }),
  ];
  const nasty = NASTY_STRINGS.filter(fits);
  if (nasty.length > 0) candidates.push(fc.constantFrom(...nasty));
  if (fits("00000000-0000-4000-8000-000000000000")) candidates.push(fc.uuid());
  if (fits("2025-01-31")) candidates.push(fc.constantFrom("2025-01-31", "2025-01-31T10:00:00Z"));
  return fc.oneof(...candidates);
}

function numberArb(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const lower = schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : schema.minimum;
  const upper = schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : schema.maximum;
  if (integer) {
    return fc.integer({
      min: Math.ceil(lower ?? -1_000_000),
      max: Math.floor(upper ?? 1_000_000),
    });
  }
  return fc.double({
    min: lower ?? -1_000_000,
    max: upper ?? 1_000_000,
    noNaN: true,
    noDefaultInfinity: true,
  });
}

/**
 * What JSON Schema cannot say but names and descriptions do (ids are UUIDs, dates are ISO), so more
 * generated calls get past the tools' own validation and really run. `ids` are real record ids.
 */
export interface Hints {
  ids?: readonly string[];
}

function hintedArb(key: string, schema: JsonSchema, depth: number, hints: Hints): fc.Arbitrary<unknown> {
  const plainString =
    schema.type === "string" && !schema.enum && !schema.pattern && schema.const === undefined;
  if (plainString && (key === "id" || key.endsWith("_id"))) {
    const real = hints.ids && hints.ids.length > 0 ? [fc.constantFrom(...hints.ids)] : [];
    return fc.oneof(
      { arbitrary: fc.uuid(), weight: 2 },
      ...real.map((arbitrary) => ({ arbitrary, weight: 3 })),
      {
        arbitrary: validArb(schema, depth, hints),
        weight: 1,
      },
    );
  }
  const description = (schema as { description?: string }).description ?? "";
  if (plainString && /YYYY-MM-DD/.test(description)) {
    return fc.oneof(stringArb({ ...schema, format: "date" }), validArb(schema, depth, hints));
  }
  if (plainString && /ISO 8601/.test(description)) {
    return fc.oneof(stringArb({ ...schema, format: "date-time" }), validArb(schema, depth, hints));
  }
  return validArb(schema, depth, hints);
}

/** Values the schema accepts (as far as JSON Schema can say: zod refinements may still refuse). */
export function validArgsArb(
  schema: JsonSchema,
  withHints: Hints = {},
): fc.Arbitrary<Record<string, unknown>> {
  // A cursor only this server can issue is refused by design; leave it out of valid-shaped calls.
  const { cursor: _cursor, ...properties } = schema.properties ?? {};
  return validArb(
    { ...schema, properties, required: (schema.required ?? []).filter((key) => key !== "cursor") },
    0,
    withHints,
  ) as fc.Arbitrary<Record<string, unknown>>;
}

/** Values the schema accepts (as far as JSON Schema can say: zod refinements may still refuse). */
export function validArb(schema: JsonSchema, depth = 0, hints: Hints = {}): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum && schema.enum.length > 0) return fc.constantFrom(...schema.enum);
  const union = schema.anyOf ?? schema.oneOf;
  if (union && union.length > 0) return fc.oneof(...union.map((member) => validArb(member, depth, hints)));
  if (schema.allOf) return validArb(mergeAllOf(schema), depth, hints);
  const types =
    schema.type === undefined ? undefined : Array.isArray(schema.type) ? schema.type : [schema.type];
  if (!types) {
    if (schema.properties) return objectArb(schema, depth, hints);
    return depth >= MAX_DEPTH ? fc.constant(null) : fc.jsonValue({ maxDepth: 2 });
  }
  return fc.oneof(
    ...types.map((type): fc.Arbitrary<unknown> => {
      switch (type) {
        case "string":
          return stringArb(schema);
        case "integer":
          return numberArb(schema, true);
        case "number":
          return numberArb(schema, false);
        case "boolean":
          return fc.boolean();
        case "null":
          return fc.constant(null);
        case "array": {
          const minLength = schema.minItems ?? 0;
          const maxLength = Math.max(minLength, Math.min(schema.maxItems ?? 4, 4));
          if (depth >= MAX_DEPTH && minLength === 0) return fc.constant([]);
          return fc.array(validArb(schema.items ?? {}, depth + 1, hints), { minLength, maxLength });
        }
        default:
          return objectArb(schema, depth, hints);
      }
    }),
  );
}

function objectArb(schema: JsonSchema, depth: number, hints: Hints): fc.Arbitrary<Record<string, unknown>> {
  const properties = schema.properties ?? {};
  const required = (schema.required ?? []).filter((key) => key in properties);
  if (depth >= MAX_DEPTH) {
    return fc.record(
      Object.fromEntries(required.map((key) => [key, validArb(properties[key] ?? {}, depth, hints)])),
    );
  }
  const model = Object.fromEntries(
    Object.entries(properties).map(([key, value]) => [key, hintedArb(key, value, depth + 1, hints)]),
  );
  const base = fc.record(model, { requiredKeys: required });
  // An absent additionalProperties accepts any value, as `{}` does (tools/list leaves it out then).
  const extra = schema.additionalProperties ?? {};
  if (Object.keys(properties).length === 0 && extra && typeof extra === "object") {
    return fc.dictionary(
      fc.string({ minLength: 1, maxLength: 20 }),
      validArb(extra, depth + 1, hints) as fc.Arbitrary<unknown>,
      { maxKeys: 4 },
    );
  }
  return base;
}

/** Something of a JSON type the schema does not allow, or undefined when it allows every type. */
function wrongTypeArb(schema: JsonSchema): fc.Arbitrary<unknown> | undefined {
  const allowed = typesOf(schema);
  if (!allowed) return undefined;
  const candidates: Array<[string, unknown]> = [
    ["string", "definitely not the right type"],
    ["number", 1.5],
    ["integer", 12_345],
    ["boolean", true],
    ["null", null],
    ["array", [1, "two", { three: 3 }]],
    ["object", { unexpected: { nested: true } }],
    ["object", deeplyNested(1_000)],
    ["array", deeplyNested(1_000, "array")],
  ];
  const wrong = candidates
    .filter(([type]) => !allowed.has(type) && !(type === "integer" && allowed.has("number")))
    .map(([, value]) => value);
  // An enum or const of strings still refuses other strings.
  if ((schema.enum || schema.const !== undefined) && allowed.has("string"))
    wrong.push("not-one-of-the-values");
  return wrong.length > 0 ? fc.constantFrom(...wrong) : undefined;
}

/** A value the schema refuses for its range, length or size (not its type), if it has such limits. */
function outOfRangeArb(schema: JsonSchema): fc.Arbitrary<unknown> | undefined {
  const options: unknown[] = [];
  const types = typesOf(schema) ?? new Set<string>();
  if (types.has("number") || types.has("integer")) {
    if (schema.minimum !== undefined) options.push(schema.minimum - 1, -1e308);
    if (schema.maximum !== undefined) options.push(schema.maximum + 1, 1e308);
    if (schema.type === "integer") options.push(0.5, Number.MAX_SAFE_INTEGER + 2.5);
  }
  if (types.has("string") && !schema.enum && schema.const === undefined) {
    if (schema.maxLength !== undefined && schema.maxLength < ONE_MEBIBYTE) {
      options.push("x".repeat(schema.maxLength + 1), `${"\u0000".repeat(8)}${"y".repeat(ONE_MEBIBYTE)}`);
    }
    if ((schema.minLength ?? 0) > 0) options.push("");
  }
  if (types.has("array") && schema.maxItems !== undefined) {
    options.push(Array.from({ length: schema.maxItems + 1 }, () => null));
  }
  return options.length > 0 ? fc.constantFrom(...options) : undefined;
}

export interface InvalidCase {
  args: unknown;
  /** Which rule the mutation broke, for the failure message. */
  mutation: string;
}

/**
 * Arguments that break the top-level object schema: a property of the wrong type, a required property
 * missing, an out-of-range value, or not an object at all; sometimes with extra properties,
 * prototype-pollution keys and NUL bytes on top. Callers that must be sure nothing executes still
 * check the tool's own zod schema refuses them (zod refinements can be stricter or laxer than JSON Schema).
 */
export function invalidArgsArb(schema: JsonSchema): fc.Arbitrary<InvalidCase> {
  const properties = schema.properties ?? {};
  const valid = validArb(schema) as fc.Arbitrary<Record<string, unknown>>;
  const mutations: Array<fc.Arbitrary<InvalidCase>> = [
    fc
      .constantFrom<unknown>([], "arguments as a string", 42, true, [{ a: 1 }], deeplyNested(1_000, "array"))
      .map((args) => ({ args, mutation: "arguments not an object" })),
  ];
  for (const [key, propertySchema] of Object.entries(properties)) {
    const wrong = wrongTypeArb(propertySchema);
    if (wrong) {
      mutations.push(
        fc
          .tuple(valid, wrong)
          .map(([args, value]) => ({ args: { ...args, [key]: value }, mutation: `${key}: wrong type` })),
      );
    }
    const outOfRange = outOfRangeArb(propertySchema);
    if (outOfRange) {
      mutations.push(
        fc
          .tuple(valid, outOfRange)
          .map(([args, value]) => ({ args: { ...args, [key]: value }, mutation: `${key}: out of range` })),
      );
    }
  }
  for (const key of schema.required ?? []) {
    mutations.push(
      valid.map((args) => {
        const { [key]: _dropped, ...rest } = args;
        return { args: rest, mutation: `${key}: missing` };
      }),
    );
  }
  return fc
    .tuple(fc.oneof(...mutations), fc.boolean(), fc.boolean(), fc.boolean())
    .map(([invalid, protoKeys, extraProperty, nulBytes]) => {
      if (!invalid.args || typeof invalid.args !== "object" || Array.isArray(invalid.args)) return invalid;
      let args = invalid.args as Record<string, unknown>;
      const extras: string[] = [];
      if (nulBytes) {
        args = Object.fromEntries(
          Object.entries(args).map(([key, value]) => [
            key,
            typeof value === "string" ? `${value}\u0000` : value,
          ]),
        );
        extras.push("NUL bytes");
      }
      if (extraProperty) {
        args = { ...args, not_in_the_schema: "extra", "": { "": [] } };
        extras.push("extra properties");
      }
      if (protoKeys) {
        args = withProtoKeys(args);
        extras.push("__proto__/constructor/prototype keys");
      }
      return { args, mutation: [invalid.mutation, ...extras].join(" + ") };
    });
}

/** One argument set that satisfies the schema's structure with the plainest values (for storms). */
export function plainArgs(schema: JsonSchema): Record<string, unknown> {
  const value = plainValue(schema, 0);
  return value && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function plainValue(schema: JsonSchema, depth: number): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  const union = schema.anyOf ?? schema.oneOf;
  if (union?.[0]) return plainValue(union[0], depth);
  if (schema.allOf) return plainValue(mergeAllOf(schema), depth);
  const type = Array.isArray(schema.type)
    ? schema.type[0]
    : (schema.type ?? (schema.properties ? "object" : "null"));
  switch (type) {
    case "string": {
      if (schema.pattern)
        return fc.sample(fc.stringMatching(new RegExp(schema.pattern)), { numRuns: 1, seed: 1 })[0];
      if (schema.format === "date") return "2025-06-30";
      if (schema.format === "date-time") return "2025-06-30T10:00:00Z";
      const text = "00000000-0000-4000-8000-000000000000";
      const max = schema.maxLength ?? text.length;
      return text.length >= (schema.minLength ?? 0) && text.length <= max
        ? text
        : "x".repeat(Math.max(1, schema.minLength ?? 1));
    }
    case "integer":
    case "number":
      return schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 1);
    case "boolean":
      return false;
    case "null":
      return null;
    case "array":
      return Array.from({ length: schema.minItems ?? 0 }, () => plainValue(schema.items ?? {}, depth + 1));
    case "object": {
      const result: Record<string, unknown> = {};
      for (const key of schema.required ?? []) {
        result[key] = plainValue(schema.properties?.[key] ?? {}, depth + 1);
      }
      return result;
    }
    default:
      return null;
  }
}
