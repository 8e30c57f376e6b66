#!/usr/bin/env node
import { accountRoles } from "./account/roles.js";
import "./stdio-guard.js";
import { parseArgs } from "node:util";
import { runCheck } from "./check.js";
import {
  type Config,
  type LoadedAgentConfig,
  loadConfig,
  loadSurfaceSettings,
  type SurfaceSettings,
} from "./config.js";
import { type Credentials, credentialSecrets } from "./credentials.js";
import { DsmServices } from "./dsm/services.js";
import { isRaytioError } from "./errors.js";
import { GatedTransport } from "./gated-transport.js";
import { selectTransport } from "./http/mode.js";
import { createLogger, type Logger } from "./logger.js";
import { RaytioApiClient } from "./raytio/api-client.js";
import { RaytioAuth } from "./raytio/auth.js";
import { createRaytioMcpServer, listToolsAsClientSeesThem } from "./server.js";
import { handleShutdown } from "./shutdown.js";
import { StdioLineTransport } from "./stdio-transport.js";
import { MemoryTaskKv } from "./tasks/kv.js";
import { DOMAIN_DESCRIPTIONS, DOMAINS, parseDomains, toolsForDomains } from "./tools/domains.js";
import {
  applyToolFilters,
  assertKnownToolNames,
  filtersFromSurface,
  whyNotExposed,
} from "./tools/filters.js";
import { approximateTokens } from "./tools/listing.js";
import { TOOLS } from "./tools/registry.js";
import { type DomainResolution, resolveDomainsInTime, staticDomains } from "./tools/resolve-domains.js";
import { BASE_DOMAINS } from "./tools/tool.js";
import { PACKAGE_NAME, VERSION } from "./version.js";

const USAGE = `${PACKAGE_NAME} ${VERSION}: MCP server for the Raytio platform (stdio).

Usage: raytio-mcp-server [options]

  (no option)            serve MCP over stdio (what MCP clients run)
  --probe                sign in and check every assumption about the Raytio API read-only, one line
                         each; exits 1 if any differs (same configuration as --check)
  --check                validate the configuration, sign in, resolve tool domains, print a report;
                         exits 1 on any problem
  --list-tools [--json]  print the tools the filters below allow, without signing in
  --domains <list>       tool domains (RAYTIO_TOOL_DOMAINS); default: from the account's roles
  --tools <list>         only these tools (RAYTIO_TOOLS)
  --exclude-tools <list> never these tools (RAYTIO_EXCLUDE_TOOLS)
  --read-only            only tools annotated read-only, whatever else is set (RAYTIO_READ_ONLY=true)
  --transport <mode>     stdio (default), or http: Streamable HTTP with OAuth sign-in, one server for a
                         team (MCP_TRANSPORT); see "Hosting for a team" in the README
  --host <address>       http only: address to listen on (MCP_HOST, default 127.0.0.1)
  --port <number>        http only: port to listen on (MCP_PORT, default 8808)
  --version              print the version
  --help                 print this help

Lists are comma-separated. Flags win over environment variables, which win over the config file.

Configuration comes from environment variables, else the file named by RAYTIO_CONFIG_FILE, else
config.env beside the installed package. See config.env.example and the README.

Domains (RAYTIO_TOOL_DOMAINS, comma-separated; default: from the account's Raytio roles):
${DOMAINS.map((domain) => `  ${domain.padEnd(14)} ${DOMAIN_DESCRIPTIONS[domain]}`).join("\n")}
`;

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

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function services(loaded: LoadedAgentConfig): {
  config: Config;
  credentials: Credentials;
  logger: Logger;
  auth: RaytioAuth;
  api: RaytioApiClient;
} {
  const { config, credentials } = loaded;
  const logger = createLogger({ level: config.logLevel, secrets: credentialSecrets(credentials) });
  for (const warning of loaded.warnings) logger.warn(warning);
  const auth = new RaytioAuth(config, credentials, logger);
  const api = RaytioApiClient.fromConfig(config, auth, logger);
  return { config, credentials, logger, auth, api };
}

