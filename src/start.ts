import "./stdio-guard.js";
import { fail, flagEnvironment, parseCli, USAGE } from "./cli.js";
import { type ConfigSourceValues, type LoadedAgentConfig, parseConfig, readSources } from "./config.js";
import { EarlyAnswers, readHandshake } from "./early-answers.js";
import { isRaytioError, type RaytioError } from "./errors.js";
import { selectTransport } from "./http/mode.js";
import { parseDomains, toolsForDomains } from "./tools/core/domains.js";
import { applyToolFilters, assertKnownToolNames, filtersFromSurface } from "./tools/core/filters.js";
import { exposedEntries } from "./tools/core/tool-list.js";
import { VERSION } from "./version.js";

/**
 * What the entry point (src/index.ts) runs. It carries only what serving stdio needs before the first tools/list: the
 * configuration (validated exactly as before, so a bad one still stops the process before any answer)
 * and, when RAYTIO_TOOL_DOMAINS fixes the tools, the early answers (src/early-answers.ts). The server
 * itself, the HTTP transport and the other commands load from src/main.ts. The configuration's
 * sources (the environment with the flags, and the config file) are read here, once, and every
 * command parses what it needs from that one read.
 */
async function main(): Promise<void> {
  const values = parseCli(process.argv.slice(2));
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  // Needs no configuration: an auditor checks a copy of the log wherever it is.
  if (values["verify-audit"] !== undefined) {
    const { runVerifyAudit } = await import("./audit/verify.js");
    process.exitCode = await runVerifyAudit(values["verify-audit"], (line) =>
      process.stdout.write(`${line}\n`),
    );
    return;
  }
  const read = readOnce({ ...process.env, ...flagEnvironment(values) });
  if (values["list-tools"] || values.check || values.probe || servesHttp(values, read)) {
    const { runCommand } = await import("./main.js");
    await runCommand(values, read);
    return;
  }

  let loaded: LoadedAgentConfig;
  let early: EarlyAnswers | undefined;
  try {
    if (isRaytioError(read)) throw read;
    loaded = parseConfig(read);
    early = earlyAnswers(loaded);
  } catch (error) {
    fail(isRaytioError(error) ? error.message : String(error));
  }
  if (!early) {
    const { runCommand } = await import("./main.js");
    await runCommand(values, read, loaded);
    return;
  }
  early.start();
  await early.serverWanted;
  const { serve } = await import("./main.js");
  await serve(loaded, early);
}

/** The sources, or why they cannot be read (a missing RAYTIO_CONFIG_FILE): each command reports it its way. */
function readOnce(env: NodeJS.ProcessEnv): ConfigSourceValues | RaytioError {
  try {
    return readSources({ env });
  } catch (error) {
    if (isRaytioError(error)) return error;
    throw error;
  }
}

function servesHttp(
  values: { transport?: string | undefined },
  read: ConfigSourceValues | RaytioError,
): boolean {
  if (isRaytioError(read)) return true;
  try {
    return selectTransport(values.transport, read) === "http";
  } catch {
    // The full CLI reports the bad value, or the unreadable file.
    return true;
  }
}

/** Early answers when the configuration alone fixes the tools; otherwise the server answers everything. */
function earlyAnswers(loaded: LoadedAgentConfig): EarlyAnswers | undefined {
  const { surface } = loaded.config;
  if (!surface.domains) return undefined;
  // Read only here: the other commands, and servers whose tools depend on the account, never need it.
  const handshake = readHandshake();
  if (!handshake) return undefined;
  const domains = parseDomains(surface.domains, "RAYTIO_TOOL_DOMAINS");
  const filters = filtersFromSurface(surface);
  const summaries = handshake.tools.map(({ domain, entry }) => ({
    name: entry.name,
    domain,
    annotations: { readOnlyHint: entry.annotations?.readOnlyHint },
  }));
  assertKnownToolNames(filters, summaries);
  const exposed = new Set(
    applyToolFilters(toolsForDomains(summaries, domains), filters).map((tool) => tool.name),
  );
  const hidden = new Set(summaries.filter((tool) => !exposed.has(tool.name)).map((tool) => tool.name));
  return new EarlyAnswers(
    handshake,
    exposedEntries(
      handshake.tools.map(({ entry }) => entry),
      hidden,
    ),
  );
}

main().catch((error: unknown) => {
  fail(`Raytio MCP server failed to start: ${isRaytioError(error) ? error.message : String(error)}`);
});
