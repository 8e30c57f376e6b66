import type { Logger } from "./logger.js";

/**
 * The one way a serving process ends, for both transports: SIGTERM and SIGINT (and whatever else the
 * caller wires to the returned function) close once, then exit 0. An unhandled rejection is logged by
 * its kind only, never its message, which could carry a value from the API.
 */
export function handleShutdown(logger: Logger, close: () => Promise<void>): (why: string) => Promise<void> {
  let closing = false;
  const shutdown = async (why: string) => {
    if (closing) return;
    closing = true;
    logger.info(`Shutting down (${why})`);
    await close().catch(() => undefined);
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("unhandledRejection", (reason) => {
    logger.error("Unhandled rejection", {
      error: reason instanceof Error ? reason.name : String(typeof reason),
    });
  });
  return shutdown;
}
