import { z } from "zod";
import { isRaytioError } from "../errors.js";
import type { RaytioApiClient } from "../raytio/api-client.js";
import type { RaytioAuth, TokenSource } from "../raytio/auth.js";
import { rpcPath, tablePath } from "../raytio/paths.js";
import { query } from "../raytio/postgrest.js";
import { PACKAGE_NAME, VERSION } from "../version.js";
import {
  BACKEND_ASSUMPTIONS,
  type BackendAssumption,
  NIL_ID,
  SIGN_IN_ASSUMPTIONS,
  type TableAssumption,
} from "./plan.js";

/**
 * `--probe`: every backend assumption checked read-only against the configured account, one line
 * each. A line names only ids, paths, column names, types, HTTP statuses and error codes: never a
 * value read, so no personal data or secret reaches the screen.
 */

export interface ProbeLine {
  id: string;
  tried: string;
  ok: boolean;
  /** For a failure: what differs from the assumption. */
  difference?: string;
}

export interface ProbeReport {
  lines: ProbeLine[];
  /** Assumptions the probe cannot check, and why; listed so nobody mistakes them for checked. */
  notExercised: Array<{ id: string; why: string }>;
}

const CLAIMS = ["sub", "custom:customer_id"] as const;

/** The sign-in the probe checks: the configured flow, its token cache and its counters. */
export type ProbeAuth = TokenSource & Pick<RaytioAuth, "flow" | "stats">;

export async function runProbe(api: RaytioApiClient, auth: ProbeAuth): Promise<ProbeReport> {
  const lines: ProbeLine[] = [];
  const notExercised: ProbeReport["notExercised"] = [];

  for (const [flow, ids] of Object.entries(SIGN_IN_ASSUMPTIONS)) {
    if (flow === auth.flow.name) continue;
    const why = `RAYTIO_AUTH_FLOW chose ${auth.flow.name}; set it to ${flow} to check this one`;
    notExercised.push({ id: ids.signIn, why }, { id: ids.renewal, why });
  }
  if (!(await checkSignIn(auth, lines))) return { lines, notExercised };

  const tableLines: ProbeLine[] = [];
  for (const assumption of BACKEND_ASSUMPTIONS) {
    const line = await check(api, assumption);
    if (!line)
      notExercised.push({ id: assumption.id, why: "the function writes; only its callers exercise it" });
    else {
      lines.push(line);
      if (assumption.kind === "table") tableLines.push(line);
    }
  }

  // Every read above went to /db/v1/<table> with the identity token as bearer, so one that answered
  // confirms both conventions; if none did, the lines above say why (404s, or permission errors).
  const anyRead = tableLines.some((line) => line.ok);
  lines.push(
    conventionLine("AUTH-PATH-PREFIX", "the table reads above, at /db/v1/<table>", anyRead),
    conventionLine(
      "AUTH-BEARER-IDENTITY-TOKEN",
      "the table reads above, with Authorization: Bearer <identity token>",
      anyRead,
    ),
    await countHeader(api),
    await singleObject(api),
  );
  notExercised.push(
    {
      id: "AUTH-TOKEN-ENDPOINT-REFUSAL",
      why: "only a wrong password shows a refusal, and wrong passwords can lock the account",
    },
    { id: "HDR-PREFER-RETURN-REPRESENTATION", why: "only writes ask for the written rows back" },
    { id: "HDR-PREFER-RESOLUTION-IGNORE-DUPLICATES", why: "only assign_worker's insert uses it" },
    { id: "ERR-23503", why: "a foreign-key refusal needs a write" },
    { id: "ERR-23505", why: "a unique-constraint refusal needs a write" },
    { id: "ERR-23514", why: "a check-constraint refusal needs a write" },
  );
  return { lines, notExercised };
}

