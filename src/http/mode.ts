import { type ConfigSourceValues, sourceValue } from "../config.js";
import { RaytioError } from "../errors.js";

/**
 * Which transport to serve. Kept apart from the HTTP configuration so the stdio start-up path carries
 * only these few lines: `--transport` wins, then MCP_TRANSPORT, then MCP_SERVER_ENABLED (Keryx's name
 * for the same switch), the pair from the environment or else, when the environment sets neither, the
 * config file.
 */
export function selectTransport(flagValue: string | undefined, read: ConfigSourceValues): "stdio" | "http" {
  let chosen = flagValue;
  if (chosen === undefined) {
    const inEnv = (key: string) => read.env[key] || undefined;
    // The pair comes from one place, so a file cannot half-override what the environment chose.
    const setInEnv = inEnv("MCP_TRANSPORT") !== undefined || inEnv("MCP_SERVER_ENABLED") !== undefined;
    const setting = setInEnv ? inEnv : (key: string) => sourceValue(read, key);
    const transport = setting("MCP_TRANSPORT");
    const enabled = setting("MCP_SERVER_ENABLED");
    chosen = transport ?? (["true", "1", "yes"].includes(enabled ?? "") ? "http" : "stdio");
  }
  if (chosen !== "stdio" && chosen !== "http") {
    throw new RaytioError(
      "CONFIG_INVALID",
      `--transport / MCP_TRANSPORT must be stdio or http, not ${JSON.stringify(chosen)}.`,
    );
  }
  return chosen;
}
