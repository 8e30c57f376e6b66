/**
 * Logs go to stderr only: stdout is the JSON-RPC channel. Every line passes through a scrubber that
 * removes registered secrets and anything shaped like a JWT, so a careless message cannot leak a
 * password or token even if a caller interpolates one by mistake.
 */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g;

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

  const emit = (level: Exclude<LogLevel, "silent">, message: string, fields?: Record<string, unknown>) => {
    if (LEVEL_ORDER[level] < threshold) return;
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
