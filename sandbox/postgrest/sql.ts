/**
 * Turns a parsed PostgREST request (see query.ts) into parameterised SQL for PostgreSQL / PGlite.
 *
 * Safety rules, in the order they are applied:
 * - Table, function, column and parameter names must match `^[a-z_][a-z0-9_]*$` AND exist in the catalog
 *   (loaded once per relation/function into `SchemaCache`); then they are double-quoted anyway.
 * - Type names in casts come from the catalog (`format_type`), never from the request, except the
 *   `select=col::type` cast, which must match the same identifier pattern.
 * - Every value (filter values, JSON keys, JSON bodies, function arguments) is a `$n` parameter sent as
 *   text and cast to the column's type, e.g. `"t"."id" = $1::uuid`, `"t"."n" = any($2::integer[])`,
 *   `"t"."tags" @> $3::text[]`. No value is ever spliced into SQL text.
 * - Output is built inside PostgreSQL with `json_agg`, as PostgREST does, so numbers, timestamps and
 *   JSON columns are rendered exactly as PostgreSQL's JSON functions render them.
 */

import {
  type Field,
  type Filter,
  type LogicTree,
  likePattern,
  type OrderTerm,
  type ParsedQuery,
  PostgrestError,
  type ResolvedRange,
  type SelectItem,
} from "./query.js";

export interface Queryable {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number }>;
}

export interface ColumnInfo {
  name: string;
  /** `format_type(oid, NULL)`: safe to splice into a cast because it comes from the catalog. */
  type: string;
}

export interface RelationInfo {
  schema: string;
  name: string;
  columns: Map<string, ColumnInfo>;
  primaryKey: string[];
}

export interface RoutineParam {
  /** "" for an unnamed parameter. */
  name: string;
  type: string;
  variadic: boolean;
  hasDefault: boolean;
}

export interface RoutineInfo {
  schema: string;
  name: string;
  params: RoutineParam[];
  returnsSet: boolean;
  /** composite: rows with columns; scalar: a bare value; void: nothing. */
  returnKind: "composite" | "scalar" | "void";
  returnType: string;
  /** Result columns; for a scalar function a single column named after the function. */
  columns: Map<string, ColumnInfo>;
  volatility: "i" | "s" | "v";
}

export const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

