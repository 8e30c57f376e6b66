import type { z } from "zod";
import { RaytioError } from "../../errors.js";
import { withoutHiddenMentions } from "./mentions.js";

/**
 * Turns zod's issues about a tool's arguments into one VALIDATION error a model can act on: each
 * sentence names the field, what it must be and what was received. Unions report only the branch
 * that matches the received value's type, so a wrong enum value never drags in the list branch's
 * complaints. Unknown keys are named, with the tool that takes them when the intent belongs elsewhere.
 */

/** Where an unknown argument's intent belongs: another tool, and how to use it there. */
export interface Redirect {
  tool: string;
  /** Finishes "To <purpose>, use <tool> <how>." */
  purpose: string;
  how: string;
}

export interface ArgumentsContext {
  tool: string;
  /** The argument names the tool takes, listed when an unknown one is refused. */
  accepted: readonly string[];
  redirects?: Readonly<Record<string, Redirect>> | undefined;
  /** Tools that exist but are not exposed in this process: never pointed to. */
  hidden: ReadonlySet<string>;
}

type Issue = z.core.$ZodIssue;

const MAX_SENTENCES = 5;
const MAX_SHOWN_CHARS = 40;

export function argumentsError(issues: readonly Issue[], context: ArgumentsContext): RaytioError {
  const unknownKeys = issues.filter(isUnknownArgument).flatMap((issue) => issue.keys);
  const others = issues.filter((issue) => !isUnknownArgument(issue));
  const sentences: string[] = [];
  const fields: string[] = [];
  if (unknownKeys.length > 0) {
    sentences.push(...unknownKeySentences(unknownKeys, context));
    fields.push(...unknownKeys.slice(0, MAX_KEYS_NAMED).map((key) => key.slice(0, MAX_SHOWN_CHARS)));
  }
  for (const issue of others) {
    const sentence = describeIssue(issue, [], issue.input);
    if (!sentences.includes(sentence.text)) sentences.push(sentence.text);
    fields.push(sentence.field);
  }
  const shown = sentences.slice(0, MAX_SENTENCES);
  if (sentences.length > shown.length) shown.push(`(${sentences.length - shown.length} more problems.)`);
  return new RaytioError("VALIDATION", withoutHiddenMentions(shown.join(" "), context.hidden), {
    details: { fields: [...new Set(fields)] },
  });
}

/** Keys the tool's arguments object does not take (a nested object's unknown keys are its own sentence). */
function isUnknownArgument(issue: Issue): issue is Extract<Issue, { code: "unrecognized_keys" }> {
  return issue.code === "unrecognized_keys" && issue.path.length === 0;
}

/** Keys are the caller's text: a few are named, each cut short, so a flood of them stays one sentence. */
const MAX_KEYS_NAMED = 10;

function keyList(keys: readonly string[]): string {
  const named = keys
    .slice(0, MAX_KEYS_NAMED)
    .map((key) => JSON.stringify(key.length > MAX_SHOWN_CHARS ? `${key.slice(0, MAX_SHOWN_CHARS)}…` : key));
  const more = keys.length - named.length;
  return more > 0 ? `${named.join(", ")} and ${more} more` : named.join(", ");
}

function unknownKeySentences(keys: readonly string[], context: ArgumentsContext): string[] {
  const sentences = [
    `${context.tool} does not take ${keys.length === 1 ? "the argument" : "the arguments"} ${keyList(keys)}; it takes ${context.accepted.join(", ") || "no arguments"}.`,
  ];
  for (const key of keys) {
    // Own keys only: "constructor" or "__proto__" sent as an argument must not find Object's members.
    const redirect =
      context.redirects && Object.hasOwn(context.redirects, key) ? context.redirects[key] : undefined;
    if (redirect && !context.hidden.has(redirect.tool)) {
      sentences.push(`To ${redirect.purpose}, use ${redirect.tool} ${redirect.how}.`);
    }
  }
  return sentences;
}

function fieldName(path: readonly PropertyKey[]): string {
  let name = "";
  for (const segment of path) {
    if (typeof segment === "number") name += `[${segment}]`;
    else {
      const key = String(segment);
      const shown = key.length > MAX_SHOWN_CHARS ? `${key.slice(0, MAX_SHOWN_CHARS)}…` : key;
      name += name ? `.${shown}` : shown;
    }
  }
  return name || "the arguments";
}

function received(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return `a list of ${value.length} item${value.length === 1 ? "" : "s"}`;
  if (typeof value === "string") {
    const shown = value.length > MAX_SHOWN_CHARS ? `${value.slice(0, MAX_SHOWN_CHARS)}…` : value;
    return `${JSON.stringify(shown)} (${value.length} character${value.length === 1 ? "" : "s"})`;
  }
  if (typeof value === "number" || typeof value === "boolean") return `${typeof value} ${String(value)}`;
  return `an ${typeof value}`;
}

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  array: "a list",
  object: "an object",
  record: "an object",
  null: "null",
};

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "list";
  return typeof value;
}

