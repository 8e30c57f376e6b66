import { parseArgs } from "node:util";
import { DOMAIN_DESCRIPTIONS, DOMAINS } from "./tools/core/domains.js";
import { PACKAGE_NAME, VERSION } from "./version.js";

/** The command line, shared by the entry point and the full CLI (src/main.ts); nothing heavy here. */

export const USAGE = `${PACKAGE_NAME} ${VERSION}: MCP server for the Raytio platform (stdio).

Usage: raytio-mcp-server [options]

  (no option)            serve MCP over stdio (what MCP clients run)
  --probe                sign in and check every assumption about the Raytio API read-only, one line
                         each; exits 1 if any differs (same configuration as --check)
  --check                validate the configuration, sign in, resolve tool domains, print a report;
                         exits 1 on any problem
  --list-tools [--json]  print the tools the filters below allow, without signing in
  --verify-audit <file>  check that an audit log (RAYTIO_AUDIT_LOG) is one unbroken chain; exits 1
                         naming the first line that was edited, removed, inserted or moved
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

export function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** Flags are another source of the same settings, with the highest priority. */
export function flagEnvironment(values: CliValues): Record<string, string> {
  const env: Record<string, string> = {};
  if (values.domains !== undefined) env.RAYTIO_TOOL_DOMAINS = values.domains;
  if (values.tools !== undefined) env.RAYTIO_TOOLS = values.tools;
  if (values["exclude-tools"] !== undefined) env.RAYTIO_EXCLUDE_TOOLS = values["exclude-tools"];
  if (values["read-only"]) env.RAYTIO_READ_ONLY = "true";
  if (values.host !== undefined) env.MCP_HOST = values.host;
  if (values.port !== undefined) env.MCP_PORT = values.port;
  return env;
}

export interface CliValues {
  help?: boolean;
  version?: boolean;
  check?: boolean;
  probe?: boolean;
  "list-tools"?: boolean;
  "verify-audit"?: string;
  json?: boolean;
  domains?: string;
  tools?: string;
  "exclude-tools"?: string;
  "read-only"?: boolean;
  transport?: string;
  host?: string;
  port?: string;
}

export function parseCli(argv: readonly string[]): CliValues {
  try {
    return parseArgs({
      args: [...argv],
      options: {
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
        check: { type: "boolean" },
        probe: { type: "boolean" },
        "list-tools": { type: "boolean" },
        "verify-audit": { type: "string" },
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
    }).values;
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  }
}
