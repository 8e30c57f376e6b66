import { writeFileSync } from "node:fs";
import { listToolsAsClientSeesThem } from "../src/tool-listing.js";
import { TOOLS } from "../src/tools/registry.js";
import { toolListSizes } from "./tool-list-size.js";
import { renderToolsDoc } from "./tools-doc.js";

const target = new URL("../docs/tools.md", import.meta.url);
writeFileSync(
  target,
  renderToolsDoc(TOOLS, await listToolsAsClientSeesThem(TOOLS), await toolListSizes(TOOLS)),
);
console.log(`Wrote ${target.pathname}`);
