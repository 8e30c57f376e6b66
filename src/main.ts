import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  type ClientCapabilities,
  type McpServer,
  PROTOCOL_VERSION_META_KEY,
} from "@modelcontextprotocol/server";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import type { AgentServices } from "./agent.js";
import { openAuditLog } from "./audit/log.js";
import { type CliValues, fail } from "./cli.js";
import {
  type ConfigSourceValues,
  type LoadedAgentConfig,
  parseConfig,
  parseSurfaceSettings,
  type SurfaceSettings,
} from "./config.js";
import { credentialSecrets } from "./credentials.js";
import { DrainingTransport } from "./draining-transport.js";
import { isRaytioError, type RaytioError } from "./errors.js";
import { GatedTransport } from "./gated-transport.js";
import { selectTransport } from "./http/mode.js";
import { LegacyTaskCalls } from "./legacy-task-transport.js";
import { ListenTransport } from "./listen-transport.js";
import { createLogger, type Logger } from "./logger.js";
import { loadToolRuntime, RaytioSurface } from "./server.js";
import { handleShutdown } from "./shutdown.js";
import { StdioLineTransport } from "./stdio-transport.js";
import { MemoryChangeFeed } from "./subscriptions/feed.js";
import { withChangeFollowUps } from "./subscriptions/follow-ups.js";
import { MemoryTaskKv } from "./tasks/kv.js";
import { sendTaskStatus } from "./tasks/legacy.js";
import { TaskService } from "./tasks/service.js";
import { loadCatalogue, type ToolCatalogue } from "./tools/catalogue.js";
import { cannotConfirmWarning } from "./tools/core/confirmation.js";
import { parseDomains, toolsForDomains } from "./tools/core/domains.js";
import {
  applyToolFilters,
  assertKnownToolNames,
  filtersFromSurface,
  whyNotExposed,
} from "./tools/core/filters.js";
import { type DomainResolution, resolveDomainsInTime, staticDomains } from "./tools/core/resolve-domains.js";
import { BASE_DOMAINS } from "./tools/core/tool.js";
import { exposedEntries } from "./tools/core/tool-list.js";
import { PACKAGE_NAME, VERSION } from "./version.js";
import { VersionGuardTransport } from "./version-guard-transport.js";

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
  // What a listen stream honors follows the tools exposed (a data request's updates need its tools).
  "subscriptions/listen",
]);

function agentLogger(loaded: LoadedAgentConfig): Logger {
  const logger = createLogger({
    level: loaded.config.logLevel,
    format: loaded.config.logFormat,
    secrets: credentialSecrets(loaded.credentials),
  });
  for (const warning of loaded.warnings) logger.warn(warning);
  return logger;
}

async function loadAgentServices(loaded: LoadedAgentConfig, logger: Logger): Promise<AgentServices> {
  const { agentServices } = await import("./agent.js");
  return agentServices(loaded, logger);
}

/**
 * Serves MCP over stdio to one client, in the era it opens with: `server/discover` pins the connection
 * to 2026-07-28, `initialize` to the 2025 revision it names (the SDK's serveStdio decides). The
 * handshake and the tool list come from the catalogue; sign-in, the API client and the tool modules
 * load after the first tools/list, or when a call needs them.
 */