async function serve(loaded: LoadedAgentConfig): Promise<void> {
  const { config, credentials, logger, auth, api } = services(loaded);
  const fixed = staticDomains(config);

  // One per process: the keyring inside must outlive every call so PBKDF2 runs once per process.
  const dsm = new DsmServices({ config, credentials, logger });
  // Over stdio the process is the only client, so tasks live in its memory and end with it.
  const app = createRaytioMcpServer(TOOLS, () => ({ config, logger, api, tokens: auth, dsm }), {
    kv: new MemoryTaskKv(),
    owner: "stdio",
  });
  const transport = new GatedTransport(new StdioLineTransport(), GATED_METHODS);

  const shutdown = handleShutdown(logger, () => app.server.close());
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

  // Sign-in runs in the background: a failure is reported per tool call, never by exiting.
  let signedIn = false;
  const signIn = () =>
    auth.getIdToken().then(
      () => {
        signedIn = true;
      },
      (error: unknown) => {
        const why = isRaytioError(error) ? `${error.code}: ${error.message}` : "unexpected error";
        report(`Sign-in to Raytio failed, so every tool call will fail until it is fixed. ${why}`);
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
    const warmUp = setTimeout(() => void signIn().then(proveEncryptionPassword), 2_000);
    warmUp.unref();
    void transport.toolListServed.then(() => {
      clearTimeout(warmUp);
      void signIn().then(proveEncryptionPassword);
    });
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
  transport.open();
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
  const names = new Set(selected.map((tool) => tool.name));
  const listed = (await listToolsAsClientSeesThem(TOOLS)).filter((tool) => names.has(tool.name));
  if (json) {
    process.stdout.write(`${JSON.stringify({ tools: listed }, null, 2)}\n`);
    return;
  }
  for (const tool of selected) {
    const access = tool.annotations.readOnlyHint ? "read " : "write";
    process.stdout.write(`${tool.name.padEnd(30)} ${tool.domain}  ${access}  ${tool.title}\n`);
  }
  process.stdout.write(
    `\n${selected.length} tools, about ${approximateTokens(listed)} tokens of tools/list` +
      `${surface.domains ? "" : " (all domains; a running server narrows them by the account's roles)"}.\n`,
  );
}

/** Flags are another source of the same settings, with the highest priority. */
function flagEnvironment(values: CliValues): Record<string, string> {
  const env: Record<string, string> = {};
  if (values.domains !== undefined) env.RAYTIO_TOOL_DOMAINS = values.domains;
  if (values.tools !== undefined) env.RAYTIO_TOOLS = values.tools;
  if (values["exclude-tools"] !== undefined) env.RAYTIO_EXCLUDE_TOOLS = values["exclude-tools"];
  if (values["read-only"]) env.RAYTIO_READ_ONLY = "true";
  return env;
}

interface CliValues {
  help?: boolean;
  version?: boolean;
  check?: boolean;
  probe?: boolean;
  "list-tools"?: boolean;
  json?: boolean;
  domains?: string;
  tools?: string;
  "exclude-tools"?: string;
  "read-only"?: boolean;
  transport?: string;
  host?: string;
  port?: string;
}

async function main(): Promise<void> {
  let values: CliValues;
  try {
    ({ values } = parseArgs({
      options: {
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
        check: { type: "boolean" },
        probe: { type: "boolean" },
        "list-tools": { type: "boolean" },
        json: { type: "boolean" },
        domains: { type: "string" },
        tools: { type: "string" },
        "exclude-tools": { type: "string" },
        "read-only": { type: "boolean" },
        transport: { type: "string" },
        host: { type: "string" },
        port: { type: "string" },
      },
      strict: true,
    }));
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  }

  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }

  const env = { ...process.env, ...flagEnvironment(values) };
  if (!values["list-tools"] && !values.check && !values.probe) {
    let transport: "stdio" | "http" = "stdio";
    try {
      transport = selectTransport(values.transport, { env });
    } catch (error) {
      fail(isRaytioError(error) ? error.message : String(error));
    }
    if (transport === "http") {
      // Loaded only here, so the stdio start-up never parses the HTTP server.
      const { runHttpServer } = await import("./http/server.js");
      const listen = {
        ...(values.host ? { MCP_HOST: values.host } : {}),
        ...(values.port ? { MCP_PORT: values.port } : {}),
      };
      await runHttpServer({ env: { ...env, ...listen } });
      return;
    }
  }
  if (values["list-tools"]) {
    try {
      const surface = loadSurfaceSettings({ env });
      validateSurface(surface);
      await listTools(surface, values.json === true);
    } catch (error) {
      fail(isRaytioError(error) ? error.message : String(error));
    }
    return;
  }

  let loaded: LoadedAgentConfig;
  try {
    loaded = loadConfig({ env });
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

main().catch((error: unknown) => {
  fail(`Raytio MCP server failed to start: ${isRaytioError(error) ? error.message : String(error)}`);
});
