import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/**
 * The layer order of src/, top to bottom, and the import graph checked against it. Shared by the
 * architecture test (which fails the build when a rule breaks) and `npm run measure:boundary` (which
 * prints the counts), so both judge the same graph.
 */

/** Higher runs higher: a file may import its own layer or any lower one, never a higher one. */
export const LAYERS = [
  { rank: 1, name: "foundation (config, logging, errors, crypto, paging, schema catalogue)" },
  { rank: 2, name: "Raytio client (src/raytio)" },
  { rank: 3, name: "domain modules (src/<domain>)" },
  { rank: 4, name: "MCP surface (src/tools, src/catalogue)" },
  { rank: 5, name: "MCP server (src/server.ts, src/tool-runtime.ts, src/listing.ts, src/tasks)" },
  { rank: 6, name: "entry points and transports" },
] as const;

const DOMAIN_DIRS = ["dsm", "ppm", "prm", "wrm", "account"];

/** The layer of a file under src/, by its path relative to src/ (posix separators). */
export function layerOf(relative: string): number {
  const [head = "", ...rest] = relative.split("/");
  if (rest.length === 0) {
    if (
      [
        "index.ts",
        "main.ts",
        // The agent's sign-in, API client and keyring, built for the stdio entry point.
        "agent.ts",
        "cli.ts",
        "early-answers.ts",
        "start.ts",
        "check.ts",
        "probe.ts",
        "stdio-transport.ts",
        "gated-transport.ts",
        "draining-transport.ts",
        "forwarding-transport.ts",
        "legacy-task-transport.ts",
        "listen-transport.ts",
        "version-guard-transport.ts",
        "stdio-guard.ts",
      ].includes(head)
    )
      return 6;
    if (["server.ts", "tool-runtime.ts", "listing.ts", "tool-listing.ts"].includes(head)) return 5;
    return 1;
  }
  if (head === "http" || head === "probe") return 6;
  // MCP tasks are part of serving: the TaskStore and tools/call routing that server.ts installs.
  if (head === "tasks") return 5;
  // subscriptions/listen streams and the change feed behind them, installed beside the tasks.
  if (head === "subscriptions") return 5;
  if (head === "tools" || head === "catalogue") return 4;
  if (DOMAIN_DIRS.includes(head)) return 3;
  if (head === "raytio") return 2;
  return 1;
}

export interface ImportEdge {
  from: string;
  /** Resolved path relative to the repository root, or the bare specifier of a package. */
  to: string;
  specifier: string;
}

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']|(?:^|[\s;])import\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

export function importsOf(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2] ?? match[3];
    if (specifier) found.push(specifier);
  }
  return found;
}

export function sourceFiles(root: string, dir = "src"): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const relative = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(root, relative));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) out.push(relative);
  }
  return out.sort();
}

export function importGraph(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of sourceFiles(root)) {
    for (const specifier of importsOf(readFileSync(path.join(root, file), "utf8"))) {
      const to = specifier.startsWith(".")
        ? path.posix.join(path.posix.dirname(file), specifier).replace(/\.js$/, ".ts")
        : specifier;
      edges.push({ from: file, to, specifier });
    }
  }
  return edges;
}

const rel = (file: string) => file.replace(/^src\//, "");

/** Imports whose target sits in a higher layer than the importer, or outside src/ (the sandbox). */
export function upwardImports(edges: readonly ImportEdge[]): ImportEdge[] {
  return edges.filter((edge) => {
    if (!edge.specifier.startsWith(".")) return false;
    if (!edge.to.startsWith("src/")) return true;
    return layerOf(rel(edge.to)) > layerOf(rel(edge.from));
  });
}

/** The modules that speak the backend's language; the MCP surface may not import them. */
export const BACKEND_MODULES = ["src/raytio/postgrest.ts", "src/raytio/paths.ts", "src/raytio/api-client.ts"];

export function toolFilesImportingBackend(edges: readonly ImportEdge[]): ImportEdge[] {
  return edges.filter((edge) => edge.from.startsWith("src/tools/") && BACKEND_MODULES.includes(edge.to));
}

export function domainFilesImportingTools(edges: readonly ImportEdge[]): ImportEdge[] {
  return edges.filter((edge) => layerOf(rel(edge.from)) === 3 && edge.to.startsWith("src/tools/"));
}

/**
 * The tools framework (execute, validation, listing, exposure...) sits below the domains' tools, which
 * build on it, and below the registry, which lists them: it imports neither.
 */
export const TOOLS_FRAMEWORK = "src/tools/core/";

export function frameworkFilesImportingTools(edges: readonly ImportEdge[]): ImportEdge[] {
  return edges.filter(
    (edge) =>
      edge.from.startsWith(TOOLS_FRAMEWORK) &&
      edge.to.startsWith("src/tools/") &&
      !edge.to.startsWith(TOOLS_FRAMEWORK),
  );
}

/**
 * Marks of backend knowledge: table and RPC names, PostgREST filter syntax and builder calls,
 * `p_` RPC arguments, Postgres/PostgREST error codes and constraint names, column projections.
 */
export function backendKnowledge(root: string, source: string): string[] {
  const paths = readFileSync(path.join(root, "src/raytio/paths.ts"), "utf8");
  const names = [...paths.matchAll(/:\s*"((?:fnd|dsm|ppm|prm|wrm)_[a-z_]+)"/g)].map((m) => m[1] as string);
  const marks: string[] = [];
  const check = (label: string, pattern: RegExp) => {
    if (pattern.test(source)) marks.push(label);
  };
  check("table or RPC name", new RegExp(`["'\`](${names.join("|")})["'\`]|\\b(TABLES|RPCS)\\.`));
  check(
    "backend error code",
    /PGRST\d{3}|["'`](23503|23505|23514|P0001|42501)["'`]|\b[a-z]+_(fk|fkey|pkey)\b/,
  );
  check("RPC argument", /\bp_[a-z_]+\s*:/);
  check(
    "filter encoding",
    /=(eq|neq|in|gte|lte|gt|lt|cs|ov|ilike|like|is)\.|\bquery\(\)|\.(eq|in|where|order)\(\s*["'{]/,
  );
  check("column projection", /\b[A-Z_]+_SELECT\b|\.select\(/);
  return marks;
}

/** Comments may name the backend's parts to explain them; only code counts as knowing them. */
export function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

export function filesKnowingBackend(root: string): Array<{ file: string; marks: string[] }> {
  return sourceFiles(root)
    .map((file) => ({
      file,
      marks: backendKnowledge(root, withoutComments(readFileSync(path.join(root, file), "utf8"))),
    }))
    .filter((entry) => entry.marks.length > 0);
}

/**
 * The circles of the import graph of src/ (strongly connected groups of two or more files), each sorted.
 * A circle, even through type-only imports, means no file of it can be understood or moved alone.
 */
export function importCircles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const edge of edges) {
    if (!edge.to.startsWith("src/")) continue;
    next.set(edge.from, [...(next.get(edge.from) ?? []), edge.to]);
  }
  // Tarjan's algorithm, iterative enough for a graph of a few hundred files.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, counter);
    low.set(file, counter);
    counter += 1;
    stack.push(file);
    onStack.add(file);
    for (const target of next.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file) ?? 0, low.get(target) ?? 0));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file) ?? 0, index.get(target) ?? 0));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const group: string[] = [];
    for (;;) {
      const member = stack.pop() as string;
      onStack.delete(member);
      group.push(member);
      if (member === file) break;
    }
    if (group.length > 1) circles.push(group.sort());
  };
  for (const file of next.keys()) if (!index.has(file)) visit(file);
  return circles;
}
