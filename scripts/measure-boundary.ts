import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  domainFilesImportingTools,
  filesKnowingBackend,
  frameworkFilesImportingTools,
  importGraph,
  toolFilesImportingBackend,
  upwardImports,
} from "./import-graph.js";

/**
 * Prints how far backend knowledge has spread and how many imports break the layer order.
 * `npm run measure:boundary`; `--verbose` lists the files behind each number.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const verbose = process.argv.includes("--verbose");
const edges = importGraph(root);
const knowing = filesKnowingBackend(root);
const area = (file: string) =>
  file.startsWith("src/tools/")
    ? "src/tools"
    : file.startsWith("src/raytio/")
      ? "src/raytio"
      : /^src\/(dsm|ppm|prm|wrm|account)\//.test(file)
        ? "domain modules"
        : file.startsWith("src/probe/")
          ? "src/probe (the assumption checker)"
          : "elsewhere";
const byArea = new Map<string, number>();
for (const { file } of knowing) byArea.set(area(file), (byArea.get(area(file)) ?? 0) + 1);

const toolBackend = toolFilesImportingBackend(edges);
const upward = upwardImports(edges);
const domainTools = domainFilesImportingTools(edges);
const frameworkTools = frameworkFilesImportingTools(edges);
const lines = [
  `files that know a table, column, RPC or backend error code: ${knowing.length} (${[...byArea].map(([k, v]) => `${k} ${v}`).join(", ")})`,
  `tool files importing the query builder, paths or API client: ${new Set(toolBackend.map((e) => e.from)).size}`,
  `tool files calling the API client themselves: ${knowing.length === 0 ? 0 : countApiCalls()}`,
  `domain files importing src/tools: ${new Set(domainTools.map((e) => e.from)).size}`,
  `tools framework files importing a domain's tools or the registry: ${new Set(frameworkTools.map((e) => e.from)).size}`,
  `imports that run back up a layer: ${upward.length}`,
];
console.log(lines.join("\n"));
if (verbose) {
  for (const { file, marks } of knowing) console.log(`  knows: ${file} (${marks.join(", ")})`);
  for (const edge of toolBackend) console.log(`  tool->backend: ${edge.from} -> ${edge.to}`);
  for (const edge of upward) console.log(`  upward: ${edge.from} -> ${edge.to}`);
  for (const edge of frameworkTools) console.log(`  framework->tools: ${edge.from} -> ${edge.to}`);
}

function countApiCalls(): number {
  return new Set(
    edges
      .filter((edge) => edge.from.startsWith("src/tools/"))
      .map((edge) => edge.from)
      .filter((file) => /\bapi\.(get|post|put|patch|delete|request)\(/.test(readSource(file))),
  ).size;
}

function readSource(file: string): string {
  return readFileSync(path.join(root, file), "utf8");
}
