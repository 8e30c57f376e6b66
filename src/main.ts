import { accountRoles } from "./account/roles.js";
import { openAuditLog } from "./audit/log.js";
import { runCheck } from "./check.js";
import { type CliValues, fail } from "./cli.js";
import {
  type Config,
  type ConfigSourceValues,
  type LoadedAgentConfig,
  parseConfig,
  parseSurfaceSettings,
  type SurfaceSettings,
} from "./config.js";
import { type Credentials, credentialSecrets } from "./credentials.js";
import { DrainingTransport } from "./draining-transport.js";
import { DsmServices } from "./dsm/services.js";
import type { EarlyAnswers } from "./early-answers.js";
import { isRaytioError, type RaytioError } from "./errors.js";
import { GatedTransport } from "./gated-transport.js";
import { selectTransport } from "./http/mode.js";
import { createLogger, type Logger } from "./logger.js";
import { RaytioApiClient } from "./raytio/api-client.js";
import { RaytioAuth } from "./raytio/auth.js";
import { createRaytioMcpServer, listToolsAsClientSeesThem } from "./server.js";
import { handleShutdown } from "./shutdown.js";
import { StdioLineTransport } from "./stdio-transport.js";
import { MemoryTaskKv } from "./tasks/kv.js";
import { parseDomains, toolsForDomains } from "./tools/core/domains.js";
import {
  applyToolFilters,
  assertKnownToolNames,
  filtersFromSurface,
  whyNotExposed,
} from "./tools/core/filters.js";
import { type DomainResolution, resolveDomainsInTime, staticDomains } from "./tools/core/resolve-domains.js";
import { BASE_DOMAINS } from "./tools/core/tool.js";
import { TOOLS } from "./tools/registry.js";
import { PACKAGE_NAME, VERSION } from "./version.js";

/** Requests whose answers depend on who signed in; they wait until domains are resolved. */
const GATED_METHODS = new Set([
  "tools/list",
  "tools/call",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "prompts/list",
  "prompts/get",
  "completion/complete",
]);

function services(loaded: LoadedAgentConfig): {
  config: Config;
  credentials: Credentials;
  logger: Logger;
  auth: RaytioAuth;
  api: RaytioApiClient;
} {
  const { config, credentials } = loaded;
  const logger = createLogger({
    level: config.logLevel,
    format: config.logFormat,
    secrets: credentialSecrets(credentials),
  });
  for (const warning of loaded.warnings) logger.warn(warning);
  const auth = new RaytioAuth(config, credentials, logger);
  const api = RaytioApiClient.fromConfig(config, auth, logger);
  return { config, credentials, logger, auth, api };
}

