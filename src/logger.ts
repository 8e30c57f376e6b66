import { currentRequest } from "./request-context.js";

/**
 * Logs go to stderr only: stdout is the JSON-RPC channel. Every line passes through a scrubber that
 * removes registered secrets and anything shaped like a JWT, so a careless message cannot leak a
 * password or token even if a caller interpolates one by mistake.
 *
 * Two formats: `text` (the default, for a person reading a terminal) and `json` (RAYTIO_LOG_FORMAT=json,
 * for a log pipeline): one object per line with time, level, message, the id of the request being
 * served (when there is one) and the line's fields.
 */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
export type LogFormat = "text" | "json";

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g;
/** An error message is kept to this many characters: enough to act on, too short to carry a payload. */
const MAX_ERROR_MESSAGE = 300;

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Registers a value that must never appear in a log line (passwords, tokens). */
  addSecret(value: string | undefined): void;
  scrub(text: string): string;
}

export function createLogger(options: {
  level: LogLevel;
  format?: LogFormat;
  write?: (line: string) => void;
  secrets?: readonly string[];
}): Logger {
  const threshold = LEVEL_ORDER[options.level];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const secrets = new Set<string>();
  for (const secret of options.secrets ?? []) if (secret.length >= 4) secrets.add(secret);

  const scrub = (text: string): string => {
    let result = text.replace(JWT_PATTERN, "[redacted-token]");
    for (const secret of secrets) result = result.split(secret).join("[redacted]");
    return result;
  };
  // Each string is scrubbed before it is encoded: a secret holding a quote or a backslash would no
  // longer match once JSON had escaped it.
  const scrubValue = (value: unknown, depth = 0): unknown => {
    if (typeof value === "string") return scrub(value);
    if (depth > 8 || value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) return value.map((item) => scrubValue(item, depth + 1));
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, item]) => [
        key,
        scrubValue(item, depth + 1),
      ]),
    );
  };

  const emit = (level: Exclude<LogLevel, "silent">, message: string, fields?: Record<string, unknown>) => {
    if (LEVEL_ORDER[level] < threshold) return;
    if (options.format === "json") {
      const requestId = currentRequest()?.requestId;
      const line = {
        ...(scrubValue(fields ?? {}) as Record<string, unknown>),
        time: new Date().toISOString(),
        level,
        message: scrub(message),
        ...(requestId ? { request_id: requestId } : {}),
      };
      write(`${scrub(JSON.stringify(line))}\n`);
      return;
    }
    const suffix = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
    write(`${scrub(`[raytio-mcp] ${level}: ${message}${suffix}`)}\n`);
  };

  return {
    debug: (message, fields) => emit("debug", message, fields),
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
    addSecret(value) {
      if (value && value.length >= 4) secrets.add(value);
    },
    scrub,
  };
}

/**
 * How a log line names an error: its class and its message, cut short. The logger scrubs the line, so a
 * token or registered secret in a message is removed; messages of this server's own errors never carry
 * data, and a foreign one (a socket error, a Redis reply) says what failed, which is what an operator
 * needs.
 */
export function errorFields(error: unknown): { error: string; error_message?: string } {
  if (!(error instanceof Error)) return { error: typeof error };
  const name = error.name && error.name !== "Error" ? error.name : (error.constructor?.name ?? "Error");
  // A JSON parse error quotes the text it could not parse, which may be anyone's data.
  if (error instanceof SyntaxError) return { error: name };
  const code = (error as { code?: unknown }).code;
  const message = [typeof code === "string" && !error.message.includes(code) ? code : "", error.message]
    .filter(Boolean)
    .join(": ");
  return {
    error: name,
    ...(message
      ? {
          error_message:
            message.length > MAX_ERROR_MESSAGE ? `${message.slice(0, MAX_ERROR_MESSAGE)}…` : message,
        }
      : {}),
  };
}
