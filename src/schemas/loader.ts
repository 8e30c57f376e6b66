import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { RaytioError } from "../errors.js";

/**
 * The system schema catalogue: the kinds of personal data an access application can collect. Raytio
 * serves these from S3 at runtime and publishes no API for them, so this server ships its own copy as
 * JSON files. Resolved relative to this module so the same code finds `src/schemas/system/` under
 * tsx/vitest and `dist/schemas/system/` after a build (which must copy the JSON files there).
 */
export const SYSTEM_SCHEMA_DIRECTORY = new URL("./system/", import.meta.url);

export const SCHEMA_NAME_PATTERN = /^(p|u|s)s_[A-Za-z0-9_]+$/;

/** Names the platform uses internally (Raytio schema reference); a schema field with one would collide. */
const RESERVED_FIELD_NAMES = new Set([
  "encrypted_data",
  "encrypted_key",
  "n_id",
  "validation",
  "verify",
  "encrypt",
  "content",
  "content_type",
  "listing_type",
  "permissions",
  "__signature",
  "field_list",
  "breakdown",
  "key",
  "video",
]);

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TAG = /^[a-z_]+(:[A-Za-z0-9_]+)*$/;

/** Why `name` may not be a field name, or undefined when it may. */
export function fieldNameProblem(name: string): string | undefined {
  // Compared case-insensitively: a near-collision such as "Key" is as confusing as the real thing.
  const lower = name.toLowerCase();
  if (RESERVED_FIELD_NAMES.has(lower)) return "is a reserved field name";
  if (lower.startsWith("identity_document_picture_"))
    return "uses the reserved identity_document_picture_ prefix";
  if (lower.startsWith("__group_")) return "may not start with __group_";
  if (lower.endsWith("_temp")) return "may not end in _temp";
  if (name.includes("<=>")) return "may not contain <=> (the conditional-field suffix)";
  if (name.includes(":")) return "may not contain : (tag syntax)";
  if (!FIELD_NAME.test(name)) return "must contain only letters, digits and underscores";
  return undefined;
}

const regexSource = z
  .string()
  .min(1)
  .refine(
    (source) => {
      try {
        // JSON Schema patterns are ECMA-262 with Unicode semantics, as validators such as ajv compile them.
        new RegExp(source, "u");
        return true;
      } catch {
        return false;
      }
    },
    { error: "must be a valid regular expression" },
  );

const SCALAR_TYPES = ["string", "number", "integer", "boolean"] as const;

const validationKeywords = {
  format: z.enum(["date", "date-time", "email", "uri"]).optional(),
  pattern: regexSource.optional(),
  minLength: z.number().int().min(0).optional(),
  maxLength: z.number().int().min(1).optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
  enum: z
    .array(z.union([z.string(), z.number()]))
    .min(1)
    .optional(),
};

type Keywords = {
  type: string;
  format?: string | undefined;
  pattern?: string | undefined;
  minLength?: number | undefined;
  maxLength?: number | undefined;
  minimum?: number | undefined;
  maximum?: number | undefined;
  enum?: (string | number)[] | undefined;
};

/** Keywords that cannot apply to the declared type are mistakes a validator would silently ignore. */
function checkKeywordsFitType(value: Keywords, ctx: z.RefinementCtx): void {
  const fail = (message: string) => ctx.addIssue({ code: "custom", message });
  const isString = value.type === "string";
  const isNumeric = value.type === "number" || value.type === "integer";
  if (!isString) {
    for (const keyword of ["format", "pattern", "minLength", "maxLength"] as const) {
      if (value[keyword] !== undefined) fail(`${keyword} applies only to type string`);
    }
  }
  if (!isNumeric && (value.minimum !== undefined || value.maximum !== undefined)) {
    fail("minimum and maximum apply only to numeric types");
  }
  if (value.minLength !== undefined && value.maxLength !== undefined && value.minLength > value.maxLength) {
    fail("minLength is greater than maxLength");
  }
  if (value.minimum !== undefined && value.maximum !== undefined && value.minimum > value.maximum) {
    fail("minimum is greater than maximum");
  }
  if (value.enum !== undefined) {
    const fits = (option: string | number) =>
      isString
        ? typeof option === "string"
        : isNumeric && typeof option === "number" && (value.type === "number" || Number.isInteger(option));
    if (!value.enum.every(fits)) fail(`enum values must all be of type ${value.type}`);
    if (new Set(value.enum).size !== value.enum.length) fail("enum values must be unique");
  }
}