export async function serve(loaded: LoadedAgentConfig, early?: EarlyAnswers): Promise<void> {
  const { config, credentials, logger, auth, api } = services(loaded);
  const fixed = staticDomains(config);

  // One per process: the keyring inside must outlive every call so PBKDF2 runs once per process.
  const dsm = new DsmServices({ config, credentials, logger });
  // Opened before serving: a log that cannot be continued stops the server rather than losing records.
  const opened = await openAuditLog(config.auditLog);
  // Over stdio the process acts for its one agent account, whatever client started it.
  const audit = { log: opened.log, actor: () => ({ user: auth.signedInUserId() ?? null, client: "stdio" }) };
  // Over stdio the process is the only client, so tasks live in its memory and end with it.
  const app = createRaytioMcpServer(TOOLS, () => ({ config, logger, api, tokens: auth, dsm, audit }), {
    kv: new MemoryTaskKv(),
    owner: "stdio",
  });
  const stdio = new StdioLineTransport();
  // After early answers, the SDK is handed the handshake they answered and the rest of stdin.
  const gated = new GatedTransport(early ? early.transportOver(stdio) : stdio, GATED_METHODS);
  const transport = new DrainingTransport(gated);

  const shutdown = handleShutdown(logger, async (why) => {
    // With stdin closed nobody can read an answer, so there is nothing to wait for.
    if (why !== "stdin closed" && transport.inFlight > 0) {
      logger.info(
        `Waiting up to ${config.drainTimeoutSeconds} s for ${transport.inFlight} call(s) in flight`,
      );
      const finished = await transport.drain(config.drainTimeoutSeconds * 1000);
      if (!finished) logger.warn("Calls still in flight after MCP_DRAIN_TIMEOUT; closing anyway");
    }
    await app.server.close();
  });
  process.stdin.on("end", () => void shutdown("stdin closed"));

  // Problems found in the background go to stderr and, once the session is initialised, to the
  // client as an MCP logging message, so the person sees why calls will fail (a client may filter them).
  const initialized = new Promise<void>((resolve) => {
    app.server.server.oninitialized = resolve;
  });
  const report = (message: string) => {
    logger.error(message);
    void initialized
      .then(() => app.server.server.sendLoggingMessage({ level: "error", logger: "raytio", data: message }))
      .catch(() => undefined);
  };

  await app.server.connect(transport);
  logger.info(`${PACKAGE_NAME} ${VERSION} serving on stdio`, { config: loaded.file ?? "environment only" });
  if (opened.log.destination === "off") logger.warn(opened.description);
  else logger.info(opened.description);

  // Sign-in runs in the background: a failure is reported per tool call, never by exiting.
  let signedIn = false;
  const signIn = () =>
    auth.getIdToken().then(
      () => {
        signedIn = true;
      },
      (error: unknown) => {
        const why = isRaytioError(error) ? `${error.code}: ${error.message}` : "unexpected error";
        report(
          `Sign-in to Raytio failed, so every tool call will fail until it is fixed. ${why} Run the server with --check and the same configuration for a step-by-step report.`,
        );
      },
    );

  // The encryption password is proven as soon as the agent is signed in (PBKDF2 runs off the main
  // thread), so a wrong one is known before any DSM write creates something nobody could open.
  let dsmExposed = false;
  let proving = false;
  const proveEncryptionPassword = () => {
    if (proving || !signedIn || !dsmExposed || !credentials.encryptionPassword) return;
    proving = true;
    dsm.proveEncryptionPassword(api).catch((error: unknown) => {
      if (isRaytioError(error) && error.code === "DECRYPTION_FAILED")
        report(
          `RAYTIO_AGENT_ENCRYPTION_PASSWORD is wrong: ${error.message} DSM writes are refused until it is fixed.`,
        );
      else logger.warn("Could not check the encryption password yet; the first DSM write checks it again.");
    });
  };

  let resolution: DomainResolution;
  if (fixed) {
    resolution = { domains: fixed, source: "static", reason: "from RAYTIO_TOOL_DOMAINS", roles: [] };
    // Nothing waits on it here, and SRP's first step is CPU-bound: warming up after the first tool list
    // (or a short while) keeps it from delaying the handshake a client is timing.
    if (early?.toolListServed) void signIn().then(proveEncryptionPassword);
    else {
      const warmUp = setTimeout(() => void signIn().then(proveEncryptionPassword), 2_000);
      warmUp.unref();
      void gated.toolListServed.then(() => {
        clearTimeout(warmUp);
        void signIn().then(proveEncryptionPassword);
      });
    }
  } else {
    resolution = await resolveDomainsInTime(config, () => accountRoles(api), logger, signIn);
  }

  const filters = filtersFromSurface(config.surface);
  const exposed = applyToolFilters(toolsForDomains(TOOLS, resolution.domains), filters);
  dsmExposed = exposed.some((tool) => tool.domain === "dsm");
  app.expose(exposed, (tool) =>
    whyNotExposed(tool, resolution.domains, filters, resolution.source !== "static"),
  );
  logger.info(
    `Tool domains: ${resolution.domains.join(", ")} (${resolution.source}: ${resolution.reason}); ${exposed.length} tools${describeFilters(config.surface)}`,
  );
  gated.open();
  if (!fixed) proveEncryptionPassword();
}

function describeFilters(surface: SurfaceSettings): string {
  const parts = [
    surface.tools ? `only ${surface.tools.join(", ")}` : "",
    surface.excludeTools.length > 0 ? `excluding ${surface.excludeTools.join(", ")}` : "",
    surface.readOnly ? "read-only" : "",
  ].filter(Boolean);
  return parts.length > 0 ? ` after filters (${parts.join("; ")})` : "";
}

