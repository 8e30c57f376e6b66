/**
 * PostgREST 12 request-URL grammar, parsed into an AST.
 *
 * This module is the oracle the MCP server's query builder is tested against, so it follows PostgREST's
 * Haskell parser (src/PostgREST/ApiRequest/QueryParams.hs) rule for rule rather than being forgiving.
 *
 * Query string
 * - Split on `&` AND `;` (Haskell http-types treats both as separators), then on the first `=`.
 *   A segment with no `=` has no value and is ignored, like PostgREST's "nonempty params".
 * - `+` decodes to a space, `%XX` to a byte (UTF-8); a malformed `%` escape is kept literally.
 * - Reserved keys: `select`, `columns`, `on_conflict`; keys whose last dot-segment is `order`, `limit`,
 *   `offset`, `and` or `or`. Every other key is a filter (for GET /rpc, a key whose value does not parse
 *   as a filter is a function argument instead). `select` uses its first occurrence; `order`, `limit` and
 *   `offset` their last; filters and logic trees all apply (AND-ed) in query-string order.
 * - Keys with a dot (embedded paths such as `rel.col`, `rel.order`) and embedded selects (`rel(*)`,
 *   `...rel(*)`) are rejected with PGRST100: this stand-in has no resource embedding.
 *
 * Field names: `"..."` (quoted, see below) or runs of letters, ASCII digits, `_`, `$` and spaces, joined
 * by `-` when not followed by `>`; surrounding spaces are stripped. A JSON path may follow:
 * `->key`, `->>key`, `->0`, `->>-1` (an index must be followed by `->`, `::`, `.`, `,` or the end).
 *
 * Filter values (`col=[not.]op.value`)
 * - Top level: the value is EVERYTHING after `op.`, verbatim. Quotes, commas, dots and parentheses are
 *   literal here: `name=eq."a,b"` compares with the five characters `"a,b"`.
 * - `in.(...)`: `(`, elements separated by `,`, `)`; spaces/tabs allowed just inside/outside the parens,
 *   NOT trimmed from elements. An element is either a double-quoted string immediately followed by `,`,
 *   `)` or the end (inside quotes `\` makes the next character literal, so `\"` is `"` and `\\` is `\`;
 *   every other character, including `,.():&=` and spaces, is literal), or else raw text up to the next
 *   `,` or `)` (quotes in raw text are literal: `"a"b` stays `"a"b`). `in.()` and `in.("")` both parse
 *   to `[""]`, which PostgREST turns into "matches nothing".
 * - Inside `or=(...)` / `and=(...)` trees a value is a quoted string followed by `,`/`)`/end (same escapes),
 *   or `{...}` with no nested braces (kept verbatim, braces included, for cs/cd/ov arrays), or raw text up
 *   to the next `,` or `)`. Raw values keep trailing spaces. An array element containing `{` or `}` cannot
 *   be written as `{...}` in a tree; quote the whole literal instead: `tags.cs."{\"a}b\"}"`.
 * - `cs.{...}` / `cd.{...}` / `ov.{...}` at the top level are plain values: the braces and any quotes are
 *   passed to PostgreSQL's array-literal parser (which uses the same `"..."` + `\` convention).
 * - `like`/`ilike`: every `*` becomes `%` (see `likePattern`); there is no way to write a literal `*`.
 * - `is.` accepts null, not_null, true, false, unknown, case-insensitively.
 * - Operators: eq neq gt gte lt lte like ilike match imatch in is isdistinct cs cd ov sl sr nxr nxl adj,
 *   fts plfts phfts wfts with an optional `(language)`. Quantifiers (`eq(any)`) are not supported.
 * - As in PostgREST, text after a complete top-level `in.(...)`, `is.<value>` or logic tree is ignored.
 *
 * Logic trees: key `or`, `and`, `not.or`, `not.and`; value `(item,item,...)` where an item is
 * `field.[not.]op.value` or a nested `[not.]or(...)` / `[not.]and(...)`. PostgREST glues the key to the
 * value before parsing, so `or=a.eq.1` is a plain filter on a column named `ora`.
 *
 * Order: `order=term,term` where a term is `field[.asc|.desc][.nullsfirst|.nullslast]`.
 *
 * Paging: `limit`/`offset` must read as integers (optionally signed, surrounding spaces allowed) or they
 * are ignored, as Haskell's `readMaybe` does. The `Range: <from>-[<to>]` request header narrows the same
 * window; see `resolveRange`.
 */

