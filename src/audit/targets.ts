import { z } from "zod";
import { isThirdParty } from "../untrusted-text.js";
import { defOf } from "../zod-def.js";
import type { AuditValue } from "./record.js";

/**
 * Which values of a call an audit record may hold, decided by schemas rather than by argument names,
 * so a new tool is covered without an edit here and a renamed argument stays covered:
 *
 * - Arguments: exactly those whose schema is marked `auditTarget`. The shared vocabulary marks its
 *   identifiers (src/tools/core/schemas.ts: ids, short codes, a request's recipient), so every tool that
 *   takes an id through it is covered. Free text (messages, names, notes) is never marked.
 * - Results: marked fields, and any UUID outside a field marked as third-party text: the ids of what
 *   the act created or changed. Lists are skipped; their members are not what the act was aimed at.
 *
 * Whatever marked it, a value is kept only when it is one token of printable characters, so even a
 * mistaken mark cannot carry a sentence into the log.
 */
const targetRegistry = z.registry<{ auditTarget: true }>();

/** Returns the schema itself, marked as an identifier an audit record names (copies keep the mark). */
export function auditTarget<T extends z.ZodType>(schema: T): T {
  targetRegistry.add(schema, { auditTarget: true });
  return schema;
}

export function isAuditTarget(schema: z.ZodType): boolean {
  return targetRegistry.get(schema)?.auditTarget === true;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const IDENTIFIER = /^[^\s"'\\<>{}]{1,320}$/u;

/** Schema types that hold another schema rather than a value of their own. */
const WRAPPERS = new Set([
  "optional",
  "nullable",
  "default",
  "prefault",
  "nonoptional",
  "readonly",
  "catch",
  "pipe",
  "union",
  "lazy",
  "promise",
]);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** Collects values by path; a path inside a list (`pages[].id`) collects a list. */
class Found {
  readonly values: Record<string, AuditValue> = {};

  add(path: string, value: unknown): void {
    if (typeof value !== "string" || !IDENTIFIER.test(value)) return;
    if (!path.includes("[]")) {
      this.values[path] = value;
      return;
    }
    const list = this.values[path];
    if (Array.isArray(list)) {
      if (!list.includes(value)) list.push(value);
    } else this.values[path] = [value];
  }
}

type Visit = (node: z.ZodType, value: unknown, path: string) => "handled" | "descend";

/** Walks a schema and a value together, calling `visit` at every node the value reaches. */
function walk(schema: z.ZodType, value: unknown, visit: Visit, options: { lists: boolean }): void {
  const step = (node: z.ZodType, item: unknown, path: string): void => {
    if (item === undefined || item === null) return;
    if (visit(node, item, path) === "handled") return;
    const def = defOf(node);
    switch (def.type) {
      case "object":
        if (!isRecord(item)) return;
        for (const [key, inner] of Object.entries(item)) {
          const field = def.shape?.[key];
          if (field) step(field, inner, path ? `${path}.${key}` : key);
        }
        return;
      case "array":
        if (options.lists && Array.isArray(item) && def.element)
          for (const inner of item) step(def.element, inner, `${path}[]`);
        return;
      case "union":
        for (const option of def.options ?? []) step(option, item, path);
        return;
      case "pipe":
        for (const side of [def.in, def.out]) if (side) step(side, item, path);
        return;
      case "lazy":
        if (def.getter) step(def.getter(), item, path);
        return;
      default:
        // optional, nullable, default, readonly, catch and the like wrap one inner schema.
        if (def.innerType) step(def.innerType, item, path);
    }
  };
  step(schema, value, "");
}

/** The marked identifiers among a call's parsed arguments, by argument path. */
export function argumentTargets(schema: z.ZodType, args: unknown): Record<string, AuditValue> {
  const found = new Found();
  walk(
    schema,
    args,
    (node, value, path) => {
      if (!isAuditTarget(node)) return "descend";
      found.add(path, value);
      return "handled";
    },
    { lists: true },
  );
  return found.values;
}

/** The identifiers in a call's result: marked fields and UUIDs outside third-party text, outside lists. */
export function resultIdentifiers(schema: z.ZodType, output: unknown): Record<string, AuditValue> {
  const found = new Found();
  walk(
    schema,
    output,
    (node, value, path) => {
      if (isAuditTarget(node)) {
        found.add(path, value);
        return "handled";
      }
      if (isThirdParty(node)) return "handled";
      // Only at a leaf: a wrapper (`thirdParty(z.string()).nullable()`) may hold the mark one level down.
      if (typeof value === "string" && !WRAPPERS.has(defOf(node).type)) {
        if (UUID.test(value)) found.add(path, value);
        return "handled";
      }
      return "descend";
    },
    { lists: false },
  );
  return found.values;
}
