import { z } from "zod";
import { defOf } from "./zod-def.js";

/**
 * Marks output fields that carry text written by someone other than the person in this conversation
 * (party names, notes, tags, titles, descriptions, memories, step content, decrypted values). Whether a
 * tool result is fenced as untrusted data is decided from these marks and the values actually
 * returned, never by a per-tool flag: a flag goes stale when a field is added, a mark travels with the
 * schema wherever it is moved or extended.
 *
 * The marks live in their own zod registry rather than in `.meta()`, so they never reach the JSON
 * Schema published in tools/list (clients gain nothing from them, and tools/list size is budgeted).
 */
const thirdPartyRegistry = z.registry<{ thirdParty: true }>();

/** Returns the schema itself, marked: `name: thirdParty(z.string())`. */
export function thirdParty<T extends z.ZodType>(schema: T): T {
  thirdPartyRegistry.add(schema, { thirdParty: true });
  return schema;
}

/** True for a marked schema, or a copy of one (`.describe()` clones keep their parent's marks). */
export function isThirdParty(schema: z.ZodType): boolean {
  return thirdPartyRegistry.get(schema)?.thirdParty === true;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** Where marked text goes; `done` stops the walk early once the caller has seen enough. */
interface Found {
  add(text: string): void;
  readonly done: boolean;
}

/** Every non-empty string in a value, object keys included. */
function strings(value: unknown, into: Found): void {
  if (into.done) return;
  if (typeof value === "string") {
    if (value.length > 0) into.add(value);
  } else if (Array.isArray(value)) {
    for (const item of value) strings(item, into);
  } else if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (key.length > 0) into.add(key);
      strings(item, into);
    }
  }
}

/**
 * The non-empty text in marked fields of `value` (a tool's output as its schema parsed it). Walks the
 * schema and the value together, so an empty name, an empty tag list or a null note adds nothing.
 */
export function thirdPartyValues(schema: z.ZodType, value: unknown): string[] {
  const found = new Set<string>();
  walkMarked(schema, value, { add: (text) => found.add(text), done: false });
  return [...found];
}

/**
 * Text the person in this conversation wrote: every string of the arguments they sent this server.
 * Their application's name coming back from create_access_application, or as the default name of the
 * form create_form makes next, is not third-party text, and fencing it would tell the model otherwise.
 * Only exact matches count, so nothing anyone else wrote is ever let out of the fence: a value equal
 * to a string the caller sent carries nothing the conversation did not already hold.
 */
export class CallerText {
  /** Insertion order is age: the oldest strings are forgotten first. */
  private readonly seen = new Set<string>();

  constructor(
    private readonly maxStrings = 2_000,
    /** Longer strings are not remembered (they stay fenced): memory stays small whatever is sent. */
    private readonly maxChars = 4_000,
  ) {}

  remember(args: unknown): void {
    strings(args, {
      add: (text) => {
        if (text.length > this.maxChars) return;
        this.seen.delete(text);
        this.seen.add(text);
        if (this.seen.size > this.maxStrings) {
          const oldest = this.seen.values().next();
          // Stryker disable next-line ConditionalExpression: the set holds more than maxStrings here, so it has an oldest
          if (!oldest.done) this.seen.delete(oldest.value);
        }
      },
      done: false,
    });
  }

  wrote(text: string): boolean {
    return this.seen.has(text);
  }
}

/**
 * Put on a tool's raw output (beside its fields, never in them) by `serverWrote`: strings in marked
 * fields that this server chose itself in this call, such as the catalogue title it gave a form page.
 */
const SERVER_WROTE = Symbol("strings this server wrote into marked fields");

/** Vouches for `texts` in `output`'s marked fields as this server's own (see SERVER_WROTE). */
export function serverWrote<T extends object>(output: T, texts: Iterable<string>): T {
  Object.defineProperty(output, SERVER_WROTE, { value: new Set(texts), enumerable: false });
  return output;
}

/** The strings a tool vouched for in its raw output, if any. */
export function vouchedText(output: unknown): ReadonlySet<string> {
  const texts = isRecord(output) ? (output as { [SERVER_WROTE]?: Set<string> })[SERVER_WROTE] : undefined;
  return texts ?? new Set();
}

/**
 * Whether a result must be fenced: it holds at least one non-empty marked value that is not `known`
 * (written by the caller themselves, or by this server).
 */
export function carriesThirdPartyText(
  schema: z.ZodType,
  value: unknown,
  // Stryker disable next-line ArrowFunction: undefined is as falsy as false
  known: (text: string) => boolean = () => false,
): boolean {
  let carries = false;
  walkMarked(schema, value, {
    add: (text) => {
      if (!known(text)) carries = true;
    },
    get done() {
      return carries;
    },
  });
  return carries;
}

function walkMarked(schema: z.ZodType, value: unknown, found: Found): void {
  const walk = (node: z.ZodType, item: unknown): void => {
    // Shortcuts only: strings() checks `done` itself, and no branch below finds text in undefined or null.
    // Stryker disable next-line ConditionalExpression,LogicalOperator: see above
    if (found.done || item === undefined || item === null) return;
    if (isThirdParty(node)) {
      strings(item, found);
      return;
    }
    const def = defOf(node);
    switch (def.type) {
      case "object":
        if (!isRecord(item)) return;
        for (const [key, inner] of Object.entries(item)) {
          // Stryker disable next-line OptionalChaining: zod gives every object schema a shape
          const field = def.shape?.[key] ?? def.catchall;
          if (field) walk(field, inner);
        }
        return;
      case "array":
        if (Array.isArray(item) && def.element) for (const inner of item) walk(def.element, inner);
        return;
      case "tuple":
        if (!Array.isArray(item)) return;
        item.forEach((inner, index) => {
          // Stryker disable next-line OptionalChaining: zod gives every tuple schema its items
          const field = def.items?.[index] ?? def.rest;
          if (field) walk(field, inner);
        });
        return;
      case "record":
        if (!isRecord(item)) return;
        for (const [key, inner] of Object.entries(item)) {
          if (def.keyType) walk(def.keyType, key);
          if (def.valueType) walk(def.valueType, inner);
        }
        return;
      case "union":
        // Stryker disable next-line ArrayDeclaration: zod gives every union schema its options
        for (const option of def.options ?? []) walk(option, item);
        return;
      case "intersection":
      case "pipe":
        for (const side of [def.left, def.right, def.in, def.out]) if (side) walk(side, item);
        return;
      case "lazy":
        if (def.getter) walk(def.getter(), item);
        return;
      default:
        // optional, nullable, default, readonly, catch and the like wrap one inner schema.
        if (def.innerType) walk(def.innerType, item);
    }
  };
  walk(schema, value);
}