/** Checked before anything starts, so a typo in a domain or tool name fails at once. */
function validateSurface(surface: SurfaceSettings): void {
  if (surface.domains) parseDomains(surface.domains, "RAYTIO_TOOL_DOMAINS");
  assertKnownToolNames(filtersFromSurface(surface), TOOLS);
}

async function listTools(surface: SurfaceSettings, json: boolean): Promise<void> {
  const domains = surface.domains ? parseDomains(surface.domains, "RAYTIO_TOOL_DOMAINS") : [...BASE_DOMAINS];
  const selected = applyToolFilters(toolsForDomains(TOOLS, domains), filtersFromSurface(surface));
  // Listed as a process exposing only these tools lists them: texts lose pointers to the others.
  const listed = await listToolsAsClientSeesThem(TOOLS, selected);
  if (json) {
    process.stdout.write(`${JSON.stringify({ tools: listed }, null, 2)}\n`);
    return;
  }
  for (const tool of selected) {
    const access = tool.annotations.readOnlyHint ? "read " : "write";
    process.stdout.write(`${tool.name.padEnd(30)} ${tool.domain}  ${access}  ${tool.title}\n`);
  }
  // Bytes, as docs/tools.md measures them: a token count needs a tokenizer the package does not ship.
  const bytes = Buffer.byteLength(JSON.stringify({ tools: listed }), "utf8");
  process.stdout.write(
    `\n${selected.length} tools; their tools/list is ${bytes} bytes` +
      `${surface.domains ? "" : " (all domains; a running server narrows them by the account's roles)"}.` +
      " docs/tools.md gives each domain's size and the o200k_base tokens a model is shown of it.\n",
  );
}

/** The one read of the configuration's sources, or the reason it failed, which each command reports. */
function sourcesOrThrow(read: ConfigSourceValues | RaytioError): ConfigSourceValues {
  if (isRaytioError(read)) throw read;
  return read;
}

/**
 * Everything but the early stdio start-up (src/start.ts): the HTTP transport, --list-tools, --check,
 * --probe, and serving over stdio. `read` is src/start.ts's one read of the environment (with the
 * command-line flags applied) and the config file; nothing here reads them again.
 */
export async function runCommand(
  values: CliValues,
  read: ConfigSourceValues | RaytioError,
  /** The configuration src/start.ts already parsed, having chosen to serve stdio. */
  preloaded?: LoadedAgentConfig,
): Promise<void> {
  if (!preloaded && !values["list-tools"] && !values.check && !values.probe) {
    let transport: "stdio" | "http" = "stdio";
    try {
      transport = selectTransport(values.transport, sourcesOrThrow(read));
    } catch (error) {
      fail(isRaytioError(error) ? error.message : String(error));
    }
    if (transport === "http") {
      // Loaded only here, so the stdio start-up never parses the HTTP server.
      const { runHttpServer } = await import("./http/server.js");
      await runHttpServer(sourcesOrThrow(read));
      return;
    }
  }
  if (values["list-tools"]) {
    try {
      const surface = parseSurfaceSettings(sourcesOrThrow(read));
      validateSurface(surface);
      await listTools(surface, values.json === true);
    } catch (error) {
      fail(isRaytioError(error) ? error.message : String(error));
    }
    return;
  }

  let loaded: LoadedAgentConfig;
  try {
    loaded = preloaded ?? parseConfig(sourcesOrThrow(read));
    validateSurface(loaded.config.surface);
  } catch (error) {
    if (values.check || values.probe) process.stdout.write("Configuration: FAILED\n");
    fail(isRaytioError(error) ? error.message : String(error));
  }

  if (values.probe) {
    const { auth, api } = services(loaded);
    const { renderProbe, runProbe } = await import("./probe/run.js");
    const ok = renderProbe(await runProbe(api, auth), (line) => process.stdout.write(`${line}\n`));
    process.exit(ok ? 0 : 1);
  }

  if (values.check) {
    const { config, credentials, logger, auth, api } = services(loaded);
    const ok = await runCheck({
      loaded,
      config,
      credentials,
      logger,
      auth,
      api,
      write: (line) => process.stdout.write(`${line}\n`),
    });
    process.exit(ok ? 0 : 1);
  }

  await serve(loaded);
}
