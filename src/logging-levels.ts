import type { LoggingLevel } from "@modelcontextprotocol/server";

/** MCP logging levels, least severe first (RFC 5424's order). */
export const LOGGING_LEVELS: readonly LoggingLevel[] = [
  "debug",
  "info",
  "notice",
  "warning",
  "error",
  "critical",
  "alert",
  "emergency",
];

/** Whether a message at `level` passes a client's threshold; no threshold lets everything through. */
export function isLevelShown(level: LoggingLevel, threshold: LoggingLevel | undefined): boolean {
  if (!threshold) return true;
  return LOGGING_LEVELS.indexOf(level) >= LOGGING_LEVELS.indexOf(threshold);
}
