/**
 * A PostgREST 12 stand-in over PGlite with real row-level security.
 *
 * Routes, relative to `basePath` (e.g. `/db/v1`):
 *   GET|HEAD /<table>        read; `select`, filters, `or`/`and`, `order`, `limit`/`offset`, `Range`
 *   POST     /<table>        insert an object or an array of objects; `Prefer: resolution=...` upserts
 *   PATCH    /<table>?f      update the rows matching the filters (no filters = every visible row)
 *   DELETE   /<table>?f      delete the rows matching the filters (no filters = every visible row)
 *   POST     /rpc/<fn>       call with a JSON object of named arguments
 *   GET|HEAD /rpc/<fn>?a=1   call with query-string arguments, in a read-only transaction
 * Tables and functions are looked up in `schema` (default "public", PostgREST's default `db-schemas`).
 * PATCH and DELETE without filters are allowed, as in PostgREST; row-level security still limits them.
 *
 * Every request runs in ONE exclusive `db.transaction()` (PGlite is a single session, so this is also the
 * mutex that keeps requests from interleaving). Its first statement sets, transaction-locally, `role`,
 * `request.jwt.claims`, `request.method`, `request.path`, `request.headers` and `search_path`, the way
 * PostgREST does, so policies can use `current_setting('request.jwt.claims', true)::jsonb ->> 'sub'`.
 * GET/HEAD (and calls of STABLE/IMMUTABLE functions) are read-only transactions, so writes there fail
 * with 25006 -> 405 as in PostgREST.
 *
 * Responses follow PostgREST 12:
 * - `Content-Range: <from>-<to>/<total|*>`, `*` for the range when no rows; the total only with
 *   `Prefer: count=exact` (planned/estimated are treated as exact). With a total, a GET that returns fewer
 *   rows than the total is 206 Partial Content whether or not a Range header was sent, and an offset past
 *   the total is 416 PGRST103. POST always reports the range part as `*`; PATCH/DELETE as `0-<n-1>`.
 * - `Accept: application/vnd.pgrst.object+json` -> one object (same media type in the response) or 406
 *   PGRST116; for POST/PATCH/DELETE/RPC the transaction is rolled back first.
 * - POST defaults to `return=minimal` (201, no body); PATCH/DELETE to 204; `return=representation`
 *   gives 201/200 with rows; `return=headers-only` adds `Location` built from the primary key.
 * - Functions: SETOF/TABLE results are arrays (filterable like tables), a non-SETOF composite is an
 *   object, a scalar is the bare JSON value, void is 204.
 * - Errors are `{"code","details","hint","message"}` with PostgREST's SQLSTATE -> HTTP mapping (see
 *   `statusForSqlState`), `Proxy-Status: PostgREST; error=<code>`, and `WWW-Authenticate` on 401s.
 * Not supported: resource embedding, PUT, CSV/other media types, `Prefer: missing=default`,
 * `params=single-object`, `tx=rollback`, aggregates, operator quantifiers. The request body is always read
 * as JSON whatever its Content-Type.
 */

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { PGlite, Transaction } from "@electric-sql/pglite";
import {
  type ParsedQuery,
  PostgrestError,
  parseQuery,
  parseRangeHeader,
  type ResolvedRange,
  resolveRange,
  type SelectItem,
} from "./query.js";
import {
  type BodyShape,
  buildDelete,
  buildInsert,
  buildRead,
  buildRpc,
  buildUpdate,
  chooseRoutine,
  quoteIdent,
  type RelationInfo,
  type RoutineInfo,
  type RpcArguments,
  SchemaCache,
  type SqlStatement,
  tableSource,
  takesSingleJson,
} from "./sql.js";

