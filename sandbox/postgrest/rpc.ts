import type { RequestRunner } from "./database.js";
import { PostgrestError, parseQuery, parseRangeHeader, resolveRange } from "./query.js";
import {
  bodyHeaders,
  headerText,
  isPlainObject,
  type Preferences,
  parseJsonBody,
  type Reply,
  type RequestContext,
  readRange,
  singularity,
} from "./reply.js";
import {
  type BodyShape,
  buildRpc,
  chooseRoutine,
  type RoutineInfo,
  type RpcArguments,
  takesSingleJson,
} from "./sql.js";

/** Function routes: POST /rpc/<fn> with a JSON object of named arguments, GET/HEAD with query arguments. */
export async function callFunction(
  runner: RequestRunner,
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
  const routines = await runner.cache.routines(name);
  const chosen = chooseRoutine(routines, argumentNames, !read);
  if (Array.isArray(chosen)) throw ambiguous(chosen);
  if (!chosen || (!isPlainObject(payload) && !takesSingleJson(chosen))) {
    throw noFunction(runner.schema, name, argumentNames.sort(), !read);
  }
  const args: RpcArguments = takesSingleJson(chosen)
    ? { kind: "single", json: rawBody }
    : { kind: "named", values: payload as Record<string, unknown> };
  const shape: BodyShape = single ? "object" : "array";
  const plan = buildRpc(chosen, args, query, range, { shape, count: prefs.count });
  const readOnly = read || chosen.volatility !== "v";
  const row = await runner.inTransaction(ctx, readOnly, async (tx) => {
    if (plan.result === "void") {
      await tx.query(plan.statement.text, plan.statement.params);
      return undefined;
    }
    const result = await runner.run(tx, plan.statement);
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
