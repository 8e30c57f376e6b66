import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import type { JsonSchemaType, JsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/types.js";
import { inject } from "vitest";
import { type Sandbox, type SandboxOptions, startSandbox } from "../../sandbox/sandbox.js";
import { listToolsAsClientSeesThem } from "../../src/tool-listing.js";
import { TOOLS } from "../../src/tools/registry.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const SERVER_ENTRY = path.join(ROOT, "dist/index.js");

/** Every stderr line any spawned server wrote during this test file, for the no-secrets checks. */
export const allStderr: string[] = [];

export async function startTestSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const snapshot = new Blob([readFileSync(inject("sandboxSnapshot"))]);
  return startSandbox({ snapshot, ...options });
}

export interface ConnectedServer {
  client: Client;
  transport: StdioClientTransport;
  /** The server's process id. */
  pid: number;
  stderr: string[];
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

/**
 * The environment a spawned server sees: only what the test gives it, plus PATH. Its audit log goes to
 * the run's temporary directory (one file shared by every server of the run, as several clients of one
 * person share the default file), never to the user's own state directory.
 */
export function serverEnv(values: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    RAYTIO_LOG_LEVEL: "debug",
    RAYTIO_CONFIG_FILE: "",
    RAYTIO_AUDIT_LOG: path.join(inject("auditDirectory"), "audit.jsonl"),
    ...values,
  };
}

export async function connectServer(
  sandbox: Sandbox,
  account: string,
  extraEnv: Record<string, string> = {},
): Promise<ConnectedServer> {
  await publishedShapes();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [SERVER_ENTRY],
    env: serverEnv(sandbox.configFor(account, extraEnv)),
    stderr: "pipe",
  });
  const stderr: string[] = [];
  let partial = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    partial += chunk.toString("utf8");
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    stderr.push(...lines);
    allStderr.push(...lines);
  });
  const client = new CheckedClient({ name: "raytio-integration-test", version: "1.0.0" });
  await client.connect(transport);
  const pid = transport.pid;
  if (pid === null) throw new Error("the server has no process id");
  return {
    client,
    transport,
    pid,
    stderr,
    call: async (name, args = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    close: () => client.close(),
  };
}

let publishedValidators: Promise<Map<string, JsonSchemaValidator<unknown>>> | undefined;

/**
 * Building every tool's published schema and validator takes seconds of this process's CPU on a loaded
 * machine. Done in the middle of a test, that stall outlasts the server's 5 s keep-alive and the next
 * request goes out on a socket the server has already closed ("other side closed"). So the clients
 * below build them before they open any connection.
 */
export function publishedShapes(): Promise<Map<string, JsonSchemaValidator<unknown>>> {
  publishedValidators ??= listToolsAsClientSeesThem(TOOLS).then((tools) => {
    const ajv = new AjvJsonSchemaValidator();
    return new Map(
      tools.flatMap((tool) =>
        tool.outputSchema ? [[tool.name, ajv.getValidator(tool.outputSchema as JsonSchemaType)]] : [],
      ),
    );
  });
  return publishedValidators;
}

/**
 * Fails the test when a successful call's structuredContent does not match the outputSchema its tool
 * publishes in tools/list, checked by the validator the SDK's own client uses. The server validates its
 * output once (in zod, before the result leaves executeTool); this proves, call by call, that what it
 * sends matches the JSON Schema clients were given. Every integration test's calls go through here.
 */
export async function expectPublishedShape(name: string, result: CallToolResult): Promise<CallToolResult> {
  if (result.isError || result.structuredContent === undefined) return result;
  const validate = (await publishedShapes()).get(name);
  if (!validate) throw new Error(`${name} returned structuredContent but publishes no outputSchema`);
  const checked = validate(result.structuredContent);
  if (!checked.valid)
    throw new Error(
      `${name}: structuredContent does not match its published outputSchema: ${checked.errorMessage}`,
    );
  return result;
}

/**
 * The SDK's client, with every tools/call result checked by expectPublishedShape: over stdio and HTTP,
 * through a test's `call` helper or `client.callTool` directly (progress, cancellation), no successful
 * result escapes the published-schema check.
 */
export class CheckedClient extends Client {
  override async callTool(...args: Parameters<Client["callTool"]>): ReturnType<Client["callTool"]> {
    const result = await super.callTool(...args);
    await expectPublishedShape(args[0].name, result as CallToolResult);
    return result;
  }
}

export function textOf(result: CallToolResult): string {
  return result.content.map((item) => (item.type === "text" ? item.text : "")).join("\n");
}

export async function toolNames(server: ConnectedServer): Promise<string[]> {
  return (await server.client.listTools()).tools.map((tool) => tool.name);
}

/** The structured result of a successful call; a failed call fails the test with the tool's message. */
export function structured<T = Record<string, unknown>>(result: CallToolResult): T {
  if (result.isError || !result.structuredContent) throw new Error(`Tool call failed: ${textOf(result)}`);
  return result.structuredContent as T;
}

/**
 * The servers one test file starts against its sandbox, closed together when the file ends.
 * `defaults` are environment values every server of the file gets (a call's own values win).
 */
export function serverPool(sandbox: () => Sandbox, defaults: Record<string, string> = {}) {
  const servers: ConnectedServer[] = [];
  return {
    async connect(account: string, env: Record<string, string> = {}): Promise<ConnectedServer> {
      const server = await connectServer(sandbox(), account, { ...defaults, ...env });
      servers.push(server);
      return server;
    },
    closeAll: () => Promise.all(servers.splice(0).map((server) => server.close())),
  };
}
