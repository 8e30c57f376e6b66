import type { RequestRunner } from "./database.js";
import { type ParsedQuery, parseQuery, parseRangeHeader, resolveRange, type SelectItem } from "./query.js";
import {
  bodyHeaders,
  contentRange,
  headerText,
  invalidBody,
  isPlainObject,
  type Preferences,
  parseJsonBody,
  type Reply,
  type RequestContext,
  readRange,
  type StatementResult,
  singularity,
  writeHeaders,
  writeReply,
} from "./reply.js";
import {
  type BodyShape,
  buildDelete,
  buildInsert,
  buildRead,
  buildUpdate,
  type RelationInfo,
  tableSource,
} from "./sql.js";

/** Table routes: GET/HEAD read, POST insert (or upsert), PATCH update, DELETE. */
export async function readTable(
  runner: RequestRunner,
  ctx: RequestContext,
  table: string,
  search: string,
  single: boolean,
  count: boolean,
) {
  const query = parseQuery(search);
  const range = resolveRange(query, parseRangeHeader(headerText(ctx.headers.range)));
  const rel = await runner.relationOrThrow(table);
  const shape: BodyShape = single ? "object" : "array";
  const statement = buildRead(tableSource(rel), query, range, { shape, count });
  const row = await runner.inTransaction(ctx, true, (tx) => runner.run(tx, statement));
  const { status, contentRange: cr } = readRange(range, row.page_total, count ? (row.total ?? 0) : undefined);
  if (single && row.page_total !== 1) throw singularity(row.page_total);
  return {
    status,
    headers: { ...bodyHeaders(shape), "Content-Range": cr },
    body: row.body ?? "[]",
  } satisfies Reply;
}

export async function insert(
  runner: RequestRunner,
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
  const rel = await runner.relationOrThrow(table);
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
  const row = await runner.writeInTransaction(ctx, statement, single);
  const headers = writeHeaders(contentRange(1, 0, prefs.count ? row.page_total : undefined), prefs);
  if (locate && row.body) {
    const first = (JSON.parse(row.body) as Record<string, unknown>[])[0];
    if (first) headers.Location = locationFor(rel, first);
  }
  return writeReply(201, headers, shape, row);
}

export async function mutate(
  runner: RequestRunner,
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
  const rel = await runner.relationOrThrow(table);
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
    row = await runner.writeInTransaction(ctx, statement, single);
  }
  const headers = writeHeaders(
    contentRange(0, row.page_total - 1, prefs.count ? row.page_total : undefined),
    prefs,
  );
  return shape === "none" ? ({ status: 204, headers } satisfies Reply) : writeReply(200, headers, shape, row);
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