function quoteList(values: readonly unknown[]): string {
  return values.map((value) => (typeof value === "string" ? value : JSON.stringify(value))).join(", ");
}

/** zod's default messages start with a capital ("Invalid input…"); the ones this server writes do not. */
function authored(message: string): boolean {
  return /^[a-z]/.test(message);
}

function bound(
  issue: { origin: string; inclusive?: boolean },
  value: number | bigint,
  most: boolean,
): string {
  const exclusive = issue.inclusive === false;
  const limit = exclusive ? (most ? "less than" : "more than") : most ? "at most" : "at least";
  switch (issue.origin) {
    case "string":
      return `${limit} ${value} character${value === 1 ? "" : "s"}`;
    case "array":
    case "set":
      return `${limit} ${value} item${value === 1 ? "" : "s"}`;
    default:
      return `${limit} ${value}`;
  }
}

/**
 * `base` and `input` place an issue raised inside a union branch: branch paths are relative to the
 * union, and only the union issue carries the received value.
 */
function describeIssue(
  issue: Issue,
  base: readonly PropertyKey[],
  input: unknown,
): { field: string; text: string } {
  const path = [...base, ...issue.path];
  const field = fieldName(path);
  const value = issue.input === undefined ? valueAt(input, issue.path) : issue.input;
  const say = (must: string) => ({ field, text: `${field} ${must}; received ${received(value)}.` });
  switch (issue.code) {
    case "invalid_type":
      if (value === undefined) return { field, text: `${field} is required (${expected(issue)}).` };
      return say(`must be ${expected(issue)}`);
    case "invalid_value":
      return say(
        issue.values.length === 1
          ? `must be ${quoteList(issue.values)}`
          : `must be one of ${quoteList(issue.values)}`,
      );
    case "too_big":
      return say(`must be ${bound(issue, issue.maximum, true)}`);
    case "too_small":
      if (issue.origin === "string" && issue.minimum === 1) return say("must not be empty");
      return say(`must be ${bound(issue, issue.minimum, false)}`);
    case "not_multiple_of":
      return say(`must be a multiple of ${issue.divisor}`);
    case "unrecognized_keys":
      return {
        field,
        text: `${field} does not take ${keyList(issue.keys)}.`,
      };
    case "invalid_union":
      return describeUnion(issue, path, value);
    default:
      // custom refinements, formats, keys and elements: our own messages say what is wanted.
      return say(authored(issue.message) ? issue.message : "is not in the expected format");
  }
}

function expected(issue: Extract<Issue, { code: "invalid_type" }>): string {
  return TYPE_NAMES[issue.expected] ?? issue.expected;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const segment of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

function describeUnion(
  issue: Extract<Issue, { code: "invalid_union" }>,
  path: readonly PropertyKey[],
  value: unknown,
): { field: string; text: string } {
  const field = fieldName(path);
  if (issue.discriminator !== undefined) {
    // Stryker disable next-line ArrayDeclaration: zod puts the options on every discriminator issue
    const options = (issue as { options?: unknown[] }).options ?? [];
    return {
      field,
      text: `${field} must be one of ${quoteList(options)}; received ${received(valueAt(value, [issue.discriminator]) ?? value)}.`,
    };
  }
  // The branch that got furthest into the value is the one the caller meant; at equal depth, one
  // that did not fail on the value's type at its root.
  const depth = (branch: readonly Issue[]) => Math.max(...branch.map((inner) => inner.path.length));
  const typeMismatch = (branch: readonly Issue[]) =>
    branch.some((inner) => inner.code === "invalid_type" && inner.path.length === 0);
  // An empty branch (none, in practice) ranks last: Math.max() of nothing is -Infinity. The sort is
  // stable, so among equals the union's own order decides.
  const ranked = [...issue.errors].sort(
    (a, b) => depth(b) - depth(a) || Number(typeMismatch(a)) - Number(typeMismatch(b)),
  );
  const best = ranked[0];
  const first = best && !typeMismatch(best) ? best[0] : undefined;
  if (first) return describeIssue(first, path, value);
  const types = issue.errors.flatMap((branch) =>
    branch.flatMap((inner) => {
      if (inner.code === "invalid_type" && inner.path.length === 0) return [expected(inner)];
      if (inner.code === "invalid_value" && inner.path.length === 0)
        return [`one of ${quoteList(inner.values)}`];
      return [];
    }),
  );
  const wanted = [...new Set(types)];
  return {
    field,
    text: `${field} must be ${wanted.length > 0 ? wanted.join(" or ") : `a different ${typeOf(value)}`}; received ${received(value)}.`,
  };
}
