import { readFileSync, writeFileSync } from "node:fs";
import { CONFIG_VARIABLE_NAMES } from "../src/config.js";
import { TOOLS } from "../src/tools/registry.js";

/**
 * server.json (MCP Registry) and manifest.json (MCP Bundle for Claude Desktop), generated from
 * package.json, this variable table and the tool registry. A test fails when either file is stale or
 * when a variable the server reads is missing here.
 */
export interface VariableInfo {
  description: string;
  required?: boolean;
  secret?: boolean;
  default?: string;
  /** Offered in the Claude Desktop bundle's settings form. */
  bundle?: boolean;
}

export const VARIABLES: Record<string, VariableInfo> = {
  RAYTIO_API_BASE_URL: {
    description: "Raytio API base URL",
    required: true,
    default: "https://api.rayt.io",
    bundle: true,
  },
  RAYTIO_AUTH_FLOW: {
    description:
      "Sign-in flow: srp (Cognito), token-endpoint (POST /oauth/v1/token) or auto (srp when Cognito is set)",
    default: "auto",
  },
  RAYTIO_COGNITO_USER_POOL_ID: {
    description: "Cognito user pool id (<region>_<id>); for SRP sign-in",
    bundle: true,
  },
  RAYTIO_COGNITO_CLIENT_ID: { description: "Cognito app client id; for SRP sign-in", bundle: true },
  RAYTIO_COGNITO_REGION: {
    description: "AWS region of the user pool; for SRP sign-in",
    bundle: true,
  },
  RAYTIO_COGNITO_ENDPOINT: { description: "Cognito-compatible endpoint override (local sandbox)" },
  RAYTIO_AGENT_USERNAME: { description: "Agent account sign-in name", required: true, bundle: true },
  RAYTIO_AGENT_PASSWORD: {
    description: "Agent account sign-in password",
    required: true,
    secret: true,
    bundle: true,
  },
  RAYTIO_AGENT_ENCRYPTION_PASSWORD: {
    description: "Agent encryption password for DSM decryption; never leaves the process",
    secret: true,
    bundle: true,
  },
  RAYTIO_AGENT_CUSTOMER_ID: { description: "Expected customer id, checked against the account" },
  RAYTIO_TARGET_USER_EMAIL: { description: "Default recipient of data requests" },
  RAYTIO_REQUEST_TIMEOUT_SECONDS: {
    description: "Longest wait one poll_and_retrieve call may ask for (wait_seconds; 50 s without it)",
    default: "600",
  },
  RAYTIO_POLL_INTERVAL_SECONDS: { description: "Polling interval for a data request", default: "5" },
  RAYTIO_REQUEST_EXPIRY_MINUTES: { description: "Default expiry of a data request", default: "10" },
  RAYTIO_DSM_KEY_BITS: { description: "RSA size of new access application keys", default: "4096" },
  RAYTIO_HTTP_TIMEOUT_SECONDS: { description: "Timeout of each API request", default: "30" },
  RAYTIO_STARTUP_TIMEOUT_SECONDS: {
    description: "Longest wait for sign-in and role lookup at start",
    default: "20",
  },
  RAYTIO_MAX_RESPONSE_TOKENS: {
    description: "Largest tool result in tokens before truncation",
    default: "15000",
  },
  RAYTIO_TOOL_DOMAINS: {
    description: "Comma-separated tool domains (default: from the account's roles)",
    bundle: true,
  },
  RAYTIO_TOOLS: { description: "Comma-separated allow list of tools" },
  RAYTIO_EXCLUDE_TOOLS: { description: "Comma-separated tools to hide" },
  RAYTIO_READ_ONLY: { description: "true exposes only read-only tools", default: "false", bundle: true },
  RAYTIO_LOG_LEVEL: { description: "stderr log level: debug, info, warn, error, silent", default: "info" },
  RAYTIO_AUDIT_LOG: {
    description:
      "Audit log of consequential acts and decryptions: an absolute file path, stderr or off (default: audit.jsonl in the user's state directory)",
  },
  RAYTIO_CONFIRM: {
    description:
      "When an act that reaches a person (sending a data request, a final submission status, deleting a relationship) is confirmed by you through the client: auto (when the client can ask), always (refused where it cannot), never",
    default: "auto",
  },
  RAYTIO_LOG_FORMAT: {
    description:
      "stderr log format: text, or json (one object per line with time, level, message, request id)",
    default: "text",
  },
  MCP_DRAIN_TIMEOUT: {
    description: "Seconds in-flight calls get to finish after SIGTERM before the server closes",
    default: "30",
  },
};