export interface PostgrestHandlerOptions {
  db: PGlite;
  /** Mount point, e.g. "/db/v1". Requests outside it get 404 PGRST125. */
  basePath: string;
  /**
   * Verifies the Authorization header and returns the JWT claims. To reject, throw an object with
   * `{ status, code, message }` (optionally `details`, `hint`), e.g. `{ status: 401, code: "PGRST303",
   * message: "JWT expired" }`; a 401 gets PostgREST's `WWW-Authenticate` header.
   */
  authenticate: (authorizationHeader: string | undefined) => Promise<Record<string, unknown>>;
  /** Database role every request runs as. Default "authenticated". A `role` claim is not consulted. */
  role?: string;
  /** Exposed schema. Default "public". */
  schema?: string;
}

export type PostgrestHandler = ((
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
) => Promise<void>) & {
  /** Forget cached table/function definitions, like PostgREST's schema-cache reload. */
  reloadSchemaCache(): void;
};

interface Reply {
  status: number;
  headers: Record<string, string>;
  body?: string;
}

const JSON_TYPE = "application/json; charset=utf-8";
const OBJECT_TYPE = "application/vnd.pgrst.object+json; charset=utf-8";

// ---------------------------------------------------------------------------------------------------------
// Errors

interface DatabaseErrorLike {
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

function isDatabaseError(error: unknown): error is DatabaseErrorLike {
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as { code?: unknown }).code === "string" &&
    typeof (error as { severity?: unknown }).severity === "string"
  );
}

/** PostgREST's SQLSTATE -> HTTP status table (PostgREST.Error.mapSQLtoHTTP). */
export function statusForSqlState(code: string, message: string, authenticated: boolean): number {
  switch (code) {
    case "23503":
    case "23505":
      return 409;
    case "25006":
      return 405;
    case "21000":
      return message.endsWith("requires a WHERE clause") ? 400 : 500;
    case "22023":
      return message.startsWith("role") && message.endsWith("does not exist") ? 401 : 400;
    case "53400":
      return 500;
    case "57P01":
      return 503;
    case "P0001":
      return 400;
    case "42883":
      return 404;
    case "42P01":
      return 404;
    case "42P17":
      return 500;
    case "42501":
      return authenticated ? 403 : 401;
  }
  const cls = code.slice(0, 2);
  if (cls === "PT") {
    const status = Number(code.slice(2));
    return Number.isInteger(status) && status >= 100 && status <= 599 ? status : 500;
  }
  const byClass: Record<string, number> = {
    "08": 503,
    "09": 500,
    "0L": 403,
    "0P": 403,
    "25": 500,
    "28": 403,
    "2D": 500,
    "38": 500,
    "39": 500,
    "3B": 500,
    "40": 500,
    "53": 503,
    "54": 500,
    "55": 500,
    "57": 500,
    "58": 500,
    F0: 500,
    HV: 500,
    P0: 500,
    XX: 500,
  };
  return byClass[cls] ?? 400;
}

/** PostgREST quotes the description with Haskell's `show`; header values must also stay single-line. */
function headerQuoted(text: string): string {
  const escaped = text.replaceAll("\\", "\\\\").replaceAll('"', '\\"');
  return `"${escaped.replace(/[^\x20-\x7e]/g, "?")}"`;
}

function errorReply(error: unknown, authenticated: boolean): Reply {
  let status: number;
  let body: { code: string; details: string | null; hint: string | null; message: string };
  let headers: Record<string, string> = {};
  if (error instanceof PostgrestError) {
    status = error.status;
    body = error.toBody();
    headers = { ...error.headers };
  } else if (isDatabaseError(error)) {
    status = statusForSqlState(error.code, error.message, authenticated);
    body = {
      code: error.code,
      details: error.detail ?? null,
      hint: error.hint ?? null,
      message: error.message,
    };
    if (status === 401) headers["WWW-Authenticate"] = "Bearer";
  } else {
    status = 500;
    body = {
      code: "PGRSTX00",
      details: null,
      hint: null,
      message: error instanceof Error ? error.message : String(error),
    };
  }
  return {
    status,
    headers: { "Content-Type": JSON_TYPE, "Proxy-Status": `PostgREST; error=${body.code}`, ...headers },
    body: JSON.stringify(body),
  };
}

