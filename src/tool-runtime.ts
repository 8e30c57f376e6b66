import { AuditCall, type AuditTrail } from "./audit/record.js";
import type { Config } from "./config.js";
import { DsmData } from "./dsm/data.js";
import type { DsmServices } from "./dsm/services.js";
import type { Logger } from "./logger.js";
import { PpmData } from "./ppm/data.js";
import { PrmData } from "./prm/data.js";
import type { RaytioApiClient } from "./raytio/api-client.js";
import type { TokenSource } from "./raytio/auth.js";
import type { ToolContext } from "./tools/core/tool.js";
import { WrmData } from "./wrm/data.js";

export { recordCall } from "./tools/core/audit.js";
/**
 * What running a tool takes beyond its definition: the choke point and each domain's operations.
 * Loaded on the first tool call (its own chunk of the bundle, with the tool definitions), so a server
 * that only answers its handshake never compiles the domain modules, crypto or sign-in.
 */
export { confirmationStep } from "./tools/core/confirmation.js";
export {
  errorResult,
  executeTool,
  failedResult,
  parseArguments,
  toRaytioError,
} from "./tools/core/execute.js";
export { TOOLS } from "./tools/registry.js";

/** Who and what a principal's tools run with. */
export interface ToolServices {
  config: Config;
  logger: Logger;
  api: RaytioApiClient;
  tokens: TokenSource;
  dsm: DsmServices;
  /** Where this principal's audit records go and who its calls act for (person and client). */
  audit: AuditTrail;
}

export function toolContext(
  services: ToolServices,
  call: Pick<ToolContext, "signal" | "hiddenTools" | "progress">,
): ToolContext {
  const { api, dsm, audit: trail, ...base } = services;
  const { signal } = call;
  const audit = new AuditCall(trail);
  return {
    ...base,
    ...call,
    audit,
    dsm: new DsmData(api, dsm, signal, () => audit.decrypting()),
    ppm: new PpmData(api, signal),
    prm: new PrmData(api, signal),
    wrm: new WrmData(api, signal),
  };
}

export type ToolRuntime = typeof import("./tool-runtime.js");