interface PackageJson {
  name: string;
  version: string;
  description: string;
  mcpName: string;
  repository?: { url: string };
  homepage?: string;
  engines: { node: string };
}

export function readPackageJson(): PackageJson {
  return JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as PackageJson;
}

export function missingVariables(): string[] {
  return CONFIG_VARIABLE_NAMES.filter((name) => !(name in VARIABLES));
}

export function serverJson(pkg: PackageJson) {
  return {
    $schema: "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
    name: pkg.mcpName,
    description: "Raytio for AI agents: E2E-encrypted data requests, work items, parties, AI workers",
    version: pkg.version,
    ...(pkg.homepage ? { websiteUrl: pkg.homepage } : {}),
    packages: [
      {
        registryType: "npm",
        registryBaseUrl: "https://registry.npmjs.org",
        identifier: pkg.name,
        version: pkg.version,
        runtimeHint: "npx",
        transport: { type: "stdio" },
        environmentVariables: [
          {
            name: "RAYTIO_CONFIG_FILE",
            description:
              "Path of a config file holding the variables below (keeps secrets out of client config)",
            isRequired: false,
            isSecret: false,
            format: "filepath",
          },
          ...Object.entries(VARIABLES).map(([name, info]) => ({
            name,
            description: info.description,
            isRequired: info.required === true,
            isSecret: info.secret === true,
            ...(info.default === undefined ? {} : { default: info.default }),
          })),
        ],
      },
    ],
  };
}

const bundleKey = (name: string) => name.replace(/^RAYTIO_/, "").toLowerCase();

export function bundleManifest(pkg: PackageJson) {
  const offered = Object.entries(VARIABLES).filter(([, info]) => info.bundle);
  return {
    $schema:
      "https://raw.githubusercontent.com/modelcontextprotocol/mcpb/main/schemas/mcpb-manifest-v0.3.schema.json",
    manifest_version: "0.3",
    name: "raytio-mcp-server",
    display_name: "Raytio",
    version: pkg.version,
    description: pkg.description,
    author: { name: "Raytio", url: "https://rayt.io" },
    server: {
      type: "node",
      entry_point: "dist/index.js",
      mcp_config: {
        command: "node",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: ${__dirname} is the bundle host's placeholder, not a JS template.
        args: ["${__dirname}/dist/index.js"],
        env: Object.fromEntries(offered.map(([name]) => [name, `\${user_config.${bundleKey(name)}}`])),
      },
    },
    user_config: Object.fromEntries(
      offered.map(([name, info]) => [
        bundleKey(name),
        {
          type: "string",
          title: name,
          description: info.description,
          required: info.required === true,
          ...(info.secret ? { sensitive: true } : {}),
          ...(info.default === undefined ? {} : { default: info.default }),
        },
      ]),
    ),
    tools: TOOLS.map((tool) => ({ name: tool.name, description: tool.title })),
    compatibility: { platforms: ["darwin", "win32", "linux"], runtimes: { node: pkg.engines.node } },
  };
}

export const render = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const missing = missingVariables();
  if (missing.length > 0)
    throw new Error(`Describe these variables in scripts/manifests.ts: ${missing.join(", ")}`);
  const pkg = readPackageJson();
  writeFileSync(new URL("../server.json", import.meta.url), render(serverJson(pkg)));
  writeFileSync(new URL("../manifest.json", import.meta.url), render(bundleManifest(pkg)));
  console.log("Wrote server.json and manifest.json");
}