const itemsSchema = z
  .strictObject({ type: z.enum(SCALAR_TYPES), ...validationKeywords })
  .superRefine(checkKeywordsFitType);

const fieldSchema = z
  .strictObject({
    type: z.enum([...SCALAR_TYPES, "array"]),
    title: z.string().min(1).max(100),
    description: z.string().min(1).max(300).optional(),
    tags: z.array(z.string().regex(TAG, "must look like group:address or action:verify")).optional(),
    priority: z.number().int().min(0).optional(),
    encrypt: z.boolean().optional(),
    ...validationKeywords,
    items: itemsSchema.optional(),
    minItems: z.number().int().min(0).optional(),
    maxItems: z.number().int().min(1).optional(),
  })
  .superRefine((field, ctx) => {
    checkKeywordsFitType(field, ctx);
    const isArray = field.type === "array";
    if (isArray && field.items === undefined) ctx.addIssue({ code: "custom", message: "arrays need items" });
    if (!isArray && (field.items ?? field.minItems ?? field.maxItems) !== undefined) {
      ctx.addIssue({ code: "custom", message: "items, minItems and maxItems apply only to type array" });
    }
  });

/** The confirmed schema template (Raytio schema reference). Strict, so a misspelt key fails instead of vanishing. */
export const systemSchemaSchema = z
  .strictObject({
    name: z.string().regex(SCHEMA_NAME_PATTERN, "must match ^(p|u|s)s_[A-Za-z0-9_]+$"),
    title: z.string().min(1).max(100),
    title_plural: z.string().min(1).max(100),
    description: z.string().min(1).max(300),
    tags: z.array(z.string().regex(TAG, "must look like action:verify")).optional(),
    properties: z.record(z.string(), fieldSchema),
    required: z.array(z.string()).optional(),
    verified_fields: z.array(z.string()).optional(),
    display: z
      .record(
        z.string().regex(/^head_[a-z_]+$/, "display sections are named head_*"),
        z.strictObject({ fields: z.array(z.string()).min(1) }),
      )
      .optional(),
  })
  .superRefine((schema, ctx) => {
    const fieldNames = Object.keys(schema.properties);
    if (fieldNames.length === 0)
      ctx.addIssue({ code: "custom", path: ["properties"], message: "has no fields" });
    for (const name of fieldNames) {
      const problem = fieldNameProblem(name);
      if (problem)
        ctx.addIssue({ code: "custom", path: ["properties", name], message: `"${name}" ${problem}` });
    }
    const checkList = (list: readonly string[] | undefined, path: (string | number)[]) => {
      if (!list) return;
      const seen = new Set<string>();
      list.forEach((name, index) => {
        if (!Object.hasOwn(schema.properties, name)) {
          ctx.addIssue({ code: "custom", path: [...path, index], message: `"${name}" is not in properties` });
        }
        if (seen.has(name))
          ctx.addIssue({ code: "custom", path: [...path, index], message: `"${name}" is repeated` });
        seen.add(name);
      });
    };
    checkList(schema.required, ["required"]);
    checkList(schema.verified_fields, ["verified_fields"]);
    for (const [section, { fields }] of Object.entries(schema.display ?? {})) {
      checkList(fields, ["display", section, "fields"]);
    }
  });

export type SystemSchema = z.output<typeof systemSchemaSchema>;

export interface SystemSchemaSummary {
  name: string;
  title: string;
  description: string;
  field_count: number;
  encrypted_fields: string[];
}

export interface SystemSchemaField {
  name: string;
  title: string;
  type: string;
  encrypted: boolean;
  required: boolean;
}

/** Fields in the order the schema file declares them, which is the order the form shows them. */
export function schemaFields(schema: SystemSchema): SystemSchemaField[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties).map(([name, field]) => ({
    name,
    title: field.title,
    type: field.type,
    encrypted: field.encrypt === true,
    required: required.has(name),
  }));
}

