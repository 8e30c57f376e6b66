import { accountRoles } from "./account/roles.js";
import { openAuditLog } from "./audit/log.js";
import type { Config, LoadedConfig } from "./config.js";
import type { Credentials } from "./credentials.js";
import { DsmServices } from "./dsm/services.js";
import { isRaytioError } from "./errors.js";
import type { Logger } from "./logger.js";
import type { RaytioApiClient } from "./raytio/api-client.js";
import type { RaytioAuth } from "./raytio/auth.js";
import { toolsForDomains } from "./tools/core/domains.js";
import { applyToolFilters, filtersFromSurface } from "./tools/core/filters.js";
import { resolveDomains } from "./tools/core/resolve-domains.js";
import { TOOLS } from "./tools/registry.js";
import { PACKAGE_NAME, VERSION } from "./version.js";

export interface CheckOptions {
  loaded: LoadedConfig;
  config: Config;
  credentials: Credentials;
  logger: Logger;
  auth: RaytioAuth;
  api: RaytioApiClient;
  write: (line: string) => void;
}

/**
 * The first step of every troubleshooting session: proves the configuration, the sign-in and the API
 * path work, one readable line each, without printing any secret.
 */
export async function runCheck({
  loaded,
  config,
  credentials,
  logger,
  auth,
  api,
  write,
}: CheckOptions): Promise<boolean> {
  let ok = true;
  const pass = (text: string) => write(`  ok    ${text}`);
  const warn = (text: string) => write(`  warn  ${text}`);
  const failLine = (text: string) => {
    ok = false;
    write(`  FAIL  ${text}`);
  };

  write(`${PACKAGE_NAME} ${VERSION} configuration check`);
  write(`  config      ${loaded.file ?? "environment variables only"}`);
  write(`  api         ${config.apiBaseUrl}`);
  write(`  sign-in     ${auth.flow.describe()}`);
  write(`  agent       ${credentials.username}`);
  write("");
  pass("configuration is valid");
  for (const warning of loaded.warnings) warn(warning);
  // Opened as serving opens it, so a log the server could not continue fails here first.
  try {
    const audit = await openAuditLog(config.auditLog);
    if (audit.log.destination === "off") warn(audit.description);
    else pass(audit.description);
  } catch (error) {
    failLine(error instanceof Error ? error.message : String(error));
  }

  const started = Date.now();
  try {
    const claims = await auth.getClaims();
    pass(`signed in as ${claims.email ?? claims.sub} (user id ${claims.sub}) in ${Date.now() - started} ms`);
    const tokenCustomer = claims["custom:customer_id"];
    if (credentials.customerId && tokenCustomer && credentials.customerId !== tokenCustomer) {
      failLine(
        `RAYTIO_AGENT_CUSTOMER_ID is ${credentials.customerId} but the account belongs to customer ${tokenCustomer}`,
      );
    } else if (tokenCustomer) {
      pass(`customer ${tokenCustomer}`);
    }
  } catch (error) {
    failLine(`sign-in: ${isRaytioError(error) ? error.message : "unexpected error"}`);
    write("");
    write("Result: FAILED");
    return false;
  }

  const resolution = await resolveDomains(config, () => accountRoles(api), logger);
  const exposed = applyToolFilters(
    toolsForDomains(TOOLS, resolution.domains),
    filtersFromSurface(config.surface),
  );
  const line = `tool domains ${resolution.domains.join(", ")} (${resolution.reason}); ${exposed.length} tools`;
  if (resolution.source === "fallback" && resolution.reason.includes("failed")) failLine(line);
  else pass(line);

  if (exposed.some((tool) => tool.domain === "dsm")) {
    if (!credentials.encryptionPassword) {
      warn("RAYTIO_AGENT_ENCRYPTION_PASSWORD is not set: DSM tools cannot decrypt shared data");
    } else {
      try {
        await new DsmServices({ config, credentials, logger }).verifyEncryptionPassword(api);
        pass("the encryption password opens the account's private key");
      } catch (error) {
        failLine(
          `encryption key: ${isRaytioError(error) ? `${error.code}: ${error.message}` : "unexpected error"}`,
        );
      }
    }
  }

  write("");
  write(ok ? "Result: OK" : "Result: FAILED");
  return ok;
}
