import type { PGlite, Transaction } from "@electric-sql/pglite";
import { PostgrestError } from "./query.js";
import { type RequestContext, type StatementResult, singularity } from "./reply.js";
import { quoteIdent, type RelationInfo, SchemaCache, type SqlStatement } from "./sql.js";

/**
 * Runs each request's statements the way PostgREST does: in ONE exclusive transaction (PGlite is a
 * single session, so this is also the mutex that keeps requests from interleaving) whose first statement
 * sets the role, the JWT claims, the request method, path and headers, and the search path.
 */
export class RequestRunner {
  readonly cache: SchemaCache;
  private readonly searchPath: string;

  constructor(
    private readonly db: PGlite,
    private readonly role: string,
    readonly schema: string,
  ) {
    this.cache = new SchemaCache(db, schema);
    this.searchPath = schema === "public" ? quoteIdent(schema) : `${quoteIdent(schema)}, "public"`;
  }

  async inTransaction<T>(
    ctx: RequestContext,
    readOnly: boolean,
    work: (tx: Transaction) => Promise<T>,
  ): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.query(
        `select set_config('role', $1, true), set_config('request.jwt.claims', $2, true),
                set_config('request.method', $3, true), set_config('request.path', $4, true),
                set_config('request.headers', $5, true), set_config('search_path', $6, true)` +
          (readOnly ? `, set_config('transaction_read_only', 'on', true)` : ""),
        [
          this.role,
          JSON.stringify(ctx.claims),
          ctx.method,
          ctx.path,
          JSON.stringify(ctx.headers),
          this.searchPath,
        ],
      );
      return work(tx);
    });
  }

  async run(tx: Transaction, statement: SqlStatement): Promise<StatementResult> {
    const result = await tx.query<StatementResult>(statement.text, statement.params);
    const row = result.rows[0];
    if (!row) throw new Error("statement returned no rows");
    return row;
  }

  async relationOrThrow(name: string): Promise<RelationInfo> {
    const rel = await this.cache.relation(name);
    if (!rel) {
      throw new PostgrestError(
        404,
        "PGRST205",
        `Could not find the table '${this.schema}.${name}' in the schema cache`,
      );
    }
    return rel;
  }

  /** Runs one write statement; a single-object request must touch exactly one row or nothing is kept. */
  writeInTransaction(ctx: RequestContext, statement: SqlStatement, single: boolean) {
    return this.inTransaction(ctx, false, async (tx) => {
      const result = await this.run(tx, statement);
      if (single && result.page_total !== 1) throw singularity(result.page_total);
      return result;
    });
  }
}
