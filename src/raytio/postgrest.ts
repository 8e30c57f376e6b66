/**
 * A PostgREST query builder whose values can never change a filter's meaning.
 *
 * PostgREST reads `col=op.value` and treats everything after `op.` as the value, but inside `in.(...)`,
 * `cs.{...}` and `or=(...)` trees, commas, dots, parentheses and colons are syntax. There every value is
 * written double-quoted, with `\` escaping `"` and `\`, which PostgREST reads back literally. Percent-
 * encoding of `&`, `=`, `#`, `+` and spaces is left to URLSearchParams. Column names are never taken from
 * user input unchecked: they must match the identifier pattern or the builder throws.
 */

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

export type Scalar = string | number | boolean;
export type ComparisonOperator = "eq" | "neq" | "gt" | "gte" | "lt" | "lte";

export type FieldCondition =
  | { column: string; op: ComparisonOperator; value: Scalar }
  | { column: string; op: "like" | "ilike"; pattern: string }
  | { column: string; op: "in"; values: readonly Scalar[] }
  | { column: string; op: "is"; value: null | boolean }
  | { column: string; op: "cs" | "ov"; values: readonly string[] };

export type LogicCondition = { op: "or" | "and"; conditions: readonly Condition[] };

export type Condition = FieldCondition | LogicCondition;

function isLogic(condition: Condition): condition is LogicCondition {
  return "conditions" in condition;
}

function assertIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`Invalid PostgREST identifier: ${JSON.stringify(name)}`);
  return name;
}

/** Quotes a value for use inside a list or a logic tree. */
export function quoteValue(value: Scalar): string {
  const text = String(value);
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/**
 * Turns free text into a pattern that matches it as a substring. LIKE's own wildcards in the text are
 * escaped; PostgREST turns every `*` into `%`, so a literal `*` can only be matched by `_` (any one
 * character), which may over-match on that one character but can never widen the match further.
 */
export function containsPattern(text: string): string {
  const escaped = text.replace(/\\/g, "\\\\").replace(/%/g, "\\%").replace(/_/g, "\\_").replace(/\*/g, "_");
  return `*${escaped}*`;
}

function listLiteral(values: readonly Scalar[], open: string, close: string): string {
  return `${open}${values.map(quoteValue).join(",")}${close}`;
}

function operand(condition: FieldCondition, nested: boolean): string {
  switch (condition.op) {
    case "like":
    case "ilike":
      return `${condition.op}.${nested ? quoteValue(condition.pattern) : condition.pattern}`;
    case "in":
      return `in.${listLiteral(condition.values, "(", ")")}`;
    case "cs":
    case "ov": {
      // Inside a logic tree a brace inside a value would end the literal early, so the whole array
      // literal is quoted there; at the top level PostgreSQL's array parser reads the quotes itself.
      const literal = listLiteral(condition.values, "{", "}");
      return `${condition.op}.${nested ? quoteValue(literal) : literal}`;
    }
    case "is":
      return `is.${condition.value === null ? "null" : String(condition.value)}`;
    default:
      return `${condition.op}.${nested ? quoteValue(condition.value) : String(condition.value)}`;
  }
}

function treeItem(condition: Condition): string {
  if (isLogic(condition)) {
    return `${condition.op}(${condition.conditions.map(treeItem).join(",")})`;
  }
  return `${assertIdentifier(condition.column)}.${operand(condition, true)}`;
}

export class PostgrestQuery {
  private readonly params = new URLSearchParams();

  select(columns: readonly string[] | string): this {
    const list = typeof columns === "string" ? [columns] : columns;
    for (const column of list) {
      // A select item may be `alias:column`; both halves are identifiers.
      if (column !== "*") for (const part of column.split(":")) assertIdentifier(part);
    }
    this.params.set("select", list.join(","));
    return this;
  }

  where(condition: Condition): this {
    if (isLogic(condition)) {
      if (condition.conditions.length === 0) return this;
      this.params.append(condition.op, `(${condition.conditions.map(treeItem).join(",")})`);
      return this;
    }
    this.params.append(assertIdentifier(condition.column), operand(condition, false));
    return this;
  }

  eq(column: string, value: Scalar): this {
    return this.where({ column, op: "eq", value });
  }

  in(column: string, values: readonly Scalar[]): this {
    return this.where({ column, op: "in", values });
  }

  order(column: string, direction: "asc" | "desc" = "asc", nulls?: "first" | "last"): this {
    const item = `${assertIdentifier(column)}.${direction}${nulls ? `.nulls${nulls}` : ""}`;
    const existing = this.params.get("order");
    this.params.set("order", existing ? `${existing},${item}` : item);
    return this;
  }

  limit(count: number): this {
    this.params.set("limit", String(Math.max(0, Math.trunc(count))));
    return this;
  }

  offset(count: number): this {
    this.params.set("offset", String(Math.max(0, Math.trunc(count))));
    return this;
  }

  toSearchParams(): URLSearchParams {
    return new URLSearchParams(this.params);
  }

  toString(): string {
    return this.params.toString();
  }
}

export function query(): PostgrestQuery {
  return new PostgrestQuery();
}
