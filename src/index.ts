#!/usr/bin/env node
import "./stdio-guard.js";
import { parseArgs } from "node:util";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { runCheck } from "./check.js";
import { type Config, type LoadedConfig, loadConfig, secretValues } from "./config.js";
import { isRaytioError } from "./errors.js";
import { GatedTransport } from "./gated-transport.js";
import { createLogger, type Logger } from "./logger.js";
import { RaytioApiClient } from "./raytio/api-client.js";
import { CognitoAuth } from "./raytio/auth.js";
import { createRaytioMcpServer } from "./server.js";
import { DOMAIN_DESCRIPTIONS, DOMAINS } from "./tools/domains.js";
import { TOOLS } from "./tools/registry.js";
import {
  type DomainResolution,
  fallbackResolution,
  resolveDomains,
  staticDomains,
} from "./tools/resolve-domains.js";
import { PACKAGE_NAME, VERSION } from "./version.js";

const USAGE = `${PACKAGE_NAME} ${VERSION}: MCP server for the Raytio platform (stdio).

Usage: raytio-mcp-server [options]

  (no option)         serve MCP over stdio (what MCP clients run)
  --check             validate the configuration, sign in, resolve tool domains, print a report;
                      exits 1 on any problem
  --version           print the version
  --help              print this help

Configuration comes from environment variables, else the file named by RAYTIO_CONFIG_FILE, else
config.env beside the installed package. See config.env.example and the README.

Domains (RAYTIO_TOOL_DOMAINS, comma-separated; default: from the account's Raytio roles):
${DOMAINS.map((domain) => `  ${domain.padEnd(14)} ${DOMAIN_DESCRIPTIONS[domain]}`).join("\n")}
`;

/** Requests whose answers depend on who signed in; they wait until domains are resolved. */
const GATED_METHODS = new Set(["tools/list", "tools/call"]);

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function services(loaded: LoadedConfig): {
  config: Config;
  logger: Logger;
  auth: CognitoAuth;
  api: RaytioApiClient;
} {
  const { config } = loaded;
  const logger = createLogger({ level: config.logLevel, secrets: secretValues(config) });
  for (const warning of loaded.warnings) logger.warn(warning);
  const auth = new CognitoAuth(config, logger);
  const api = new RaytioApiClient({
    baseUrl: config.apiBaseUrl,
    timeoutMs: config.httpTimeoutSeconds * 1000,
    tokens: auth,
    logger,
    userAgent: `${PACKAGE_NAME}/${VERSION}`,
  });
  return { config, logger, auth, api };
}

async function serve(loaded: LoadedConfig): Promise<void> {
  const { config, logger, auth, api } = services(loaded);
  const fixed = staticDomains(config);

  const app = createRaytioMcpServer(TOOLS, () => ({ config, logger, api, tokens: auth }));
  const transport = new GatedTransport(new StdioServerTransport(), GATED_METHODS);

  let closing = false;
  const shutdown = async (why: string) => {
    if (closing) return;
    closing = true;
    logger.info(`Shutting down (${why})`);
    await app.server.close().catch(() => undefined);
    process.exit(0);
  };
  process.stdin.on("end", () => void shutdown("stdin closed"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("unhandledRejection", (reason) => {
    logger.error("Unhandled rejection", {
      error: reason instanceof Error ? reason.name : String(typeof reason),
    });
  });

  await app.server.connect(transport);
  logger.info(`${PACKAGE_NAME} ${VERSION} serving on stdio`, { config: loaded.file ?? "environment only" });

  // Sign-in starts now, in the background: a failure is reported per tool call, never by exiting.
  const signIn = auth.getIdToken().then(
    () => undefined,
    (error: unknown) => {
      logger.error(`Sign-in failed: ${isRaytioError(error) ? error.message : "unexpected error"}`);
    },
  );

  let resolution: DomainResolution;
  if (fixed) {
    resolution = { domains: fixed, source: "static", reason: "from RAYTIO_TOOL_DOMAINS", roles: [] };
  } else {
    const timeoutMs = config.startupTimeoutSeconds * 1000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<DomainResolution>((resolve) => {
      timer = setTimeout(
        () => resolve(fallbackResolution(`role lookup took longer than ${config.startupTimeoutSeconds} s`)),
        timeoutMs,
      );
    });
    resolution = await Promise.race([signIn.then(() => resolveDomains(config, api, logger)), timedOut]);
    clearTimeout(timer);
  }

  const exposed = app.exposeDomains(resolution.domains);
  logger.info(
    `Tool domains: ${resolution.domains.join(", ")} (${resolution.source}: ${resolution.reason}); ${exposed.length} tools`,
  );
  transport.open();
}

async function main(): Promise<void> {
  let values: { help?: boolean; version?: boolean; check?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
        check: { type: "boolean" },
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

  let loaded: LoadedConfig;
  try {
    loaded = loadConfig();
    staticDomains(loaded.config);
  } catch (error) {
    if (values.check) process.stdout.write("Configuration: FAILED\n");
    fail(isRaytioError(error) ? error.message : String(error));
  }

  if (values.check) {
    const { config, logger, auth, api } = services(loaded);
    const ok = await runCheck({
      loaded,
      config,
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