function authFailure(thrown: unknown): PostgrestError {
  if (
    typeof thrown === "object" &&
    thrown !== null &&
    typeof (thrown as { status?: unknown }).status === "number"
  ) {
    const t = thrown as {
      status: number;
      code?: unknown;
      message?: unknown;
      details?: unknown;
      hint?: unknown;
    };
    const code = typeof t.code === "string" ? t.code : "PGRST301";
    const message = typeof t.message === "string" ? t.message : "JWT invalid";
    const headers: Record<string, string> = {};
    if (t.status === 401) {
      headers["WWW-Authenticate"] =
        code === "PGRST302"
          ? "Bearer"
          : `Bearer error="invalid_token", error_description=${headerQuoted(message)}`;
    }
    return new PostgrestError(
      t.status,
      code,
      message,
      typeof t.details === "string" ? t.details : null,
      typeof t.hint === "string" ? t.hint : null,
      headers,
    );
  }
  throw thrown;
}

// ---------------------------------------------------------------------------------------------------------
// Headers

interface Preferences {
  return?: "representation" | "minimal" | "headers-only";
  count: boolean;
  resolution?: "merge-duplicates" | "ignore-duplicates";
  applied: string[];
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(", ") : value;
}

function parsePrefer(header: string | string[] | undefined): Preferences {
  const prefs: Preferences = { count: false, applied: [] };
  for (const token of (headerText(header) ?? "").split(",")) {
    const [key, value] = token
      .trim()
      .split("=", 2)
      .map((s) => s.trim());
    if (key === "return" && (value === "representation" || value === "minimal" || value === "headers-only")) {
      prefs.return = value;
      prefs.applied.push(`return=${value}`);
    } else if (key === "count" && (value === "exact" || value === "planned" || value === "estimated")) {
      prefs.count = true;
      prefs.applied.push(`count=${value}`);
    } else if (key === "resolution" && (value === "merge-duplicates" || value === "ignore-duplicates")) {
      prefs.resolution = value;
      prefs.applied.push(`resolution=${value}`);
    }
  }
  return prefs;
}

/** "json" for arrays, "object" for application/vnd.pgrst.object+json; anything else is 406 PGRST107. */
function negotiate(header: string | undefined): "json" | "object" {
  if (header === undefined || header.trim() === "") return "json";
  const types = header.split(",").map((t) => (t.split(";")[0] ?? "").trim().toLowerCase());
  for (const type of types) {
    if (type === "application/json" || type === "*/*" || type === "application/*") return "json";
    if (type === "application/vnd.pgrst.object+json" || type === "application/vnd.pgrst.object")
      return "object";
  }
  throw new PostgrestError(406, "PGRST107", `None of these media types are available: ${types.join(", ")}`);
}

/** PostgREST's contentRangeH: `*` for the range part when there are no rows (or the total is 0). */
function contentRange(lower: number, upper: number, total: number | undefined): string {
  const range = total !== 0 && lower <= upper ? `${lower}-${upper}` : "*";
  return `${range}/${total === undefined ? "*" : total}`;
}

function singularity(rows: number): PostgrestError {
  return new PostgrestError(
    406,
    "PGRST116",
    "JSON object requested, multiple (or no) rows returned",
    `The result contains ${rows} rows`,
  );
}

function invalidBody(message: string, details: string | null = null): PostgrestError {
  return new PostgrestError(400, "PGRST102", message, details);
}