export interface PostgrestErrorBody {
  code: string;
  details: string | null;
  hint: string | null;
  message: string;
}

/** An error that already knows its PostgREST HTTP status and body. */
export class PostgrestError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: string | null;
  readonly hint: string | null;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    message: string,
    details: string | null = null,
    hint: string | null = null,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "PostgrestError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.hint = hint;
    this.headers = headers;
  }

  toBody(): PostgrestErrorBody {
    return { code: this.code, details: this.details, hint: this.hint, message: this.message };
  }
}

export type JsonOperand = { kind: "key"; value: string } | { kind: "index"; value: number };
export interface JsonStep {
  arrow: "->" | "->>";
  operand: JsonOperand;
}
export interface Field {
  name: string;
  jsonPath: JsonStep[];
}

export type SelectItem = { type: "star" } | { type: "field"; field: Field; alias?: string; cast?: string };

export type ValueOperator =
  | "eq"
  | "neq"
  | "gt"
  | "gte"
  | "lt"
  | "lte"
  | "like"
  | "ilike"
  | "match"
  | "imatch"
  | "cs"
  | "cd"
  | "ov"
  | "sl"
  | "sr"
  | "nxr"
  | "nxl"
  | "adj"
  | "isdistinct";
export type FtsOperator = "fts" | "plfts" | "phfts" | "wfts";
export type IsValue = "null" | "not_null" | "true" | "false" | "unknown";

export type Operation =
  | { op: ValueOperator; value: string }
  | { op: "in"; values: string[] }
  | { op: "is"; value: IsValue }
  | { op: FtsOperator; language?: string; value: string };

export interface Filter {
  field: Field;
  negated: boolean;
  operation: Operation;
}

export type LogicTree =
  | { type: "filter"; filter: Filter }
  | { type: "logic"; operator: "and" | "or"; negated: boolean; conditions: LogicTree[] };

export interface OrderTerm {
  field: Field;
  direction?: "asc" | "desc";
  nulls?: "first" | "last";
}

export interface ParsedQuery {
  select: SelectItem[];
  /** Horizontal filters, AND-ed, in query-string order. */
  filters: Filter[];
  /** Each `or=`/`and=`/`not.or=`/`not.and=` parameter, AND-ed with the filters. */
  logic: LogicTree[];
  order: OrderTerm[];
  /** Raw `limit`/`offset` as integers when they parse; see `resolveRange`. */
  limit?: number;
  offset?: number;
  /** Named function arguments from a GET /rpc query string, in order. Empty for tables. */
  rpcArgs: [string, string][];
  columns?: string[];
  onConflict?: string[];
}

export interface ParseOptions {
  /** GET/HEAD /rpc/<fn>: values that are not filters become function arguments. */
  rpcRead?: boolean;
}

const VALUE_OPERATORS: readonly ValueOperator[] = [
  "eq",
  "neq",
  "gt",
  "gte",
  "lt",
  "lte",
  "like",
  "ilike",
  "match",
  "imatch",
  "cs",
  "cd",
  "ov",
  "sl",
  "sr",
  "nxr",
  "nxl",
  "adj",
];
const FTS_OPERATORS: readonly FtsOperator[] = ["fts", "plfts", "phfts", "wfts"];
const IS_VALUES: readonly IsValue[] = ["null", "not_null", "true", "false", "unknown"];

/** `*` is PostgREST's URL-safe stand-in for SQL's `%`. */
export function likePattern(value: string): string {
  return value.replaceAll("*", "%");
}

// ---------------------------------------------------------------------------------------------------------
// Query-string splitting