export function quoteIdent(name: string): string {
  // A NUL would end the statement text early on the wire; PostgreSQL identifiers cannot hold one anyway.
  if (name.includes("\0"))
    throw new PostgrestError(400, "PGRST100", "Identifiers cannot contain NUL characters");
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Catalog lookups, cached per relation/function name. Misses are not cached so objects created after the
 * handler (e.g. by a seed script) are found; call `clear()` after altering an existing object.
 */
export class SchemaCache {
  private readonly relations = new Map<string, RelationInfo>();
  private readonly routinesByName = new Map<string, RoutineInfo[]>();

  constructor(
    private readonly db: Queryable,
    readonly schema: string,
  ) {}

  clear(): void {
    this.relations.clear();
    this.routinesByName.clear();
  }

  async relation(name: string): Promise<RelationInfo | undefined> {
    if (!IDENTIFIER.test(name)) return undefined;
    const cached = this.relations.get(name);
    if (cached) return cached;
    const found = await this.db.query<{ oid: number }>(
      `select c.oid from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'v', 'm', 'f', 'p')`,
      [this.schema, name],
    );
    const oid = found.rows[0]?.oid;
    if (oid === undefined) return undefined;
    const columns = await this.columnsOf(oid);
    const pk = await this.db.query<{ name: string }>(
      `select a.attname as name
         from pg_catalog.pg_index i
         join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
        where i.indrelid = $1 and i.indisprimary
        order by array_position(i.indkey::int2[], a.attnum)`,
      [oid],
    );
    const info: RelationInfo = {
      schema: this.schema,
      name,
      columns,
      primaryKey: pk.rows.map((r) => r.name),
    };
    this.relations.set(name, info);
    return info;
  }

  private async columnsOf(relationOid: number): Promise<Map<string, ColumnInfo>> {
    const result = await this.db.query<ColumnInfo>(
      `select a.attname as name, pg_catalog.format_type(a.atttypid, null) as type
         from pg_catalog.pg_attribute a
        where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped
        order by a.attnum`,
      [relationOid],
    );
    return new Map(result.rows.map((c) => [c.name, c]));
  }

  async routines(name: string): Promise<RoutineInfo[]> {
    if (!IDENTIFIER.test(name)) return [];
    const cached = this.routinesByName.get(name);
    if (cached) return cached;
    const procs = await this.db.query<{
      oid: number;
      retset: boolean;
      volatility: "i" | "s" | "v";
      rettype: string;
      typtype: string;
      typrelid: number;
      isvoid: boolean;
      isrecord: boolean;
      nargs: number;
      ndefaults: number;
    }>(
      `select p.oid, p.proretset as retset, p.provolatile::text as volatility,
              pg_catalog.format_type(p.prorettype, null) as rettype, t.typtype::text as typtype,
              t.typrelid::int as typrelid, p.prorettype = 'pg_catalog.void'::regtype as isvoid,
              p.prorettype = 'pg_catalog.record'::regtype as isrecord,
              p.pronargs::int as nargs, p.pronargdefaults::int as ndefaults
         from pg_catalog.pg_proc p
         join pg_catalog.pg_namespace n on n.oid = p.pronamespace
         join pg_catalog.pg_type t on t.oid = p.prorettype
        where n.nspname = $1 and p.proname = $2 and p.prokind = 'f'
        order by p.oid`,
      [this.schema, name],
    );
    const routines: RoutineInfo[] = [];
    for (const proc of procs.rows) {
      const args = await this.db.query<{ name: string | null; type: string; mode: string }>(
        `select p.proargnames[a.ord] as name, pg_catalog.format_type(a.typ, null) as type,
                coalesce(p.proargmodes[a.ord]::text, 'i') as mode
           from pg_catalog.pg_proc p,
                unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality as a(typ, ord)
          where p.oid = $1
          order by a.ord`,
        [proc.oid],
      );
      const inputs = args.rows.filter((a) => a.mode === "i" || a.mode === "b" || a.mode === "v");
      const firstDefault = proc.nargs - proc.ndefaults;
      const params: RoutineParam[] = inputs.map((a, i) => ({
        name: a.name ?? "",
        type: a.type,
        variadic: a.mode === "v",
        hasDefault: i >= firstDefault,
      }));
      let returnKind: RoutineInfo["returnKind"];
      let columns: Map<string, ColumnInfo>;
      if (proc.isvoid) {
        returnKind = "void";
        columns = new Map();
      } else if (proc.typtype === "c") {
        returnKind = "composite";
        columns = await this.columnsOf(proc.typrelid);
      } else if (proc.isrecord) {
        returnKind = "composite";
        const outputs = args.rows.filter((a) => a.mode === "o" || a.mode === "b" || a.mode === "t");
        columns = new Map(
          outputs.map((a) => [a.name ?? "", { name: a.name ?? "", type: a.type }] as [string, ColumnInfo]),
        );
      } else {
        returnKind = "scalar";
        columns = new Map([[name, { name, type: proc.rettype }]]);
      }
      routines.push({
        schema: this.schema,
        name,
        params,
        returnsSet: proc.retset,
        returnKind,
        returnType: proc.rettype,
        columns,
        volatility: proc.volatility,
      });
    }
    if (routines.length > 0) this.routinesByName.set(name, routines);
    return routines;
  }
}

/** Collects `$n` parameters; every value travels as text (or NULL) and is cast in SQL. */
export class Params {
  readonly values: (string | null)[] = [];
  add(value: string | null): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

export interface SqlStatement {
  text: string;
  params: (string | null)[];
}

/** What a request reads from: a table/view, or a function call materialised in a CTE. */
export interface Source {
  /** Used in error messages, e.g. `column items.x does not exist`. */
  label: string;
  /** Quoted alias every column reference is qualified with. */
  qualifier: string;
  /** FROM item that binds `qualifier`, e.g. `"public"."items"` or `pgrst_source as "fn"`. */
  from: string;
  columns: Map<string, ColumnInfo>;
}

export function tableSource(rel: RelationInfo): Source {
  return {
    label: rel.name,
    qualifier: quoteIdent(rel.name),
    from: `${quoteIdent(rel.schema)}.${quoteIdent(rel.name)}`,
    columns: rel.columns,
  };
}

function unknownColumn(source: Source, name: string): PostgrestError {
  return new PostgrestError(400, "42703", `column ${source.label}.${name} does not exist`);
}

function column(source: Source, name: string): ColumnInfo {
  const info = IDENTIFIER.test(name) ? source.columns.get(name) : undefined;
  if (!info) throw unknownColumn(source, name);
  return info;
}

interface Expression {
  sql: string;
  /** The type a compared value is cast to. */
  type: string;
}

function fieldExpression(source: Source, f: Field, params: Params): Expression {
  const info = column(source, f.name);
  let sql = `${source.qualifier}.${quoteIdent(info.name)}`;
  let type = info.type;
  for (const step of f.jsonPath) {
    const operand =
      step.operand.kind === "key"
        ? `${params.add(step.operand.value)}::text`
        : `${params.add(String(step.operand.value))}::integer`;
    sql = `(${sql} ${step.arrow} ${operand})`;
    // `->>` yields text; `->` keeps the json/jsonb type of the column.
    type = step.arrow === "->>" ? "text" : info.type;
  }
  return { sql, type };
}

const COMPARISON: Record<string, string> = {
  eq: "=",
  neq: "<>",
  gt: ">",
  gte: ">=",
  lt: "<",
  lte: "<=",
  match: "~",
  imatch: "~*",
  cs: "@>",
  cd: "<@",
  ov: "&&",
  sl: "<<",
  sr: ">>",
  nxr: "&<",
  nxl: "&>",
  adj: "-|-",
};

const FTS_FUNCTION: Record<string, string> = {
  fts: "to_tsquery",
  plfts: "plainto_tsquery",
  phfts: "phraseto_tsquery",
  wfts: "websearch_to_tsquery",
};

/** A PostgreSQL array literal whose every element is quoted, so commas, braces and "null" stay literal. */
export function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`).join(",")}}`;
}

function filterSql(source: Source, filter: Filter, params: Params): string {
  const { sql: lhs, type } = fieldExpression(source, filter.field, params);
  const operation = filter.operation;
  let condition: string;
  switch (operation.op) {
    case "in":
      // PostgREST reads `in.()` (and `in.("")`) as an empty list: it matches no row.
      condition = `${lhs} = any(${params.add(
        operation.values.length === 1 && operation.values[0] === "" ? "{}" : arrayLiteral(operation.values),
      )}::${type}[])`;
      break;
    case "is":
      condition = `${lhs} is ${operation.value === "not_null" ? "not null" : operation.value}`;
      break;
    case "like":
    case "ilike":
      condition = `${lhs} ${operation.op} ${params.add(likePattern(operation.value))}::text`;
      break;
    case "match":
    case "imatch":
      condition = `${lhs} ${COMPARISON[operation.op]} ${params.add(operation.value)}::text`;
      break;
    case "isdistinct":
      condition = `${lhs} is distinct from ${params.add(operation.value)}::${type}`;
      break;
    case "fts":
    case "plfts":
    case "phfts":
    case "wfts": {
      const language =
        operation.language === undefined ? "" : `${params.add(operation.language)}::regconfig, `;
      const vector = type === "tsvector" ? lhs : `to_tsvector(${language}${lhs})`;
      condition = `${vector} @@ ${FTS_FUNCTION[operation.op]}(${language}${params.add(operation.value)}::text)`;
      break;
    }
    default:
      condition = `${lhs} ${COMPARISON[operation.op]} ${params.add(operation.value)}::${type}`;
  }
  return filter.negated ? `not (${condition})` : condition;
}

function logicSql(source: Source, tree: LogicTree, params: Params): string {
  if (tree.type === "filter") return filterSql(source, tree.filter, params);
  const inner = tree.conditions.map((c) => logicSql(source, c, params)).join(` ${tree.operator} `);
  return tree.negated ? `not (${inner})` : `(${inner})`;
}

/** `where ...` for the query's filters and logic trees, or "" when there are none. */
export function whereClause(source: Source, query: ParsedQuery, params: Params): string {
  const conditions = [
    ...query.filters.map((f) => filterSql(source, f, params)),
    ...query.logic.map((t) => logicSql(source, t, params)),
  ];
  return conditions.length === 0 ? "" : ` where ${conditions.join(" and ")}`;
}

function orderClause(source: Source, order: OrderTerm[], params: Params): string {
  if (order.length === 0) return "";
  const terms = order.map((term) => {
    let sql = fieldExpression(source, term.field, params).sql;
    if (term.direction) sql += ` ${term.direction}`;
    if (term.nulls) sql += ` nulls ${term.nulls}`;
    return sql;
  });
  return ` order by ${terms.join(", ")}`;
}

function rangeClause(range: ResolvedRange | undefined, params: Params): string {
  if (!range) return "";
  let sql = "";
  if (range.limit !== undefined) sql += ` limit ${params.add(String(range.limit))}::bigint`;
  if (range.offset > 0) sql += ` offset ${params.add(String(range.offset))}::bigint`;
  return sql;
}

function selectList(source: Source, items: SelectItem[], params: Params): string {
  const parts = items.map((item) => {
    if (item.type === "star") return `${source.qualifier}.*`;
    let sql = fieldExpression(source, item.field, params).sql;
    if (item.cast !== undefined) {
      if (!IDENTIFIER.test(item.cast)) {
        throw new PostgrestError(400, "42704", `type "${item.cast}" does not exist`);
      }
      sql = `cast(${sql} as ${item.cast})`;
    }
    return `${sql} as ${quoteIdent(outputName(item.field, item.alias))}`;
  });
  return parts.join(", ");
}

/** PostgREST names a JSON-path column after its last key (or the column when the path ends in an index). */
function outputName(f: Field, alias: string | undefined): string {
  if (alias !== undefined) return alias;
  const keys = f.jsonPath.filter((s) => s.operand.kind === "key");
  const last = f.jsonPath[f.jsonPath.length - 1];
  if (last?.operand.kind === "key") return last.operand.value;
  const lastKey = keys[keys.length - 1];
  return lastKey?.operand.kind === "key" ? lastKey.operand.value : f.name;
}

export type BodyShape = "array" | "object" | "none";

function aggregate(shape: BodyShape): string {
  switch (shape) {
    case "array":
      return `coalesce(json_agg(_postgrest_t), '[]')::text`;
    case "object":
      // NULL when the row count is not 1; the caller turns that into PGRST116.
      return `case when count(*) = 1 then (json_agg(_postgrest_t) -> 0)::text end`;
    case "none":
      return "null::text";
  }
}

export interface ReadOptions {
  shape: BodyShape;
  count: boolean;
  /** Statement prefix such as `with pgrst_source as (...)` that binds `source.from`. */
  prefix?: string;
}

/**
 * One statement returning `{ total, page_total, body }`; `total` is the exact count ignoring the range
 * (only computed when asked), `page_total` the number of rows in `body`.
 */
export function buildRead(
  source: Source,
  query: ParsedQuery,
  range: ResolvedRange,
  options: ReadOptions,
  params: Params = new Params(),
): SqlStatement {
  const list = selectList(source, query.select, params);
  const where = whereClause(source, query, params);
  const order = orderClause(source, query.order, params);
  const limits = rangeClause(range, params);
  const total = options.count ? `(select count(*) from ${source.from}${where})::int` : "null::int";
  const text =
    `${options.prefix ?? ""}select ${total} as total, count(*)::int as page_total, ` +
    `${aggregate(options.shape)} as body ` +
    `from (select ${list} from ${source.from}${where}${order}${limits}) _postgrest_t`;
  return { text, params: params.values };
}

function bodyColumn(source: Source, name: string): ColumnInfo {
  const info = IDENTIFIER.test(name) ? source.columns.get(name) : undefined;
  if (!info) {
    throw new PostgrestError(
      400,
      "PGRST204",
      `Could not find the '${name}' column of '${source.label}' in the schema cache`,
    );
  }
  return info;
}

export interface MutationOptions {
  shape: BodyShape;
  /** Rows must be returned (body or Location); otherwise `returning 1` avoids needing SELECT rights. */
  returnRows: boolean;
}

function mutationStatement(
  source: Source,
  query: ParsedQuery,
  mutation: string,
  options: MutationOptions,
  params: Params,
): SqlStatement {
  const returning = options.returnRows ? `${source.qualifier}.*` : "1";
  const list = options.returnRows ? selectList(source, query.select, params) : "1";
  const text =
    `with pgrst_source as (${mutation} returning ${returning}) ` +
    `select null::int as total, count(*)::int as page_total, ${aggregate(options.shape)} as body ` +
    `from (select ${list} from pgrst_source as ${source.qualifier}) _postgrest_t`;
  return { text, params: params.values };
}

export interface InsertOptions extends MutationOptions {
  upsert?: { resolution: "merge-duplicates" | "ignore-duplicates"; conflictColumns: string[] };
}

/**
 * INSERT from a JSON array of objects through `json_populate_recordset`, as PostgREST does, so JSON
 * values are converted with PostgreSQL's own rules (arrays to text[], objects to jsonb, ...).
 */
export function buildInsert(
  rel: RelationInfo,
  query: ParsedQuery,
  rows: Record<string, unknown>[],
  columns: string[],
  options: InsertOptions,
): SqlStatement {
  const source = tableSource(rel);
  const params = new Params();
  const cols = columns.map((c) => quoteIdent(bodyColumn(source, c).name));
  const target = `${quoteIdent(rel.schema)}.${quoteIdent(rel.name)}`;
  const body = params.add(JSON.stringify(rows));
  let mutation =
    `insert into ${target}${cols.length > 0 ? ` (${cols.join(", ")})` : ""} ` +
    `select ${cols.join(", ")} from json_populate_recordset(null::${target}, ${body}::json) pgrst_body`;
  if (options.upsert) {
    const conflict = options.upsert.conflictColumns.map((c) => quoteIdent(column(source, c).name));
    const conflictTarget = conflict.length > 0 ? ` (${conflict.join(", ")})` : "";
    if (options.upsert.resolution === "ignore-duplicates" || cols.length === 0) {
      mutation += ` on conflict${conflictTarget} do nothing`;
    } else {
      mutation += ` on conflict${conflictTarget} do update set ${cols.map((c) => `${c} = excluded.${c}`).join(", ")}`;
    }
  }
  return mutationStatement(source, query, mutation, options, params);
}

/** Restricts a PATCH/DELETE to `order`/`limit`/`offset` through the physical row id. */
function limitedRows(
  source: Source,
  query: ParsedQuery,
  range: ResolvedRange | undefined,
  params: Params,
): string {
  if (!range || (range.limit === undefined && range.offset === 0)) return "";
  const where = whereClause(source, query, params);
  const order = orderClause(source, query.order, params);
  const limits = rangeClause(range, params);
  return `${source.qualifier}.ctid = any(array(select ${source.qualifier}.ctid from ${source.from}${where}${order}${limits}))`;
}

export function buildUpdate(
  rel: RelationInfo,
  query: ParsedQuery,
  values: Record<string, unknown>,
  range: ResolvedRange | undefined,
  options: MutationOptions,
): SqlStatement {
  const source = tableSource(rel);
  const params = new Params();
  const assignments = Object.keys(values).map((key) => {
    const col = quoteIdent(bodyColumn(source, key).name);
    return `${col} = pgrst_body.${col}`;
  });
  const body = params.add(JSON.stringify(values));
  const where = whereClause(source, query, params);
  const limited = limitedRows(source, query, range, params);
  const condition = [where.replace(/^ where /, ""), limited].filter((c) => c !== "").join(" and ");
  const mutation =
    `update ${source.from} set ${assignments.join(", ")} ` +
    `from (select * from json_populate_record(null::${source.from}, ${body}::json)) pgrst_body` +
    (condition ? ` where ${condition}` : "");
  return mutationStatement(source, query, mutation, options, params);
}

export function buildDelete(
  rel: RelationInfo,
  query: ParsedQuery,
  range: ResolvedRange | undefined,
  options: MutationOptions,
): SqlStatement {
  const source = tableSource(rel);
  const params = new Params();
  const where = whereClause(source, query, params);
  const limited = limitedRows(source, query, range, params);
  const condition = [where.replace(/^ where /, ""), limited].filter((c) => c !== "").join(" and ");
  const mutation = `delete from ${source.from}${condition ? ` where ${condition}` : ""}`;
  return mutationStatement(source, query, mutation, options, params);
}

// ---------------------------------------------------------------------------------------------------------
// RPC

export type RpcArguments =
  | { kind: "named"; values: Record<string, unknown> }
  | { kind: "single"; json: string };

const JSON_TYPES = new Set(["json", "jsonb"]);

/** A function with exactly one unnamed json/jsonb parameter receives the whole request body. */
export function takesSingleJson(routine: RoutineInfo): boolean {
  const only = routine.params[0];
  return routine.params.length === 1 && only !== undefined && only.name === "" && JSON_TYPES.has(only.type);
}

/**
 * PostgREST's overload resolution: the argument names must all be parameters and every parameter without
 * a default must be given; a single-unnamed-json function is the fallback.
 */
export function chooseRoutine(
  routines: RoutineInfo[],
  argumentNames: string[],
  allowSingleJson: boolean,
): RoutineInfo | RoutineInfo[] | undefined {
  const named = routines.filter((r) => {
    if (takesSingleJson(r)) return false;
    const names = new Set(r.params.map((p) => p.name));
    if (!argumentNames.every((a) => names.has(a))) return false;
    return r.params.every((p) => p.hasDefault || argumentNames.includes(p.name));
  });
  if (named.length === 1) return named[0];
  if (named.length > 1) return named;
  if (allowSingleJson) return routines.find(takesSingleJson);
  return undefined;
}

/** The call expression, plus the FROM items it needs (json_to_record for named arguments). */
function rpcCall(routine: RoutineInfo, args: RpcArguments, params: Params): { call: string; from: string } {
  const fn = `${quoteIdent(routine.schema)}.${quoteIdent(routine.name)}`;
  if (args.kind === "single") {
    const type = routine.params[0]?.type ?? "json";
    return { call: `${fn}(${params.add(args.json)}::${type})`, from: "" };
  }
  const given = routine.params.filter((p) => p.name !== "" && Object.hasOwn(args.values, p.name));
  if (given.length === 0) return { call: `${fn}()`, from: "" };
  for (const p of given) {
    if (!IDENTIFIER.test(p.name)) {
      throw new PostgrestError(400, "PGRST100", `Unsupported function parameter name: ${p.name}`);
    }
  }
  const record = given.map((p) => `${quoteIdent(p.name)} ${p.type}`).join(", ");
  const payload: Record<string, unknown> = {};
  for (const p of given) payload[p.name] = args.values[p.name];
  const call = `${fn}(${given
    .map((p) => `${p.variadic ? "variadic " : ""}${quoteIdent(p.name)} := pgrst_args.${quoteIdent(p.name)}`)
    .join(", ")})`;
  return {
    call,
    from: `json_to_record(${params.add(JSON.stringify(payload))}::json) as pgrst_args(${record}) cross join lateral `,
  };
}

export interface RpcPlan {
  statement: SqlStatement;
  /** How to interpret `body`: rows for composite results, a bare value otherwise. */
  result: "rows" | "value" | "void";
}

/**
 * Set-returning and composite functions are read like tables (select, filters, order, range, count);
 * scalar functions return the bare JSON value and void functions nothing.
 */
export function buildRpc(
  routine: RoutineInfo,
  args: RpcArguments,
  query: ParsedQuery,
  range: ResolvedRange,
  options: { shape: BodyShape; count: boolean },
): RpcPlan {
  const params = new Params();
  const { call, from } = rpcCall(routine, args, params);
  const qualifier = quoteIdent(routine.name);
  if (routine.returnKind === "void") {
    return {
      statement: { text: `select ${call} from ${from}(select) pgrst_unit`, params: params.values },
      result: "void",
    };
  }
  if (routine.returnKind === "scalar" && !routine.returnsSet) {
    const text =
      `select null::int as total, 1 as page_total, coalesce(to_json(${call})::text, 'null') as body ` +
      `from ${from}(select) pgrst_unit`;
    return { statement: { text, params: params.values }, result: "value" };
  }
  const fromItem =
    routine.returnKind === "scalar" ? `${call} as ${qualifier}(${qualifier})` : `${call} as ${qualifier}`;
  const source: Source = {
    label: routine.name,
    qualifier,
    from: `pgrst_source as ${qualifier}`,
    columns: routine.columns,
  };
  const prefix = `with pgrst_source as (select ${qualifier}.* from ${from}${fromItem}) `;
  if (routine.returnKind === "scalar") {
    // SETOF scalar: an array of bare values rather than of objects.
    const where = whereClause(source, query, params);
    const order = orderClause(source, query.order, params);
    const limits = rangeClause(range, params);
    const total = options.count ? `(select count(*) from ${source.from}${where})::int` : "null::int";
    const text =
      `${prefix}select ${total} as total, count(*)::int as page_total, ` +
      `coalesce(json_agg(_postgrest_t.pgrst_scalar), '[]')::text as body ` +
      `from (select ${qualifier}.${qualifier} as pgrst_scalar from ${source.from}${where}${order}${limits}) _postgrest_t`;
    return { statement: { text, params: params.values }, result: "value" };
  }
  // A non-SETOF composite is a single object, like PostgREST's "return one row as an object".
  const shape = routine.returnsSet ? options.shape : "object";
  return {
    statement: buildRead(source, query, range, { shape, count: options.count, prefix }, params),
    result: "rows",
  };
}
