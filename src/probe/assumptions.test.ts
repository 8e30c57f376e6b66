import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { sourceFiles, withoutComments } from "../../scripts/import-graph.js";
import { TOKEN_ENDPOINT_PATH } from "../config.js";
import { RPCS, rpcPath, TABLES, tablePath } from "../raytio/paths.js";
import { BACKEND_ASSUMPTIONS, SIGN_IN_ASSUMPTIONS } from "./plan.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const doc = readFileSync(path.join(root, "docs/raytio-api.md"), "utf8");
const code = sourceFiles(root)
  .filter((file) => file !== "src/raytio/paths.ts" && !file.startsWith("src/probe/"))
  .map((file) => ({ file, text: withoutComments(readFileSync(path.join(root, file), "utf8")) }));
const dataModules = code.filter(({ file }) => /^src\/(dsm|ppm|prm|wrm|account)\//.test(file));

interface Row {
  id: string;
  kind: string;
  what: string;
  status: string;
}

/** The rows of the "Assumptions, one id each" table. */
const rows: Row[] = (() => {
  const start = doc.indexOf("## Assumptions, one id each");
  const lines = doc.slice(start).split("\n");
  const table = lines.slice(lines.findIndex((line) => line.startsWith("| Id |")) + 2);
  const body = table.slice(
    0,
    table.findIndex((line) => !line.startsWith("|")),
  );
  return body.map((line) => {
    const [id = "", kind = "", what = "", status = ""] = line
      .split(" | ")
      .map((cell) => cell.replace(/^\| |\s\|$/g, "").trim());
    return { id: id.replace(/`/g, ""), kind, what, status };
  });
})();
const row = (id: string) => rows.find((candidate) => candidate.id === id);
const ticked = (text: string | undefined) =>
  [...(text ?? "").matchAll(/`([a-z_]+)`/g)].map((match) => match[1]);

describe("docs/raytio-api.md lists exactly the assumptions the operations make", () => {
  it("gives every assumption a unique id and a status (confirmed ones with their public source)", () => {
    expect(rows.length).toBeGreaterThan(30);
    expect(new Set(rows.map((entry) => entry.id)).size).toBe(rows.length);
    for (const entry of rows) {
      expect(entry.status, entry.id).toMatch(/^(assumed|confirmed: https:\/\/)/);
    }
  });

  it("lists each table with exactly the columns the operations use, and each RPC with its arguments", () => {
    for (const assumption of BACKEND_ASSUMPTIONS) {
      const entry = row(assumption.id);
      expect(entry, assumption.id).toBeDefined();
      if (assumption.kind === "table") {
        expect(entry?.what).toContain(`GET ${tablePath(assumption.table)}\` columns: `);
        expect(ticked(entry?.what.split("columns: ")[1]).sort()).toEqual([...assumption.columns].sort());
      } else {
        expect(entry?.what).toContain(`POST ${rpcPath(assumption.rpc)}\``);
        const [args, result] = (entry?.what.split("arguments: ")[1] ?? "").split("; result columns: ");
        expect(ticked(args).sort(), assumption.id).toEqual([...assumption.args].sort());
        expect(ticked(result).sort(), assumption.id).toEqual(
          [...(assumption.select ?? []), ...(assumption.alsoUses ?? [])].sort(),
        );
      }
    }
    const planned = new Set(BACKEND_ASSUMPTIONS.map((assumption) => assumption.id));
    const listed = rows
      .filter((entry) => entry.kind === "table" || entry.kind === "RPC")
      .map((entry) => entry.id);
    expect(listed.filter((id) => !planned.has(id))).toEqual([]);
  });

  it("covers every table and RPC the code names, and names none the code does not use", () => {
    const used = (kind: "TABLES" | "RPCS") =>
      new Set(
        code.flatMap(({ text }) =>
          [...text.matchAll(new RegExp(`\\b${kind}\\.(\\w+)`, "g"))].map((m) => m[1]),
        ),
      );
    const tables = [...used("TABLES")].map((key) => TABLES[key as keyof typeof TABLES]).sort();
    const rpcs = [...used("RPCS")].map((key) => RPCS[key as keyof typeof RPCS]).sort();
    const plannedTables = BACKEND_ASSUMPTIONS.flatMap((a) => (a.kind === "table" ? [a.table] : []));
    const plannedRpcs = BACKEND_ASSUMPTIONS.flatMap((a) => (a.kind === "rpc" ? [a.rpc] : []));
    expect([...new Set(plannedTables)].sort()).toEqual(tables);
    expect([...new Set(plannedRpcs)].sort()).toEqual(rpcs);
    expect(tables.length).toBe(Object.keys(TABLES).length);
    expect(rpcs.length).toBe(Object.keys(RPCS).length);
  });

  it("lists every column a data module filters, orders or selects by name", () => {
    const listed = new Set(
      BACKEND_ASSUMPTIONS.flatMap((a) =>
        a.kind === "table" ? a.columns : [...(a.select ?? []), ...(a.alsoUses ?? [])],
      ),
    );
    const named = new Set<string>();
    for (const { text } of dataModules) {
      for (const match of text.matchAll(/\.(?:eq|in|order|select)\(\s*"([a-z_]+)"|column: "([a-z_]+)"/g)) {
        named.add((match[1] ?? match[2]) as string);
      }
    }
    expect(named.size).toBeGreaterThan(20);
    expect([...named].filter((column) => !listed.has(column))).toEqual([]);
  });

  it("lists every Prefer value and backend error code the code relies on, and no other", () => {
    const all = code.map(({ text }) => text).join("\n");
    const prefer = new Set(
      [...all.matchAll(/"(count=exact|return=representation|resolution=[a-z-]+)"/g)].map((m) => m[1]),
    );
    const headerIds = rows
      .filter((entry) => entry.id.startsWith("HDR-PREFER-"))
      .map((entry) => entry.id)
      .sort();
    expect(headerIds).toEqual(
      [...prefer]
        .map((value) => `HDR-PREFER-${(value as string).replace(/[=-]/g, "-").toUpperCase()}`)
        .sort(),
    );
    const codes = new Set([...all.matchAll(/"(PGRST\d{3}|23\d{3}|P\d{4}|42\d{3})"/g)].map((m) => m[1]));
    const errorIds = rows
      .filter((entry) => entry.kind === "error code" && entry.id.startsWith("ERR-"))
      .map((entry) => entry.id)
      .sort();
    expect(errorIds).toEqual([...codes].map((value) => `ERR-${value}`).sort());
    for (const constraint of new Set([...all.matchAll(/\b([a-z_]+_fk):/g)].map((m) => m[1]))) {
      expect(row("ERR-23503")?.what, constraint).toContain(`\`${constraint}\``);
    }
  });

  it("lists both sign-in flows, the token endpoint at the path and with the grants the code sends", () => {
    const flowIds = Object.values(SIGN_IN_ASSUMPTIONS).flatMap((ids) => [ids.signIn, ids.renewal]);
    for (const id of flowIds) expect(row(id), id).toBeDefined();
    const tokenEndpoint = code.find(({ file }) => file === "src/raytio/token-endpoint.ts")?.text ?? "";
    const grants = [...tokenEndpoint.matchAll(/grant_type: "(\w+)"/g)].map((match) => match[1]);
    expect(grants.sort()).toEqual(["password", "refresh_token"]);
    const { signIn, renewal } = SIGN_IN_ASSUMPTIONS["token-endpoint"];
    for (const [id, grant] of [
      [signIn, "password"],
      [renewal, "refresh_token"],
    ] as const) {
      expect(row(id)?.what).toContain(`\`POST ${TOKEN_ENDPOINT_PATH}\``);
      expect(row(id)?.what).toContain(`\`grant_type\` \`${grant}\``);
    }
    expect(row(signIn)?.status).toMatch(/^confirmed: https:\/\/api-docs\.rayt\.io\//);
    const authRows = rows.filter((entry) => entry.id.startsWith("AUTH-")).map((entry) => entry.id);
    expect(authRows.filter((id) => !id.includes("-SIGN-IN") && !id.includes("-RENEWAL")).sort()).toEqual([
      "AUTH-BEARER-IDENTITY-TOKEN",
      "AUTH-JWT-CLAIMS",
      "AUTH-PATH-PREFIX",
      "AUTH-TOKEN-ENDPOINT-REFUSAL",
    ]);
    expect(authRows.filter((id) => id.includes("-SIGN-IN") || id.includes("-RENEWAL")).sort()).toEqual(
      flowIds.sort(),
    );
  });

  it("cites nothing outside the repository", () => {
    expect(doc).not.toMatch(/\]\(\.\.\/|`\.\.\/|\.\.\/shared/);
  });
});
