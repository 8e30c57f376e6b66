// Preloaded (`node --require`) into every server the start-up bench spawns, ours and the peers alike,
// so each is measured the same way: on SIGUSR2 it writes the process's memory to
// $RAYTIO_BENCH_MEMORY_FILE. RSS alone can be read from /proc; the V8 heap only from inside.
const { writeFileSync } = require("node:fs");

const file = process.env.RAYTIO_BENCH_MEMORY_FILE;
if (file) {
  process.on("SIGUSR2", () => {
    const usage = process.memoryUsage();
    writeFileSync(
      file,
      JSON.stringify({
        rss: usage.rss,
        heapTotal: usage.heapTotal,
        heapUsed: usage.heapUsed,
        external: usage.external,
      }),
    );
  });
}
