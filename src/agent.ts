import type { LoadedAgentConfig } from "./config.js";
import { DsmServices } from "./dsm/services.js";
import type { Logger } from "./logger.js";
import { RaytioApiClient } from "./raytio/api-client.js";
import { RaytioAuth } from "./raytio/auth.js";

/**
 * The agent account a stdio process (and --check, --probe) acts as: its sign-in, API client and DSM
 * keyring. Loaded apart from the start-up path: a stdio server answers its handshake before any of this
 * (Cognito SRP, crypto) is compiled.
 */
export interface AgentServices {
  auth: RaytioAuth;
  api: RaytioApiClient;
  /** One per process: the keyring inside outlives every call, so PBKDF2 runs once per process. */
  dsm: DsmServices;
}

export function agentServices(loaded: LoadedAgentConfig, logger: Logger): AgentServices {
  const { config, credentials } = loaded;
  const auth = new RaytioAuth(config, credentials, logger);
  const api = RaytioApiClient.fromConfig(config, auth, logger);
  const dsm = new DsmServices({ config, credentials, logger });
  return { auth, api, dsm };
}
