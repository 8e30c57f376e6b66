import { type ConfigSources, readSources } from "../config.js";
import { RaytioError } from "../errors.js";

/**
 * Which transport to serve. Kept apart from the HTTP configuration so the stdio start-up path carries
 * only these few lines: `--transport` wins, then MCP_TRANSPORT, then MCP_SERVER_ENABLED (Keryx's name
 * for the same switch), each from the environment or else the config file.
 */
export function selectTransport(flagValue: string | undefined, sources: ConfigSources): "stdio" | "http" {
  let chosen = flagValue;
  if (chosen === undefined) {
    const read = (key: string): string | undefined => {
      const fromEnv = sources.env[key];
      return fromEnv !== undefined && fromEnv !== "" ? fromEnv : undefined;
    };
    let transport = read("MCP_TRANSPORT");
    let enabled = read("MCP_SERVER_ENABLED");
    if (transport === undefined && enabled === undefined) {
      const { values } = readSources(sources);
      transport = values.MCP_TRANSPORT || undefined;
      enabled = values.MCP_SERVER_ENABLED || undefined;
    }
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
