import { errorFields, type Logger } from "./logger.js";

/**
 * The one way a serving process ends, for both transports: SIGTERM and SIGINT (and whatever else the
 * caller wires to the returned function) close once, then exit 0. `close` is told why, so it can drain
 * in-flight work on a signal and skip that when there is no one left to answer (stdin closed). A second
 * signal while closing exits at once: whoever sends it has decided not to wait. An unhandled rejection
 * is logged by its class and message, scrubbed and cut short by the logger.
 */
export function handleShutdown(
  logger: Logger,
  close: (why: string) => Promise<void>,
): (why: string) => Promise<void> {
  let closing = false;
  const shutdown = async (why: string) => {
    if (closing) return;
    closing = true;
    logger.info(`Shutting down (${why})`);
    await close(why).catch((error: unknown) =>
      logger.warn("Shutdown did not finish cleanly", errorFields(error)),
    );
    process.exit(0);
  };
  const onSignal = (signal: string) => {
    if (closing) {
      logger.warn(`${signal} again while shutting down: exiting now`);
      process.exit(0);
    }
    void shutdown(signal);
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("unhandledRejection", (reason) => {
    logger.error("Unhandled rejection", errorFields(reason));
  });
  return shutdown;
}
