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
 *   `statusForSqlState` in errors.ts), `Proxy-Status: PostgREST; error=<code>`, and `WWW-Authenticate` on 401s.
 * Not supported: resource embedding, PUT, CSV/other media types, `Prefer: missing=default`,
 * `params=single-object`, `tx=rollback`, aggregates, operator quantifiers. The request body is always read
 * as JSON whatever its Content-Type.
 *
 * Layout: this file routes; `tables.ts` and `rpc.ts` answer the routes; `database.ts` runs a request's
 * transaction; `reply.ts` holds the HTTP conventions they share; `errors.ts` the error replies.
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import type { PGlite } from "@electric-sql/pglite";
import { RequestRunner } from "./database.js";
import { authFailure, errorReply } from "./errors.js";
import { PostgrestError } from "./query.js";
import { headerText, negotiate, parsePrefer, type Reply, type RequestContext } from "./reply.js";
import { callFunction } from "./rpc.js";
import { insert, mutate, readTable } from "./tables.js";

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

export function createPostgrestHandler(options: PostgrestHandlerOptions): PostgrestHandler {
  const { authenticate } = options;
  const basePath = options.basePath.replace(/\/+$/, "");
  const runner = new RequestRunner(options.db, options.role ?? "authenticated", options.schema ?? "public");

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
          return readTable(runner, ctx, target.name, search, single, prefs.count);
        case "POST":
          return insert(runner, ctx, target.name, search, body, single, prefs);
        case "PATCH":
          return mutate(runner, ctx, "update", target.name, search, body, single, prefs);
        case "DELETE":
          return mutate(runner, ctx, "delete", target.name, search, body, single, prefs);
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
        return callFunction(runner, ctx, target.name, search, body, single, prefs);
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
  return Object.assign(handler, { reloadSchemaCache: () => runner.cache.clear() });
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
