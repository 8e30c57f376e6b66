// Preloaded (`node --import`) into the one spawn per build that measures which bundle files a server
// loads before its first tools/list answer, never into a timed spawn (its hooks slow loading down).
// It appends to $RAYTIO_BENCH_LOAD_TRACE, in the order things happen: `load <url>` from the loader
// hooks (bench/load-hooks.mjs) for each module loaded, and `answer <id>` before each JSON-RPC answer
// reaches stdout. A module is loaded before the code that imports it resumes, so a file listed before
// `answer <id>` was loaded before that answer was written (bench/stats.ts reads the trace).
import { appendFileSync } from "node:fs";
import { register } from "node:module";

const trace = process.env.RAYTIO_BENCH_LOAD_TRACE;
if (trace) {
  register(new URL("./load-hooks.mjs", import.meta.url), { data: { trace } });
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk, ...rest) => {
    for (const line of String(chunk).split("\n")) {
      try {
        const message = JSON.parse(line);
        if (message && message.id !== undefined)
          appendFileSync(trace, `answer ${JSON.stringify(message.id)}\n`);
      } catch {
        // Not a whole JSON line: nothing to mark.
      }
    }
    return write(chunk, ...rest);
  };
}