function parseJsonBody(body: Buffer): unknown {
  const text = body.toString("utf8");
  if (text.trim() === "") throw invalidBody("Empty or invalid json");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidBody("Empty or invalid json", error instanceof Error ? error.message : null);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------------
// The handler

interface StatementResult {
  total: number | null;
  page_total: number;
  body: string | null;
}

interface RequestContext {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  claims: Record<string, unknown>;
  authenticated: boolean;
}

export function createPostgrestHandler(options: PostgrestHandlerOptions): PostgrestHandler {
  const { db, authenticate } = options;
  const role = options.role ?? "authenticated";
  const schema = options.schema ?? "public";
  const basePath = options.basePath.replace(/\/+$/, "");
  const cache = new SchemaCache(db, schema);
  const searchPath = schema === "public" ? quoteIdent(schema) : `${quoteIdent(schema)}, "public"`;

  async function inTransaction<T>(
    ctx: RequestContext,
    readOnly: boolean,
    work: (tx: Transaction) => Promise<T>,
  ): Promise<T> {
    return db.transaction(async (tx) => {
      await tx.query(
        `select set_config('role', $1, true), set_config('request.jwt.claims', $2, true),
                set_config('request.method', $3, true), set_config('request.path', $4, true),
                set_config('request.headers', $5, true), set_config('search_path', $6, true)` +
          (readOnly ? `, set_config('transaction_read_only', 'on', true)` : ""),
        [role, JSON.stringify(ctx.claims), ctx.method, ctx.path, JSON.stringify(ctx.headers), searchPath],
      );
      return work(tx);
    });
  }

  async function run(tx: Transaction, statement: SqlStatement): Promise<StatementResult> {
    const result = await tx.query<StatementResult>(statement.text, statement.params);
    const row = result.rows[0];
    if (!row) throw new Error("statement returned no rows");
    return row;
  }

  async function relationOrThrow(name: string): Promise<RelationInfo> {
    const rel = await cache.relation(name);
    if (!rel) {
      throw new PostgrestError(
        404,
        "PGRST205",
        `Could not find the table '${schema}.${name}' in the schema cache`,
      );
    }
    return rel;
  }

  /** Status and Content-Range for a read, following PostgREST's rangeStatusHeader. */
  function readRange(range: ResolvedRange, pageTotal: number, total: number | undefined) {
    const lower = range.offset;
    const upper = lower + pageTotal - 1;
    if (total !== undefined && lower > total) {
      throw new PostgrestError(
        416,
        "PGRST103",
        "Requested range not satisfiable",
        `An offset of ${lower} was requested, but there are only ${total} rows.`,
        null,
        { "Content-Range": contentRange(lower, upper, total) },
      );
    }
    const status = total !== undefined && 1 + upper - lower < total ? 206 : 200;
    return { status, contentRange: contentRange(lower, upper, total) };
  }

  function bodyHeaders(shape: BodyShape): Record<string, string> {
    return { "Content-Type": shape === "object" ? OBJECT_TYPE : JSON_TYPE };
  }

  async function readTable(
    ctx: RequestContext,
    table: string,
    search: string,
    single: boolean,
    count: boolean,
  ) {
    const query = parseQuery(search);
    const range = resolveRange(query, parseRangeHeader(headerText(ctx.headers.range)));
    const rel = await relationOrThrow(table);
    const shape: BodyShape = single ? "object" : "array";
    const statement = buildRead(tableSource(rel), query, range, { shape, count });
    const row = await inTransaction(ctx, true, (tx) => run(tx, statement));
    const { status, contentRange: cr } = readRange(
      range,
      row.page_total,
      count ? (row.total ?? 0) : undefined,
    );
    if (single && row.page_total !== 1) throw singularity(row.page_total);
    return {
      status,
      headers: { ...bodyHeaders(shape), "Content-Range": cr },
      body: row.body ?? "[]",
    } satisfies Reply;
  }

  async function insert(
    ctx: RequestContext,
    table: string,
    search: string,
    body: Buffer,
    single: boolean,
    prefs: Preferences,
  ) {
    const query = parseQuery(search);
    const payload = parseJsonBody(body);
    const rows = Array.isArray(payload) ? payload : [payload];
    if (!rows.every(isPlainObject)) throw invalidBody("All object keys must match");
    let columns = query.columns;
    if (!columns) {
      const first = Object.keys(rows[0] ?? {}).sort();
      for (const row of rows) {
        const keys = Object.keys(row).sort();
        if (keys.length !== first.length || keys.some((k, i) => k !== first[i])) {
          throw invalidBody("All object keys must match");
        }
      }
      columns = Object.keys(rows[0] ?? {});
    }
    const rel = await relationOrThrow(table);
    const returning = prefs.return ?? "minimal";
    const shape: BodyShape = returning === "representation" ? (single ? "object" : "array") : "none";
    const locate = returning === "headers-only" && rel.primaryKey.length > 0;
    const effective: ParsedQuery = locate ? { ...query, select: primaryKeySelect(rel) } : query;
    const statement = buildInsert(rel, effective, rows, columns, {
      shape: locate ? "array" : shape,
      returnRows: shape !== "none" || locate,
      ...(prefs.resolution
        ? { upsert: { resolution: prefs.resolution, conflictColumns: query.onConflict ?? rel.primaryKey } }
        : {}),
    });
    const row = await writeInTransaction(ctx, statement, single);
    const headers = writeHeaders(contentRange(1, 0, prefs.count ? row.page_total : undefined), prefs);
    if (locate && row.body) {
      const first = (JSON.parse(row.body) as Record<string, unknown>[])[0];
      if (first) headers.Location = locationFor(rel, first);
    }
    return writeReply(201, headers, shape, row);
  }

  async function mutate(
    ctx: RequestContext,
    kind: "update" | "delete",
    table: string,
    search: string,
    body: Buffer,
    single: boolean,
    prefs: Preferences,
  ) {
    const query = parseQuery(search);
    const range = resolveRange(query);
    let values: Record<string, unknown> = {};
    if (kind === "update") {
      const payload = parseJsonBody(body);
      if (!isPlainObject(payload))
        throw invalidBody("Empty or invalid json", "PATCH expects a single JSON object");
      values = payload;
    }
    const rel = await relationOrThrow(table);
    const returning = prefs.return ?? "minimal";
    const shape: BodyShape = returning === "representation" ? (single ? "object" : "array") : "none";
    const options = { shape, returnRows: shape !== "none" };
    let row: StatementResult;
    if (kind === "update" && Object.keys(values).length === 0) {
      // PostgREST treats an empty PATCH body as "nothing to update" and touches no row.
      row = { total: null, page_total: 0, body: shape === "none" ? null : "[]" };
      if (single) throw singularity(0);
    } else {
      const statement =
        kind === "update"
          ? buildUpdate(rel, query, values, range, options)
          : buildDelete(rel, query, range, options);
      row = await writeInTransaction(ctx, statement, single);
    }
    const headers = writeHeaders(
      contentRange(0, row.page_total - 1, prefs.count ? row.page_total : undefined),
      prefs,
    );
    return shape === "none"
      ? ({ status: 204, headers } satisfies Reply)
      : writeReply(200, headers, shape, row);
  }

  /** Runs one write statement; a single-object request must touch exactly one row or nothing is kept. */
  function writeInTransaction(ctx: RequestContext, statement: Parameters<typeof run>[1], single: boolean) {
    return inTransaction(ctx, false, async (tx) => {
      const result = await run(tx, statement);
      if (single && result.page_total !== 1) throw singularity(result.page_total);
      return result;
    });
  }

  function writeHeaders(range: string, prefs: Preferences): Record<string, string> {
    const headers: Record<string, string> = { "Content-Range": range };
    if (prefs.applied.length > 0) headers["Preference-Applied"] = prefs.applied.join(", ");
    return headers;
  }

  function writeReply(
    status: number,
    headers: Record<string, string>,
    shape: BodyShape,
    row: StatementResult,
  ): Reply {
    if (shape === "none") return { status, headers };
    return { status, headers: { ...headers, ...bodyHeaders(shape) }, body: row.body ?? "[]" };
  }

  async function callFunction(
    ctx: RequestContext,
    name: string,
    search: string,
    body: Buffer,
    single: boolean,
    prefs: Preferences,
  ) {
    const read = ctx.method === "GET" || ctx.method === "HEAD";
    const query = parseQuery(search, { rpcRead: read });
    const range = resolveRange(query, read ? parseRangeHeader(headerText(ctx.headers.range)) : undefined);
    let payload: unknown = {};
    let rawBody = "{}";
    if (read) {
      payload = Object.fromEntries(query.rpcArgs);
    } else if (body.toString("utf8").trim() !== "") {
      payload = parseJsonBody(body);
      rawBody = body.toString("utf8");
    }
    const argumentNames = isPlainObject(payload) ? Object.keys(payload) : [];
    const routines = await cache.routines(name);
    const chosen = chooseRoutine(routines, argumentNames, !read);
    if (Array.isArray(chosen)) throw ambiguous(chosen);
    if (!chosen || (!isPlainObject(payload) && !takesSingleJson(chosen))) {
      throw noFunction(schema, name, argumentNames.sort(), !read);
    }
    const args: RpcArguments = takesSingleJson(chosen)
      ? { kind: "single", json: rawBody }
      : { kind: "named", values: payload as Record<string, unknown> };
    const shape: BodyShape = single ? "object" : "array";
    const plan = buildRpc(chosen, args, query, range, { shape, count: prefs.count });
    const readOnly = read || chosen.volatility !== "v";
    const row = await inTransaction(ctx, readOnly, async (tx) => {
      if (plan.result === "void") {
        await tx.query(plan.statement.text, plan.statement.params);
        return undefined;
      }
      const result = await run(tx, plan.statement);
      if (single && plan.result === "rows" && result.page_total !== 1) throw singularity(result.page_total);
      return result;
    });
    if (!row) return { status: 204, headers: {} } satisfies Reply;
    if (plan.result === "value" && !chosen.returnsSet) {
      return {
        status: 200,
        headers: { ...bodyHeaders("array"), "Content-Range": "0-0/*" },
        body: row.body ?? "null",
      } satisfies Reply;
    }
    // A non-SETOF composite is always an object; a SETOF one only when the client asked for one.
    const objectBody = plan.result === "rows" && (single || !chosen.returnsSet);
    const { status, contentRange: cr } = readRange(
      range,
      row.page_total,
      prefs.count ? (row.total ?? 0) : undefined,
    );
    return {
      status,
      headers: { ...bodyHeaders(single && objectBody ? "object" : "array"), "Content-Range": cr },
      body: row.body ?? (objectBody ? "null" : "[]"),
    } satisfies Reply;
  }

  async function route(req: IncomingMessage, body: Buffer): Promise<Reply> {
    const method = (req.method ?? "GET").toUpperCase();
    const url = req.url ?? "/";
    const queryAt = url.indexOf("?");
    const pathname = queryAt < 0 ? url : url.slice(0, queryAt);
    const search = queryAt < 0 ? "" : url.slice(queryAt + 1);
    const target = resolvePath(basePath, pathname);

    const authorization = headerText(req.headers.authorization);
    let claims: Record<string, unknown>;
    try {
      claims = await authenticate(authorization);
    } catch (thrown) {
      throw authFailure(thrown);
    }
    const ctx: RequestContext = {
      method,
      path: pathname.slice(basePath.length) || "/",
      headers: req.headers,
      claims,
      authenticated: Boolean(authorization?.trim()),
    };
    const prefs = parsePrefer(req.headers.prefer);
    const single = negotiate(headerText(req.headers.accept)) === "object";

    if (target.kind === "table") {
      switch (method) {
        case "GET":
        case "HEAD":
          return readTable(ctx, target.name, search, single, prefs.count);
        case "POST":
          return insert(ctx, target.name, search, body, single, prefs);
        case "PATCH":
          return mutate(ctx, "update", target.name, search, body, single, prefs);
        case "DELETE":
          return mutate(ctx, "delete", target.name, search, body, single, prefs);
        case "OPTIONS":
          return { status: 200, headers: { Allow: "OPTIONS,GET,HEAD,POST,PATCH,DELETE" } };
        default:
          throw new PostgrestError(405, "PGRST117", `Unsupported HTTP method: ${method}`);
      }
    }
    switch (method) {
      case "GET":
      case "HEAD":
      case "POST":
        return callFunction(ctx, target.name, search, body, single, prefs);
      case "OPTIONS":
        return { status: 200, headers: { Allow: "OPTIONS,GET,HEAD,POST" } };
      default:
        throw new PostgrestError(405, "PGRST101", `Cannot use the ${method} method on RPC`);
    }
  }

  const handler = async (req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> => {
    let reply: Reply;
    try {
      reply = await route(req, body);
    } catch (error) {
      reply = errorReply(error, Boolean(headerText(req.headers.authorization)?.trim()));
    }
    const headers = { ...reply.headers };
    if (reply.body !== undefined) headers["Content-Length"] = String(Buffer.byteLength(reply.body));
    res.writeHead(reply.status, headers);
    res.end(req.method?.toUpperCase() === "HEAD" ? undefined : reply.body);
  };
  return Object.assign(handler, { reloadSchemaCache: () => cache.clear() });
}

type Target = { kind: "table" | "rpc"; name: string };

function resolvePath(basePath: string, pathname: string): Target {
  const invalid = () => new PostgrestError(404, "PGRST125", "Invalid path specified in request URL");
  if (pathname !== basePath && !pathname.startsWith(`${basePath}/`)) throw invalid();
  let segments: string[];
  try {
    segments = pathname.slice(basePath.length).split("/").slice(1).map(decodeURIComponent);
  } catch {
    throw invalid();
  }
  const [first, second] = segments;
  if (segments.length === 1 && first) return { kind: "table", name: first };
  if (segments.length === 2 && first === "rpc" && second) return { kind: "rpc", name: second };
  throw invalid();
}

function primaryKeySelect(rel: RelationInfo): SelectItem[] {
  return rel.primaryKey.map((name) => ({ type: "field", field: { name, jsonPath: [] } }));
}

/** `/<table>?pk=eq.<value>` as PostgREST builds it, relative to the API root. */
function locationFor(rel: RelationInfo, row: Record<string, unknown>): string {
  const query = rel.primaryKey
    .map((k) => {
      const v = row[k];
      const text = typeof v === "string" ? v : JSON.stringify(v);
      return `${encodeURIComponent(k)}=eq.${encodeURIComponent(text)}`;
    })
    .join("&");
  return `/${rel.name}?${query}`;
}

/** PostgREST's PGRST202 wording (without its fuzzy "Perhaps you meant" hint). */
function noFunction(schema: string, name: string, argumentNames: string[], post: boolean): PostgrestError {
  const fn = `${schema}.${name}`;
  const list = argumentNames.join(", ");
  const withParams =
    argumentNames.length === 0
      ? " without parameters"
      : ` with parameter${argumentNames.length > 1 ? "s" : ""} ${list}`;
  return new PostgrestError(
    404,
    "PGRST202",
    `Could not find the function ${fn}${argumentNames.length === 0 ? " without parameters" : `(${list})`} in the schema cache`,
    `Searched for the function ${fn}${withParams}${post ? " or with a single unnamed json/jsonb parameter" : ""}, but no matches were found in the schema cache.`,
  );
}

function ambiguous(routines: RoutineInfo[]): PostgrestError {
  const list = routines
    .map((r) => `${r.schema}.${r.name}(${r.params.map((p) => `${p.name} => ${p.type}`).join(", ")})`)
    .join(", ");
  return new PostgrestError(
    300,
    "PGRST203",
    `Could not choose the best candidate function between: ${list}`,
    null,
    "Try renaming the parameters or the function itself in the database so function overloading can be resolved",
  );
}