/** Signs in, reads the claims and renews once; false when nothing further can be checked. */
async function checkSignIn(auth: ProbeAuth, lines: ProbeLine[]): Promise<boolean> {
  const ids = SIGN_IN_ASSUMPTIONS[auth.flow.name];
  const signIn = `sign in (${auth.flow.describe()})`;
  let claims: Record<string, unknown>;
  try {
    claims = (await auth.getClaims()) as Record<string, unknown>;
    lines.push({ id: ids.signIn, tried: signIn, ok: true });
  } catch (error) {
    lines.push({ id: ids.signIn, tried: signIn, ok: false, difference: describeError(error) });
    return false;
  }

  const tried = `read the identity token's claims (${CLAIMS.join(", ")})`;
  const missing = CLAIMS.filter((claim) => typeof claims[claim] !== "string");
  lines.push(
    missing.length === 0
      ? { id: "AUTH-JWT-CLAIMS", tried, ok: true }
      : { id: "AUTH-JWT-CLAIMS", tried, ok: false, difference: `claims missing: ${missing.join(", ")}` },
  );

  const renewal = "renew the tokens once with the refresh token";
  const before = auth.stats();
  try {
    await auth.renewAfterRejection(await auth.getIdToken());
    const after = auth.stats();
    const renewed = after.refreshes === before.refreshes + 1 && after.signIns === before.signIns;
    lines.push(
      renewed
        ? { id: ids.renewal, tried: renewal, ok: true }
        : {
            id: ids.renewal,
            tried: renewal,
            ok: false,
            difference: "the renewal was refused; only a full sign-in gave new tokens",
          },
    );
  } catch (error) {
    lines.push({ id: ids.renewal, tried: renewal, ok: false, difference: describeError(error) });
    return false;
  }
  return true;
}

function conventionLine(id: string, tried: string, held: boolean): ProbeLine {
  return held ? { id, tried, ok: true } : { id, tried, ok: false, difference: "no table read answered" };
}

async function check(api: RaytioApiClient, assumption: BackendAssumption): Promise<ProbeLine | undefined> {
  if (assumption.kind === "table") return checkTable(api, assumption);
  if (!assumption.harmless) return undefined;
  const path = rpcPath(assumption.rpc);
  const args = Object.keys(assumption.harmless);
  const tried = `POST ${path} (${args.length === 0 ? "no arguments" : args.join(", ")}; nothing to find)`;
  try {
    const response = await api.post<unknown>(path, {
      body: assumption.harmless,
      ...(assumption.select ? { query: query().select(assumption.select).limit(1) } : {}),
      idempotent: true,
    });
    const difference = compare(response.data, assumption.schema ?? z.unknown(), assumption.select);
    return difference
      ? { id: assumption.id, tried, ok: false, difference }
      : { id: assumption.id, tried, ok: true };
  } catch (error) {
    return { id: assumption.id, tried, ok: false, difference: describeError(error) };
  }
}

async function checkTable(api: RaytioApiClient, assumption: TableAssumption): Promise<ProbeLine> {
  const path = tablePath(assumption.table);
  const tried = `GET ${path}, 1 row, ${assumption.columns.length} columns`;
  try {
    const response = await api.get<unknown>(path, { query: query().select(assumption.columns).limit(1) });
    for (const schema of assumption.schemas) {
      const difference = compare(response.data, schema as z.ZodType, assumption.columns);
      if (difference) return { id: assumption.id, tried, ok: false, difference };
    }
    return { id: assumption.id, tried, ok: true };
  } catch (error) {
    return { id: assumption.id, tried, ok: false, difference: describeError(error) };
  }
}

/** `Prefer: count=exact` answers the total in Content-Range. */
async function countHeader(api: RaytioApiClient): Promise<ProbeLine> {
  const first = BACKEND_ASSUMPTIONS.find((assumption) => assumption.kind === "table");
  const path = tablePath((first as TableAssumption).table);
  const tried = `GET ${path}?limit=0 with Prefer: count=exact`;
  try {
    const response = await api.get<unknown>(path, {
      query: query().select("*").limit(0),
      prefer: ["count=exact"],
    });
    return response.total === undefined
      ? { id: "HDR-PREFER-COUNT-EXACT", tried, ok: false, difference: "no total in Content-Range" }
      : { id: "HDR-PREFER-COUNT-EXACT", tried, ok: true };
  } catch (error) {
    return { id: "HDR-PREFER-COUNT-EXACT", tried, ok: false, difference: describeError(error) };
  }
}

