import { TOOLS } from "./src/tools/registry.js";
import { toolListEntry, entryForExposure } from "./src/tools/tool-list.js";
for (const tool of TOOLS) {
  const hidden = new Set(TOOLS.filter(t => t.name !== tool.name).map(t => t.name));
  const e = entryForExposure(toolListEntry(tool), hidden);
  const descs: string[] = [];
  JSON.stringify(e.inputSchema, (k, v) => { if (k === "description") descs.push(v); return v; });
  const orig: string[] = [];
  JSON.stringify(toolListEntry(tool).inputSchema, (k, v) => { if (k === "description") orig.push(v); return v; });
  if (e.description !== tool.description) console.log(`${tool.name}:\n  ${tool.description}\n  -> ${e.description}`);
  orig.forEach((o, i) => { if (!descs.includes(o)) console.log(`   field: ${o}`); });
}
