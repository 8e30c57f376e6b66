/**
 * Writes dist/tool-catalogue.json, run by `npm run build` after the bundle: every tool's tools/list
 * entry, domain and task support, from the real definitions. The server serves its handshake from it
 * and loads the tool modules on the first call (src/tools/catalogue.ts). Protocol answers are not in
 * it: the running SDK always gives those.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CATALOGUE_FILE, catalogueTool } from "../src/tools/catalogue.js";
import { TOOLS } from "../src/tools/registry.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export function buildCatalogue() {
  return TOOLS.map(catalogueTool);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const catalogue = buildCatalogue();
  writeFileSync(path.join(root, "dist", CATALOGUE_FILE), JSON.stringify(catalogue));
  console.error(`Wrote dist/${CATALOGUE_FILE} (${catalogue.length} tools)`);
}