function percentDecode(text: string): string {
  const withSpaces = text.replaceAll("+", " ");
  if (!withSpaces.includes("%")) return withSpaces;
  const bytes: number[] = [];
  const input = Buffer.from(withSpaces, "utf8");
  for (let i = 0; i < input.length; i++) {
    const byte = input[i] as number;
    if (byte === 0x25 && i + 2 < input.length && isHex(input[i + 1]) && isHex(input[i + 2])) {
      bytes.push(Number.parseInt(String.fromCharCode(input[i + 1] as number, input[i + 2] as number), 16));
      i += 2;
    } else {
      bytes.push(byte);
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

function isHex(byte: number | undefined): boolean {
  return (
    byte !== undefined &&
    ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66))
  );
}

/** Splits a raw query string (with or without the leading `?`) the way Haskell's http-types does. */
export function splitQueryString(search: string): [string, string | undefined][] {
  const raw = search.startsWith("?") ? search.slice(1) : search;
  if (raw === "") return [];
  return raw.split(/[&;]/).map((segment) => {
    const eq = segment.indexOf("=");
    if (eq < 0) return [percentDecode(segment), undefined];
    return [percentDecode(segment.slice(0, eq)), percentDecode(segment.slice(eq + 1))];
  });
}

// ---------------------------------------------------------------------------------------------------------
// A small PEG-style cursor. Every rule either returns a value or throws ParseFailure; `attempt` restores
// the position on failure, which gives Parsec's `try` semantics for the alternatives PostgREST wraps in it.

class ParseFailure extends Error {
  constructor(
    readonly position: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

class Cursor {
  pos = 0;
  constructor(readonly text: string) {}

  get eof(): boolean {
    return this.pos >= this.text.length;
  }
  peek(offset = 0): string | undefined {
    return this.text[this.pos + offset];
  }
  lookingAt(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }
  fail(reason: string): never {
    throw new ParseFailure(this.pos, reason);
  }
  expect(s: string): void {
    if (!this.lookingAt(s)) this.fail(`expecting ${JSON.stringify(s)}`);
    this.pos += s.length;
  }
  optional(s: string): boolean {
    if (!this.lookingAt(s)) return false;
    this.pos += s.length;
    return true;
  }
  attempt<T>(rule: () => T): T | undefined {
    const saved = this.pos;
    try {
      return rule();
    } catch (error) {
      if (!(error instanceof ParseFailure)) throw error;
      this.pos = saved;
      return undefined;
    }
  }
  /** Consumes characters until one of `stop` (or the end); may return "". */
  takeUntil(stop: string): string {
    const start = this.pos;
    while (!this.eof && !stop.includes(this.text[this.pos] as string)) this.pos++;
    return this.text.slice(start, this.pos);
  }
  rest(): string {
    const value = this.text.slice(this.pos);
    this.pos = this.text.length;
    return value;
  }
  ws(): void {
    while (this.peek() === " " || this.peek() === "\t") this.pos++;
  }
}

/** `"..."` with `\` making the next character literal. */
function quotedValue(c: Cursor): string {
  c.expect('"');
  let out = "";
  for (;;) {
    const ch = c.peek();
    if (ch === undefined) c.fail("unterminated quoted value");
    c.pos++;
    if (ch === '"') return out;
    if (ch === "\\") {
      const escaped = c.peek();
      if (escaped === undefined) c.fail("unterminated escape");
      out += escaped;
      c.pos++;
    } else {
      out += ch;
    }
  }
}

/** A quoted value that must end the item: the next character is `,`, `)` or the end of input. */
function quotedItem(c: Cursor): string {
  const value = quotedValue(c);
  const next = c.peek();
  if (next !== undefined && next !== "," && next !== ")") c.fail("unexpected character after quoted value");
  return value;
}

const IDENTIFIER_CHAR = /[\p{L}0-9_ $]/u;

function identifier(c: Cursor): string {
  const start = c.pos;
  while (!c.eof && IDENTIFIER_CHAR.test(c.peek() as string)) c.pos++;
  if (c.pos === start) c.fail("expecting field name (* or [a..z0..9_$])");
  return c.text.slice(start, c.pos).trim();
}

/** A `-` that is not the start of `->`. */
function dash(c: Cursor): boolean {
  if (c.peek() === "-" && c.peek(1) !== ">") {
    c.pos++;
    return true;
  }
  return false;
}

function fieldName(c: Cursor): string {
  if (c.peek() === '"') return quotedValue(c);
  const parts = [identifier(c)];
  for (;;) {
    const saved = c.pos;
    if (!dash(c)) break;
    const next = c.attempt(() => identifier(c));
    if (next === undefined) {
      c.pos = saved;
      break;
    }
    parts.push(next);
  }
  return parts.join("-");
}

const JSON_KEY_STOP = "(-:.,>)";

function jsonKeyName(c: Cursor): string {
  if (c.peek() === '"') return quotedValue(c);
  const readPart = (): string => {
    const part = c.takeUntil(JSON_KEY_STOP);
    if (part === "") c.fail("expecting a JSON key");
    return part.trim();
  };
  const parts = [readPart()];
  for (;;) {
    const saved = c.pos;
    if (!dash(c)) break;
    const next = c.attempt(readPart);
    if (next === undefined) {
      c.pos = saved;
      break;
    }
    parts.push(next);
  }
  return parts.join("-");
}

function jsonPath(c: Cursor): JsonStep[] {
  const steps: JsonStep[] = [];
  for (;;) {
    let arrow: JsonStep["arrow"];
    if (c.lookingAt("->>")) arrow = "->>";
    else if (c.lookingAt("->")) arrow = "->";
    else return steps;
    const saved = c.pos;
    c.pos += arrow.length;
    const index = c.attempt(() => {
      const start = c.pos;
      c.optional("-");
      const digitsStart = c.pos;
      while (!c.eof && /[0-9]/.test(c.peek() as string)) c.pos++;
      if (c.pos === digitsStart) c.fail("expecting digit");
      if (!(c.eof || c.lookingAt("->") || c.lookingAt("::") || c.lookingAt(".") || c.lookingAt(","))) {
        c.fail("unexpected character after JSON index");
      }
      return Number(c.text.slice(start, c.pos));
    });
    if (index !== undefined) {
      steps.push({ arrow, operand: { kind: "index", value: index } });
      continue;
    }
    const key = c.attempt(() => jsonKeyName(c));
    if (key === undefined) {
      // Parsec's `many` stops here without consuming the arrow, so the caller sees the `->`.
      c.pos = saved;
      return steps;
    }
    steps.push({ arrow, operand: { kind: "key", value: key } });
  }
}

/** `pField`: a lexeme (spaces/tabs around it are skipped) made of a field name and an optional JSON path. */
function field(c: Cursor): Field {
  c.ws();
  const name = fieldName(c);
  const path = jsonPath(c);
  c.ws();
  return { name, jsonPath: path };
}

// ---------------------------------------------------------------------------------------------------------
// select

const EMBEDDING_UNSUPPORTED = "Resource embedding is not supported by this PostgREST stand-in";

function selectItem(c: Cursor): SelectItem {
  c.ws();
  // `...rel(` and `[alias:]rel[!hint](` are embeddings; detect them before reading a plain field.
  const embedded = c.attempt(() => {
    if (!c.optional("...")) {
      c.attempt(() => {
        fieldName(c);
        aliasSeparator(c);
      });
    }
    fieldName(c);
    while (c.optional("!")) fieldName(c);
    if (c.peek() !== "(") c.fail("not an embedding");
    return true;
  });
  if (embedded) c.fail(EMBEDDING_UNSUPPORTED);

  const star = c.attempt(() => {
    c.expect("*");
    selectEnd(c);
    return true;
  });
  if (star) {
    c.ws();
    return { type: "star" };
  }

  const alias = c.attempt(() => {
    const name = fieldName(c);
    aliasSeparator(c);
    return name;
  });
  const f = field(c);
  let cast: string | undefined;
  if (c.optional("::")) cast = identifier(c);
  selectEnd(c);
  c.ws();
  const item: SelectItem = { type: "field", field: f };
  if (alias !== undefined) item.alias = alias;
  if (cast !== undefined) item.cast = cast;
  return item;
}

function aliasSeparator(c: Cursor): void {
  if (c.peek() !== ":" || c.peek(1) === ":") c.fail("expecting alias separator");
  c.pos++;
}

function selectEnd(c: Cursor): void {
  if (!(c.eof || c.peek() === "," || c.peek() === ")")) c.fail(`unexpected ${JSON.stringify(c.peek())}`);
}

function selectList(c: Cursor): SelectItem[] {
  c.ws();
  if (c.eof) return [];
  return sepBy1(c, () => selectItem(c), lexemeComma);
}

function lexemeComma(c: Cursor): boolean {
  const saved = c.pos;
  c.ws();
  if (c.optional(",")) {
    c.ws();
    return true;
  }
  c.pos = saved;
  return false;
}

/** `item (sep item)*`; once a separator is consumed the next item is mandatory, as in Parsec. */
function sepBy1<T>(c: Cursor, item: () => T, sep: (c: Cursor) => boolean): T[] {
  const items = [item()];
  while (sep(c)) items.push(item());
  return items;
}

// ---------------------------------------------------------------------------------------------------------
// Filters

function listValue(c: Cursor): string[] {
  c.ws();
  c.expect("(");
  c.ws();
  const items = sepBy1(
    c,
    () => c.attempt(() => quotedItem(c)) ?? c.takeUntil(",)"),
    (cur) => cur.optional(","),
  );
  c.ws();
  c.expect(")");
  c.ws();
  return items;
}

function isValue(c: Cursor): IsValue {
  const rest = c.text.slice(c.pos).toLowerCase();
  // Order matters only for error messages; "null" cannot be a prefix of "not_null".
  for (const candidate of IS_VALUES) {
    if (rest.startsWith(candidate)) {
      c.pos += candidate.length;
      return candidate;
    }
  }
  c.fail("expecting isVal: (null, not_null, true, false, unknown)");
}

function logicSingleValue(c: Cursor): string {
  const quoted = c.attempt(() => quotedItem(c));
  if (quoted !== undefined) return quoted;
  const array = c.attempt(() => {
    c.expect("{");
    const inner = c.takeUntil("{}");
    c.expect("}");
    return `{${inner}}`;
  });
  if (array !== undefined) return array;
  return c.takeUntil(",)");
}

function operation(
  c: Cursor,
  singleValue: (c: Cursor) => string,
): { negated: boolean; operation: Operation } {
  const negated = c.attempt(() => {
    c.expect("not");
    c.expect(".");
    return true;
  });
  const start = c.pos;
  const name = c.takeUntil(".(");
  if (name === "in") {
    c.expect(".");
    return { negated: !!negated, operation: { op: "in", values: listValue(c) } };
  }
  if (name === "is") {
    c.expect(".");
    return { negated: !!negated, operation: { op: "is", value: isValue(c) } };
  }
  if (name === "isdistinct") {
    c.expect(".");
    return { negated: !!negated, operation: { op: "isdistinct", value: singleValue(c) } };
  }
  if ((FTS_OPERATORS as readonly string[]).includes(name)) {
    let language: string | undefined;
    if (c.optional("(")) {
      language = identifier(c);
      c.expect(")");
    }
    c.expect(".");
    const op = name as FtsOperator;
    const value = singleValue(c);
    return {
      negated: !!negated,
      operation: language === undefined ? { op, value } : { op, language, value },
    };
  }
  if ((VALUE_OPERATORS as readonly string[]).includes(name) && c.peek() === ".") {
    c.pos++;
    return { negated: !!negated, operation: { op: name as ValueOperator, value: singleValue(c) } };
  }
  c.pos = start;
  c.fail(name === "" ? "expecting operator (eq, gt, ...)" : `unknown single value operator ${name}`);
}

function logicTree(c: Cursor): LogicTree {
  const statement = c.attempt((): LogicTree => {
    const f = field(c);
    c.expect(".");
    const { negated, operation: op } = operation(c, logicSingleValue);
    return { type: "filter", filter: { field: f, negated, operation: op } };
  });
  if (statement) return statement;
  const negated = !!c.attempt(() => {
    c.expect("not");
    c.expect(".");
    return true;
  });
  let operator: "and" | "or";
  if (c.optional("and")) operator = "and";
  else if (c.optional("or")) operator = "or";
  else c.fail("expecting logic operator (and, or)");
  c.ws();
  c.expect("(");
  c.ws();
  const conditions = sepBy1(c, () => logicTree(c), lexemeComma);
  c.ws();
  c.expect(")");
  c.ws();
  return { type: "logic", operator, negated, conditions };
}

function orderTerms(c: Cursor): OrderTerm[] {
  const term = (): OrderTerm => {
    c.ws();
    const relation = c.attempt(() => {
      fieldName(c);
      c.expect("(");
      return true;
    });
    if (relation) c.fail(EMBEDDING_UNSUPPORTED);
    const t: OrderTerm = { field: field(c) };
    // Like PostgREST's `string "asc"`, a matched `.asc`/`.desc` commits even if more letters follow.
    if (c.optional(".asc")) t.direction = "asc";
    else if (c.optional(".desc")) t.direction = "desc";
    if (c.optional(".nullsfirst")) t.nulls = "first";
    else if (c.optional(".nullslast")) t.nulls = "last";
    if (!(c.eof || c.peek() === ",")) {
      c.fail(`unexpected ${JSON.stringify(c.peek())} expecting "asc", "desc", "nullsfirst" or "nullslast"`);
    }
    c.ws();
    return t;
  };
  return sepBy1(c, term, (cur) => cur.optional(","));
}

// ---------------------------------------------------------------------------------------------------------
// Entry points

function qpError(what: string, source: string, failure: ParseFailure): PostgrestError {
  return new PostgrestError(
    400,
    "PGRST100",
    `"failed to parse ${what} (${source})" (line 1, column ${failure.position + 1})`,
    failure.reason,
  );
}

/**
 * Runs `rule` over `text`. `prefix` is prepended for parsing only (PostgREST parses `or=(..)` as `or(..)`),
 * and error columns are reported relative to the original value.
 */
function runParser<T>(what: string, source: string, rule: (c: Cursor) => T, prefix = ""): T {
  const c = new Cursor(prefix + source);
  try {
    return rule(c);
  } catch (error) {
    if (error instanceof ParseFailure) {
      throw qpError(
        what,
        source,
        new ParseFailure(Math.max(0, error.position - prefix.length), error.reason),
      );
    }
    throw error;
  }
}

/** Parses one filter value such as `not.in.(1,2)` for the column named by `key`. */
export function parseFilter(key: string, value: string): Filter {
  const f = runParser("tree path", key, (c) => {
    const name = fieldName(c);
    if (c.peek() === ".") c.fail(EMBEDDING_UNSUPPORTED);
    // Anything after the field and its JSON path is ignored, as PostgREST's parser does not demand eof.
    return { name, jsonPath: jsonPath(c) };
  });
  const { negated, operation: op } = runParser("filter", value, (c) => operation(c, (cur) => cur.rest()));
  return { field: f, negated, operation: op };
}

/** Parses an `or`/`and`/`not.or`/`not.and` parameter; `key` is the parameter name. */
export function parseLogic(key: string, value: string): LogicTree {
  const segments = key.split(".");
  const op = segments[segments.length - 1];
  const rest = segments.slice(0, -1);
  if (rest.some((segment) => segment !== "not")) {
    throw new PostgrestError(
      400,
      "PGRST100",
      `"failed to parse logic path (${key})" (line 1, column 1)`,
      EMBEDDING_UNSUPPORTED,
    );
  }
  const prefix = rest.length > 0 ? `not.${op}` : (op as string);
  return runParser("logic tree", value, logicTree, prefix);
}

export function parseSelect(value: string): SelectItem[] {
  return runParser("select parameter", value, selectList);
}

export function parseOrder(value: string): OrderTerm[] {
  return runParser("order", value, orderTerms);
}

function parseColumns(what: string, value: string): string[] {
  return runParser(what, value, (c) =>
    sepBy1(
      c,
      () => {
        c.ws();
        const name = fieldName(c);
        c.ws();
        return name;
      },
      lexemeComma,
    ),
  );
}

function readInteger(value: string): number | undefined {
  return /^\s*-?\d+\s*$/.test(value) ? Number.parseInt(value, 10) : undefined;
}

function lastSegment(key: string): string {
  const parts = key.split(".");
  return parts[parts.length - 1] as string;
}

function embeddedParameter(key: string): PostgrestError {
  return new PostgrestError(
    400,
    "PGRST100",
    `"failed to parse tree path (${key})" (line 1, column 1)`,
    EMBEDDING_UNSUPPORTED,
  );
}

/** Parses a whole query string (`?a=b&...` or `a=b&...`). Throws PostgrestError (PGRST100) on bad syntax. */
export function parseQuery(search: string, options: ParseOptions = {}): ParsedQuery {
  const pairs = splitQueryString(search);
  const result: ParsedQuery = { select: [{ type: "star" }], filters: [], logic: [], order: [], rpcArgs: [] };
  let selectSeen = false;
  for (const [key, value] of pairs) {
    if (key === "select") {
      // The first `select` wins even when it has no value, in which case the default `*` stays.
      if (!selectSeen && value !== undefined) result.select = parseSelect(value);
      selectSeen = true;
      continue;
    }
    if (value === undefined) continue;
    if (key === "columns") {
      result.columns ??= parseColumns("columns parameter", value);
      continue;
    }
    if (key === "on_conflict") {
      result.onConflict ??= parseColumns("on_conflict parameter", value);
      continue;
    }
    const last = lastSegment(key);
    if (last === "order" || last === "limit" || last === "offset") {
      if (key !== last) throw embeddedParameter(key);
      // The last occurrence wins, and one that is not an integer resets to "no limit"/"no offset".
      if (last === "order") result.order = parseOrder(value);
      else result[last] = readInteger(value);
      continue;
    }
    if (last === "and" || last === "or") {
      result.logic.push(parseLogic(key, value));
      continue;
    }
    if (options.rpcRead) {
      try {
        result.filters.push(parseFilter(key, value));
      } catch (error) {
        if (!(error instanceof PostgrestError)) throw error;
        result.rpcArgs.push([key, value]);
      }
      continue;
    }
    result.filters.push(parseFilter(key, value));
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Ranges

export interface HeaderRange {
  lower: number;
  upper?: number;
}

/** `Range: 0-24` or `Range: 10-`. Anything else is ignored, as PostgREST does. */
export function parseRangeHeader(header: string | undefined): HeaderRange | undefined {
  if (header === undefined) return undefined;
  const match = /^([0-9]+)-([0-9]*)$/.exec(header);
  if (!match) return undefined;
  const lower = Number(match[1]);
  return match[2] === "" ? { lower } : { lower, upper: Number(match[2]) };
}

export interface ResolvedRange {
  offset: number;
  /** undefined = no limit. */
  limit?: number;
}

function rangeError(details: string): PostgrestError {
  return new PostgrestError(416, "PGRST103", "Requested range not satisfiable", details);
}

/**
 * Intersects `limit`/`offset` with the Range header. A negative offset counts as 0 (the header's default
 * lower bound of 0 wins the intersection); `limit=0` asks for no rows; a negative limit or a header whose
 * upper bound is below its lower bound is PGRST103 (416).
 */
export function resolveRange(
  query: Pick<ParsedQuery, "limit" | "offset">,
  header?: HeaderRange,
): ResolvedRange {
  if (query.limit !== undefined && query.limit < 0) {
    throw rangeError("Limit should be greater than or equal to zero.");
  }
  if (header?.upper !== undefined && header.upper < header.lower) {
    throw rangeError(
      "The lower boundary must be lower than or equal to the upper boundary in the Range header.",
    );
  }
  if (query.limit === 0) return { offset: Math.max(0, query.offset ?? 0), limit: 0 };
  const queryLower = Math.max(0, query.offset ?? 0);
  const queryUpper = query.limit === undefined ? undefined : (query.offset ?? 0) + query.limit - 1;
  const lower = Math.max(queryLower, header?.lower ?? 0);
  const uppers = [queryUpper, header?.upper].filter((u): u is number => u !== undefined);
  if (uppers.length === 0) return { offset: lower };
  const upper = Math.min(...uppers);
  if (upper < lower) {
    throw rangeError(
      "The lower boundary must be lower than or equal to the upper boundary in the Range header.",
    );
  }
  return { offset: lower, limit: upper - lower + 1 };
}