export async function serve(loaded: LoadedAgentConfig): Promise<void> {
  const { config, credentials } = loaded;
  const logger = agentLogger(loaded);
  const fixed = staticDomains(config);
  const catalogue = await loadCatalogue();

  let agent: Promise<AgentServices> | undefined;
  let signedInAs: (() => string | undefined) | undefined;
  const services = () => {
    agent ??= loadAgentServices(loaded, logger).then((loadedServices) => {
      signedInAs = () => loadedServices.auth.signedInUserId();
      return loadedServices;
    });
    return agent;
  };
  // Opened before serving: a log that cannot be continued stops the server rather than losing records.
  const opened = await openAuditLog(config.auditLog);
  // Over stdio the process acts for its one agent account, whatever client started it.
  const audit = { log: opened.log, actor: () => ({ user: signedInAs?.() ?? null, client: "stdio" }) };

  // The pinned instance of a 2025-era connection: it alone can carry unsolicited messages.
  let legacy: McpServer | undefined;
  // A 2026-07-28 client hears of changes on its subscriptions/listen streams, fed by this process alone.
  const changes = new MemoryChangeFeed();
  const watches = new AbortController();
  const surface = new RaytioSurface({
    catalogue,
    wrapTool: (tool) =>
      withChangeFollowUps(tool, {
        feed: changes,
        api: async () => (await services()).api,
        watch: (start) => {
          // Only a 2026-07-28 connection has a stream to tell; the 2025 era over stdio never had notices.
          if (legacy || watches.signal.aborted) return;
          void start(watches.signal).catch(() => undefined);
        },
      }),
    onListed: (count, era) =>
      logger.debug(
        `Sent the client ${count} tools (tools/list, ${era === "modern" ? "2026-07-28" : "2025 era"})`,
      ),
    services: async () => {
      const { auth, api, dsm } = await services();
      return { config, logger, tokens: auth, api, dsm, audit };
    },
    // Over stdio the process is the only client, so tasks live in its memory and end with it.
    tasks: (self) =>
      new TaskService({
        hosting: {
          kv: new MemoryTaskKv(),
          owner: "stdio",
          // notifications/tasks on the 2026-07-28 streams that listen for the task.
          changed: (taskId) => changes.publish({ kind: "task_status", taskId }),
        },
        tool: (name) => self.definition(name),
        context: (signal) => self.contextFor(signal),
        runtime: loadToolRuntime,
        pollIntervalMs: () => config.pollIntervalSeconds * 1000,
        logger: () => logger,
        send: async (task) => {
          if (legacy) await sendTaskStatus(legacy, task);
        },
      }),
  });

  const stdio = new StdioLineTransport();
  const versionGuard = new VersionGuardTransport(stdio);
  let clientOpened = false;
  let warned = false;
  const warnOnce = (warning: string | undefined) => {
    if (!warning || warned) return;
    warned = true;
    logger.warn(warning);
  };
  const gated = new GatedTransport(new LegacyTaskCalls(versionGuard), GATED_METHODS, (request) => {
    if (clientOpened) return;
    const meta = (request.params as { _meta?: Record<string, unknown> } | undefined)?._meta;
    const version = meta?.[PROTOCOL_VERSION_META_KEY];
    if (request.method === "initialize" || typeof version !== "string") return;
    clientOpened = true;
    const client = meta?.[CLIENT_INFO_META_KEY] as { name?: unknown; version?: unknown } | undefined;
    logger.info(
      `MCP client ${describeClient(client)} opened with ${request.method} at protocol ${version} (the 2026-07-28 era: stateless, no initialize)`,
    );
    warnOnce(
      cannotConfirmWarning(
        config.confirm,
        meta?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined,
      ),
    );
  });
  // Above the gate, so a stream opens once the tools are known; below the drain, which waits for calls
  // to finish and would wait for a stream that never does.
  const listen = new ListenTransport(gated, changes, () => surface.listenPolicy());
  // Outermost: it knows which requests are in flight, so a SIGTERM lets them finish.
  const transport = new DrainingTransport(listen);
  let initialized!: () => void;
  const legacyReady = new Promise<void>((resolve) => {
    initialized = resolve;
  });
  const handle = serveStdio(
    ({ era }) => {
      const server = surface.newServer(era);
      if (era === "legacy") {
        versionGuard.servesLegacy();
        listen.servesLegacy();
        legacy = server;
        server.server.oninitialized = () => {
          initialized();
          logger.info(
            `MCP client ${describeClient(server.server.getClientVersion())} connected with initialize at protocol ${server.server.getNegotiatedProtocolVersion() ?? "unknown"} (the 2025 era)`,
          );
          warnOnce(cannotConfirmWarning(config.confirm, server.server.getClientCapabilities()));
        };
      }
      return server;
    },
    {
      transport,
      onerror: (error) => logger.debug("MCP transport error", { error: error.name }),
    },
  );

  const shutdown = handleShutdown(logger, async (why) => {
    // With stdin closed nobody can read an answer, so there is nothing to wait for.
    if (why !== "stdin closed" && transport.inFlight > 0) {
      logger.info(
        `Waiting up to ${config.drainTimeoutSeconds} s for ${transport.inFlight} call(s) in flight`,
      );
      const finished = await transport.drain(config.drainTimeoutSeconds * 1000);
      if (!finished) logger.warn("Calls still in flight after MCP_DRAIN_TIMEOUT; closing anyway");
    }
    await surface.tasks?.close();
    watches.abort();
    // Each open stream is answered with its completion, so its client knows the end was deliberate.
    if (why !== "stdin closed") await listen.closeAll();
    await handle.close();
  });
  process.stdin.on("end", () => void shutdown("stdin closed"));

  // Problems found in the background go to stderr and to the client: a 2025-era connection as an MCP
  // logging message once initialised, a 2026-07-28 one on its next tool call (a client may filter both).
  const report = (message: string) => {
    logger.error(message);
    surface.noticeForNextCall(message);
    void legacyReady
      .then(() => legacy?.server.sendLoggingMessage({ level: "error", logger: "raytio", data: message }))
      .catch(() => undefined);
  };

  logger.info(`${PACKAGE_NAME} ${VERSION} serving on stdio`, { config: loaded.file ?? "environment only" });
  if (opened.log.destination === "off") logger.warn(opened.description);
  else logger.info(opened.description);

  // Sign-in runs in the background: a failure is reported per tool call, never by exiting.
  let signedIn = false;
  const signIn = () =>
    services()
      .then(({ auth }) => auth.getIdToken())
      .then(
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
    void services()
      .then(({ dsm, api }) => dsm.proveEncryptionPassword(api))
      .catch((error: unknown) => {
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
    // Nothing waits on these here, and they cost CPU (compiling the tool modules, SRP's first step):
    // warming up after the first tool list (or a short while) keeps them off the handshake a client
    // is timing.
    const warmUp = () => {
      void loadToolRuntime().catch(() => undefined);
      void signIn().then(proveEncryptionPassword);
    };
    const timer = setTimeout(warmUp, 2_000);
    timer.unref();
    void gated.toolListServed.then(() => {
      clearTimeout(timer);
      warmUp();
    });
  } else {
    const { accountRoles } = await import("./account/roles.js");
    resolution = await resolveDomainsInTime(
      config,
      async () => accountRoles((await services()).api),
      logger,
      signIn,
    );
  }

  const filters = filtersFromSurface(config.surface);
  const exposed = applyToolFilters(toolsForDomains(catalogue, resolution.domains), filters);
  dsmExposed = exposed.some((tool) => tool.domain === "dsm");
  surface.expose(new Set(exposed.map((tool) => tool.name)), (tool) =>
    whyNotExposed(tool, resolution.domains, filters, resolution.source !== "static"),
  );
  logger.info(
    `Tool domains: ${resolution.domains.join(", ")} (${resolution.source}: ${resolution.reason}); ${exposed.length} tools${describeFilters(config.surface)}`,
  );
  gated.open();
  if (!fixed) proveEncryptionPassword();
}

/** A client's self-reported name and version, for a log line: printable, and short. */
function describeClient(info: { name?: unknown; version?: unknown } | undefined): string {
  const clean = (value: unknown) =>
    typeof value === "string" ? value.replace(/[^\x20-\x7e]/g, "?").slice(0, 80) : undefined;
  const name = clean(info?.name) ?? "(unnamed)";
  const version = clean(info?.version);
  return version ? `${name} ${version}` : name;
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
function validateSurface(surface: SurfaceSettings, catalogue: ToolCatalogue): void {
  if (surface.domains) parseDomains(surface.domains, "RAYTIO_TOOL_DOMAINS");
  assertKnownToolNames(filtersFromSurface(surface), catalogue);
}

async function listTools(surface: SurfaceSettings, catalogue: ToolCatalogue, json: boolean): Promise<void> {
  const domains = surface.domains ? parseDomains(surface.domains, "RAYTIO_TOOL_DOMAINS") : [...BASE_DOMAINS];
  const selected = applyToolFilters(toolsForDomains(catalogue, domains), filtersFromSurface(surface));
  // Listed as a process exposing only these tools lists them: texts lose pointers to the others.
  const shown = new Set(selected.map((tool) => tool.name));
  const hidden = new Set(catalogue.filter((tool) => !shown.has(tool.name)).map((tool) => tool.name));
  const listed = exposedEntries(
    selected.map((tool) => tool.entry),
    hidden,
  );
  if (json) {
    process.stdout.write(`${JSON.stringify({ tools: listed }, null, 2)}\n`);
    return;
  }
  for (const tool of selected) {
    const access = tool.annotations.readOnlyHint ? "read " : "write";
    process.stdout.write(`${tool.name.padEnd(30)} ${tool.domain}  ${access}  ${tool.entry.title ?? ""}\n`);
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
 * Every command (src/start.ts answers --help, --version and --verify-audit): serving stdio, the HTTP
 * transport, --list-tools, --check and --probe. `read` is src/start.ts's one read of the environment
 * (with the command-line flags applied) and the config file; nothing here reads them again.
 */
export async function runCommand(values: CliValues, read: ConfigSourceValues | RaytioError): Promise<void> {
  if (!values["list-tools"] && !values.check && !values.probe) {
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
  const catalogue = await loadCatalogue();
  if (values["list-tools"]) {
    try {
      const surface = parseSurfaceSettings(sourcesOrThrow(read));
      validateSurface(surface, catalogue);
      await listTools(surface, catalogue, values.json === true);
    } catch (error) {
      fail(isRaytioError(error) ? error.message : String(error));
    }
    return;
  }

  let loaded: LoadedAgentConfig;
  try {
    loaded = parseConfig(sourcesOrThrow(read));
    validateSurface(loaded.config.surface, catalogue);
  } catch (error) {
    if (values.check || values.probe) process.stdout.write("Configuration: FAILED\n");
    fail(isRaytioError(error) ? error.message : String(error));
  }

  if (values.probe) {
    const { auth, api } = await loadAgentServices(loaded, agentLogger(loaded));
    const { renderProbe, runProbe } = await import("./probe/run.js");
    const ok = renderProbe(await runProbe(api, auth), (line) => process.stdout.write(`${line}\n`));
    process.exit(ok ? 0 : 1);
  }

  if (values.check) {
    const logger = agentLogger(loaded);
    const { auth, api } = await loadAgentServices(loaded, logger);
    const { runCheck } = await import("./check.js");
    const ok = await runCheck({
      loaded,
      config: loaded.config,
      credentials: loaded.credentials,
      logger,
      auth,
      api,
      write: (line) => process.stdout.write(`${line}\n`),
    });
    process.exit(ok ? 0 : 1);
  }

  await serve(loaded);
}