function summarise(schema: SystemSchema): SystemSchemaSummary {
  const fields = schemaFields(schema);
  return {
    name: schema.name,
    title: schema.title,
    description: schema.description,
    field_count: fields.length,
    encrypted_fields: fields.filter((field) => field.encrypted).map((field) => field.name),
  };
}

const WORD_SEPARATORS = /[^\p{L}\p{N}]+/u;

function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(WORD_SEPARATORS)
    .filter((word) => word.length > 0);
}

/** Split at underscores and punctuation too, so "driver license" finds ss_Driver_License. */
function searchWords(schema: SystemSchema): string[] {
  return words(
    [
      schema.name,
      schema.title,
      schema.title_plural,
      schema.description,
      ...(schema.tags ?? []),
      ...Object.values(schema.properties).map((field) => field.title),
    ].join(" "),
  );
}

function normaliseName(name: string): string {
  return name
    .toLowerCase()
    .replace(/^(p|u|s)s_/, "")
    .replace(/[^a-z0-9]/g, "");
}

function initials(name: string): string {
  return name
    .replace(/^(p|u|s)s_/i, "")
    .split("_")
    .map((word) => word.charAt(0).toLowerCase())
    .join("");
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

const MAX_SUGGESTIONS = 3;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

export class SchemaCatalogue {
  readonly #schemas: ReadonlyMap<string, SystemSchema>;
  readonly #searchWords: ReadonlyMap<string, readonly string[]>;

  constructor(schemas: readonly SystemSchema[]) {
    // Frozen because the catalogue is shared by every call in the process.
    const sorted = [...schemas].sort((a, b) => a.name.localeCompare(b.name)).map(deepFreeze);
    this.#schemas = new Map(sorted.map((schema) => [schema.name, schema]));
    this.#searchWords = new Map(sorted.map((schema) => [schema.name, searchWords(schema)]));
  }

  get size(): number {
    return this.#schemas.size;
  }

  names(): string[] {
    return [...this.#schemas.keys()];
  }

  /**
   * Every word of the query must start a word of the schema's name, titles, description, tags or field
   * titles: whole-word prefixes, so "ird" finds the IRD number but not "third party".
   */
  list(filter: { query?: string | undefined } = {}): SystemSchemaSummary[] {
    const wanted = words(filter.query ?? "");
    const matches = [...this.#schemas.values()].filter((schema) => {
      const available = this.#searchWords.get(schema.name) ?? [];
      return wanted.every((word) => available.some((candidate) => candidate.startsWith(word)));
    });
    return matches.map(summarise);
  }

  get(name: string): SystemSchema | undefined {
    return this.#schemas.get(name);
  }

  /** Undefined for a schema outside the catalogue (e.g. a tenant's ps_/us_ schema): unknown is not "none". */
  encryptedFields(name: string): string[] | undefined {
    const schema = this.#schemas.get(name);
    return schema ? summarise(schema).encrypted_fields : undefined;
  }

  closeMatches(name: string): string[] {
    const target = normaliseName(name);
    if (target.length === 0) return [];
    const targetInitials = target.length <= 4 ? target : undefined;
    const scored: { name: string; score: number }[] = [];
    for (const known of this.#schemas.keys()) {
      const candidate = normaliseName(known);
      const contains = target.length >= 3 && (candidate.includes(target) || target.includes(candidate));
      const distance = editDistance(target, candidate);
      if (contains || targetInitials === initials(known)) scored.push({ name: known, score: 0 });
      else if (distance <= Math.max(2, Math.floor(candidate.length / 4)))
        scored.push({ name: known, score: distance });
    }
    return scored
      .sort((a, b) => a.score - b.score || a.name.localeCompare(b.name))
      .slice(0, MAX_SUGGESTIONS)
      .map((match) => match.name);
  }

  /** Refuses names outside the catalogue before anything is sent, suggesting what the caller may have meant. */
  assertKnown(names: readonly string[]): void {
    const unknown = [...new Set(names.filter((name) => !this.#schemas.has(name)))];
    if (unknown.length === 0) return;
    const suggestions = Object.fromEntries(unknown.map((name) => [name, this.closeMatches(name)]));
    const described = unknown.map((name) => {
      const close = suggestions[name] ?? [];
      return close.length > 0 ? `${name} (did you mean ${close.join(" or ")}?)` : name;
    });
    throw new RaytioError(
      "DSM_VALIDATION",
      `Unknown schema${unknown.length === 1 ? "" : "s"}: ${described.join(", ")}. Call list_schemas to see the schemas that can be requested.`,
      { details: { unknown_schemas: unknown, suggestions } },
    );
  }
}

function parseSchemaFile(path: string, fileName: string): SystemSchema {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new RaytioError(
      "INTERNAL_ERROR",
      `System schema file ${fileName} (${path}) is not valid JSON: ${reason}`,
      {
        cause: error,
      },
    );
  }
  const parsed = systemSchemaSchema.safeParse(json);
  // A RaytioError rather than the ZodError: the tool choke point reports ZodErrors as API contract problems.
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.map(String).join(".") || "(root)"}: ${issue.message}`)
      .join("; ");
    throw new RaytioError(
      "INTERNAL_ERROR",
      `System schema file ${fileName} (${path}) is invalid: ${problems}`,
    );
  }
  const expectedFile = `${parsed.data.name}.json`;
  if (fileName !== expectedFile) {
    throw new RaytioError(
      "INTERNAL_ERROR",
      `System schema file ${fileName} (${path}) declares name ${parsed.data.name}; rename the file to ${expectedFile} or fix the name.`,
    );
  }
  if (!parsed.data.name.startsWith("ss_")) {
    throw new RaytioError(
      "INTERNAL_ERROR",
      `System schema file ${fileName} (${path}) is not a system schema: system schema names start with ss_.`,
    );
  }
  return parsed.data;
}

/** Reads and validates every schema in `directory`, uncached. Tests pass their own directory. */
export function loadSchemaCatalogue(directory: URL | string = SYSTEM_SCHEMA_DIRECTORY): SchemaCatalogue {
  const directoryPath = typeof directory === "string" ? directory : fileURLToPath(directory);
  let files: string[];
  try {
    files = readdirSync(directoryPath, { withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith(".json"))
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    throw new RaytioError(
      "INTERNAL_ERROR",
      `System schema folder ${directoryPath} cannot be read. The build must copy src/schemas/system/*.json to dist/schemas/system/.`,
      { cause: error },
    );
  }
  if (files.length === 0) {
    throw new RaytioError(
      "INTERNAL_ERROR",
      `System schema folder ${directoryPath} has no .json files. The build must copy src/schemas/system/*.json to dist/schemas/system/.`,
    );
  }
  const schemas = files.map((file) => parseSchemaFile(join(directoryPath, file), file));
  // Case-insensitive file systems (macOS, Windows) would let one of two such files shadow the other.
  const seen = new Map<string, string>();
  for (const schema of schemas) {
    const other = seen.get(schema.name.toLowerCase());
    if (other) {
      throw new RaytioError(
        "INTERNAL_ERROR",
        `System schema files ${other}.json and ${schema.name}.json differ only in case.`,
      );
    }
    seen.set(schema.name.toLowerCase(), schema.name);
  }
  return new SchemaCatalogue(schemas);
}

let catalogue: SchemaCatalogue | undefined;

/** Loaded on first use and kept for the process; a failed load is not cached, so it fails loudly each time. */
export function systemSchemaCatalogue(): SchemaCatalogue {
  catalogue ??= loadSchemaCatalogue();
  return catalogue;
}

export function listSystemSchemas(filter?: { query?: string | undefined }): SystemSchemaSummary[] {
  return systemSchemaCatalogue().list(filter);
}

export function getSystemSchema(name: string): SystemSchema | undefined {
  return systemSchemaCatalogue().get(name);
}

export function encryptedFields(name: string): string[] | undefined {
  return systemSchemaCatalogue().encryptedFields(name);
}

/** Throws DSM_VALIDATION naming every unknown schema, with close matches from the catalogue. */
export function assertKnownSchemas(names: readonly string[]): void {
  systemSchemaCatalogue().assertKnown(names);
}
