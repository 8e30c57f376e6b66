// Module loader hooks for bench/load-recorder.mjs: records each module loaded, once it is loaded.
import { appendFileSync } from "node:fs";

let trace;

export function initialize(data) {
  trace = data.trace;
}

export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (trace && url.startsWith("file:")) appendFileSync(trace, `load ${url}\n`);
  return result;
}