/** Asking for one object that does not exist answers 406 PGRST116, which tools report as not found. */
async function singleObject(api: RaytioApiClient): Promise<ProbeLine> {
  const first = BACKEND_ASSUMPTIONS.find((assumption) => assumption.kind === "table");
  const path = tablePath((first as TableAssumption).table);
  const tried = `GET ${path} for an id no row has, as one object (Accept: application/vnd.pgrst.object+json)`;
  try {
    await api.get<unknown>(path, { query: query().select("*").eq("user_id", NIL_ID), single: true });
    return { id: "ERR-PGRST116", tried, ok: false, difference: "answered a row instead of 406 PGRST116" };
  } catch (error) {
    const details = isRaytioError(error) ? error.details : undefined;
    if (
      isRaytioError(error) &&
      error.code === "NOT_FOUND" &&
      details?.status === 406 &&
      details.apiCode === "PGRST116"
    )
      return { id: "ERR-PGRST116", tried, ok: true };
    return {
      id: "ERR-PGRST116",
      tried,
      ok: false,
      difference: `expected 406 PGRST116; ${describeError(error)}`,
    };
  }
}

/**
 * What differs between a response and the schema the tools read it with, in column names and types
 * only. A column missing while the row has one nobody asked for reads as a rename.
 */
export function compare(body: unknown, schema: z.ZodType, selected?: readonly string[]): string | undefined {
  if (!Array.isArray(body)) return `expected a JSON array, got ${kindOf(body)}`;
  const row = body[0];
  if (row === undefined) return undefined;
  const parsed = schema.safeParse(row);
  const unexpected =
    selected && row && typeof row === "object" && !Array.isArray(row)
      ? Object.keys(row).filter((key) => !selected.includes(key))
      : [];
  if (parsed.success)
    return unexpected.length > 0 ? `unexpected columns: ${unexpected.join(", ")}` : undefined;
  const parts: string[] = [];
  for (const issue of parsed.error.issues.slice(0, 5)) {
    const column = issue.path.map(String).join(".") || "(row)";
    const value = issue.path.reduce<unknown>(
      (at, key) =>
        at && typeof at === "object" ? (at as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined,
      row,
    );
    if (value === undefined && issue.path.length === 1) parts.push(`missing column ${column}`);
    else if (issue.code === "invalid_type")
      parts.push(`${column}: expected ${issue.expected}, got ${kindOf(value)}`);
    else parts.push(`${column}: unexpected ${kindOf(value)} value`);
  }
  if (unexpected.length > 0) parts.push(`unexpected columns: ${unexpected.join(", ")} (renamed?)`);
  return parts.join("; ");
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** An API failure as status and code, never the server's text beyond what names a column or path. */
export function describeError(error: unknown): string {
  if (!isRaytioError(error)) return "unexpected error";
  const details = error.details ?? {};
  const status = typeof details.status === "number" ? details.status : undefined;
  const code = typeof details.apiCode === "string" ? details.apiCode : undefined;
  if (status === 404) return `404: path not found${code ? ` (${code})` : ""}`;
  if (status === 401 || status === 403) return `permission error (HTTP ${status}${code ? ` ${code}` : ""})`;
  if (code === "42703" || code === "PGRST204") {
    const column = /column\s+"?([\w.]+)"?/i.exec(error.message)?.[1];
    return `missing column${column ? ` ${column}` : ""} (HTTP ${status ?? "?"} ${code})`;
  }
  if (status !== undefined) return `HTTP ${status}${code ? ` ${code}` : " with an unexpected error shape"}`;
  return error.code === "API_UNAVAILABLE" ? "API unreachable" : error.code;
}

export function renderProbe(report: ProbeReport, write: (line: string) => void): boolean {
  const failed = report.lines.filter((line) => !line.ok).length;
  write(`${PACKAGE_NAME} ${VERSION} backend probe (read-only)`);
  write("");
  const width = Math.max(...report.lines.map((line) => line.id.length));
  for (const line of report.lines) {
    write(
      `${line.ok ? "✔" : "✘"} ${line.id.padEnd(width)}  ${line.tried}${line.ok ? "" : `\n  ${" ".repeat(width)}  ✘ ${line.difference}`}`,
    );
  }
  if (report.notExercised.length > 0) {
    write("");
    write("Not exercised:");
    for (const item of report.notExercised) write(`  - ${item.id}: ${item.why}`);
  }
  write("");
  write(
    failed === 0
      ? `Result: OK (${report.lines.length} checks)`
      : `Result: ${failed} of ${report.lines.length} checks differ`,
  );
  return failed === 0;
}
