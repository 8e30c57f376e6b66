/**
 * tools/list is sent to every client on every start, so the JSON Schemas zod generates are rewritten
 * here into the shortest form that means exactly the same thing. Each rule below drops or merges only
 * what a JSON Schema validator provably ignores or can read off what remains; none touches a
 * description, a default, a bound or a required list.
 *
 * Input schemas are what clients read directly (Claude Code and Codex hand them to the model, and
 * some converters expect a `type` on every property and know no type lists), so they get only the
 * rules that leave no unusual construct behind. Output schemas are read by validators (the SDK
 * client's AJV) and get every rule.
 *
 * Without `$schema`, an MCP 2025-11-25 client reads a schema as JSON Schema 2020-12, an older one
 * usually as draft-07. Everything zod emits for us means the same in both (a registry test keeps the
 * keywords to that shared set), so dropping the draft-07 marker changes no reading.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonSchema = { [key: string]: Json };

/** Keywords whose value is a subschema, a list of subschemas or a map of them; all others are data. */
const SUBSCHEMA = new Set(["items", "additionalProperties", "propertyNames", "not", "contains"]);
const SUBSCHEMA_LISTS = new Set(["anyOf", "oneOf", "allOf"]);
const SUBSCHEMA_MAPS = new Set(["properties", "patternProperties", "$defs", "definitions"]);

/** Keywords that constrain only instances of one JSON type: an instance of any other type ignores them. */
const TYPE_ONLY_KEYWORDS: Record<string, ReadonlySet<string>> = {
  string: new Set(["minLength", "maxLength", "pattern", "format"]),
  number: new Set(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]),
  integer: new Set(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]),
  boolean: new Set(),
  array: new Set(["items", "minItems", "maxItems", "uniqueItems", "contains"]),
  object: new Set([
    "properties",
    "required",
    "additionalProperties",
    "propertyNames",
    "patternProperties",
    "minProperties",
    "maxProperties",
  ]),
};
/** Annotations a merged branch may bring to its parent when the parent has none of its own. */
const ANNOTATIONS = new Set(["description", "title"]);

function isObject(value: Json | undefined): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isEmptySchema(value: Json | undefined): boolean {
  return value === true || (isObject(value) && Object.keys(value).length === 0);
}

function matchesType(value: Json, type: string): boolean {
  switch (type) {
    case "null":
      return value === null;
    case "array":
      return Array.isArray(value);
    case "object":
      return isObject(value);
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    default:
      return typeof value === type;
  }
}

/** True when every listed value already has (one of) the given type(s), so `type` rules nothing out. */
function typeImpliedBy(type: Json | undefined, values: Json[]): boolean {
  const types = typeof type === "string" ? [type] : Array.isArray(type) ? type : undefined;
  if (!types?.every((entry) => typeof entry === "string")) return false;
  return values.every((value) => types.some((entry) => matchesType(value, entry as string)));
}

/** `anyOf: [X, {type: "null"}]` (either order) as one schema, or undefined when it cannot be merged. */
function mergeNullable(parent: JsonSchema, anyOf: Json[]): JsonSchema | undefined {
  if (anyOf.length !== 2) return undefined;
  const nullAt = anyOf.findIndex(
    (branch) => isObject(branch) && Object.keys(branch).length === 1 && branch.type === "null",
  );
  const other = anyOf[1 - nullAt];
  if (nullAt === -1 || !isObject(other)) return undefined;
  const { anyOf: _anyOf, ...rest } = parent;
  // The branch's keys move up beside the parent's, so no key may be on both.
  if (Object.keys(other).some((key) => key in rest)) return undefined;

  // {enum: [a, b]} or {const: a} | null  ≡  {enum: [a, b, null]}: an enum is a list of allowed values.
  const keys = Object.keys(other).filter((key) => !ANNOTATIONS.has(key));
  if (keys.length === 1 && (keys[0] === "enum" || keys[0] === "const")) {
    const values = keys[0] === "const" ? [other.const as Json] : other.enum;
    if (!Array.isArray(values)) return undefined;
    const { enum: _enum, const: _const, ...annotations } = other;
    return { ...rest, ...annotations, enum: values.includes(null) ? values : [...values, null] };
  }

  // {type: T, <keywords only T's instances obey>} | null  ≡  {type: [T, "null"], <same keywords>}:
  // null satisfies the second because it ignores every one of those keywords.
  const type = other.type;
  const only = typeof type === "string" ? TYPE_ONLY_KEYWORDS[type] : undefined;
  if (!only || !keys.every((key) => key === "type" || only.has(key))) return undefined;
  return { ...rest, ...other, type: [type as string, "null"] };
}

/**
 * The same schema, in fewer bytes. A pure function of its argument (which it does not change), so
 * the result can be built ahead of time and cached like the rest of a tools/list entry.
 */
export function compactJsonSchema(schema: JsonSchema, io: "input" | "output"): JsonSchema {
  const compact = (node: JsonSchema): JsonSchema => {
    let out: JsonSchema = {};
    for (const [key, value] of Object.entries(node)) {
      // A marker of the draft zod targets, not a constraint (see above on dialects).
      if (key === "$schema") continue;
      if (SUBSCHEMA.has(key) && isObject(value)) out[key] = compact(value);
      else if (SUBSCHEMA_LISTS.has(key) && Array.isArray(value))
        out[key] = value.map((branch) => (isObject(branch) ? compact(branch) : branch));
      else if (SUBSCHEMA_MAPS.has(key) && isObject(value))
        out[key] = Object.fromEntries(
          Object.entries(value).map(([name, child]) => [name, isObject(child) ? compact(child) : child]),
        );
      else out[key] = value;
    }

    // Every property name in JSON is a string: {type: "string"} rules no name out.
    if (isObject(out.propertyNames) && Object.keys(out.propertyNames).length === 1) {
      if (out.propertyNames.type === "string") delete out.propertyNames;
    }
    // `true` and `{}` accept anything, which is what an absent additionalProperties means.
    if ("additionalProperties" in out && isEmptySchema(out.additionalProperties))
      delete out.additionalProperties;

    if (io === "output") {
      // An enum or const whose values all have the stated type already says that type.
      const values = Array.isArray(out.enum) ? out.enum : "const" in out ? [out.const as Json] : undefined;
      if (values && "type" in out && typeImpliedBy(out.type, values)) delete out.type;
      // zod writes a nullable with constraints as a two-branch anyOf; one schema says the same.
      if (Array.isArray(out.anyOf)) out = mergeNullable(out, out.anyOf) ?? out;
    }
    return out;
  };
  return compact(schema);
}
