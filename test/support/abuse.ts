import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { type CallToolResult, McpError, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { expect } from "vitest";
import type { Sandbox } from "../../sandbox/sandbox.js";
import { ERROR_CODES } from "../../src/errors.js";
import { connectServer, SERVER_ENTRY, serverEnv } from "./harness.js";

/** Longest any single call may take before the test calls it a hang (retries and backoff included). */
export const HANG_MS = 45_000;

/** A stable error code at the start of a tool error's text, e.g. `API_UNAVAILABLE: …`. */
export const STABLE_CODE = new RegExp(`^(${ERROR_CODES.join("|")}): `);

/** Lines that mean the server lost control of an error. */
export const LOST_CONTROL = /Unhandled rejection|Uncaught exception|Unexpected tool failure|INTERNAL_ERROR/;

export interface AbuseServer {
  client: Client;
  transport: StdioClientTransport;
  pid: number;
  stderr: string[];
  /** A call that never throws: a JSON-RPC error comes back as `{ rpcError }`. */
  call(name: string, args?: unknown): Promise<Outcome>;
  tools(): Promise<Tool[]>;
  close(): Promise<void>;
}

export type Outcome =
  | { result: CallToolResult; rpcError?: undefined }
  | { result?: undefined; rpcError: McpError };

/** The harness's server, with a call that turns JSON-RPC errors into values and bounds every call. */
export async function startServer(
  sandbox: Sandbox,
  account: string,
  extraEnv: Record<string, string> = {},
): Promise<AbuseServer> {
  const { client, transport, pid, stderr } = await connectServer(sandbox, account, extraEnv);
  return {
    client,
    transport,
    pid,
    stderr,
    async call(name, args = {}) {
      try {
        const result = (await client.callTool(
          { name, arguments: args as Record<string, unknown> },
          undefined,
          { timeout: HANG_MS },
        )) as CallToolResult;
        return { result };
      } catch (error) {
        if (error instanceof McpError) return { rpcError: error };
        throw error;
      }
    },
    tools: async () => (await client.listTools()).tools,
    close: () => client.close(),
  };
}

export function textOf(result: CallToolResult): string {
  return result.content.map((item) => (item.type === "text" ? item.text : "")).join("\n");
}

/**
 * The outcome is a success with structured content, or an error whose text starts with a stable code
 * (or is the SDK's own refusal of an unknown tool name); never INTERNAL_ERROR, never an output the server's own
 * schema rejects, never a timeout.
 */
export function expectCleanOutcome(outcome: Outcome, context: string): void {
  if (outcome.rpcError) {
    // The SDK answers a request it cannot even route with a JSON-RPC error; anything but a timeout
    // (-32001) or an internal error (-32603) is a proper refusal.
    expect([-32001, -32603], `${context}: ${outcome.rpcError.message}`).not.toContain(outcome.rpcError.code);
    return;
  }
  const { result } = outcome;
  const text = textOf(result);
  if (!result.isError) {
    expect(result.structuredContent, `${context}: success without structured content`).toBeTypeOf("object");
    return;
  }
  expect(text, context).not.toMatch(/^INTERNAL_ERROR/);
  expect(text, context).not.toMatch(/Output validation error/);
  // Argument mistakes and hidden tools have stable codes; only a name no tool has is the SDK's refusal.
  const sdkRefusal = /^MCP error -32602: Tool \S+ not found/;
  expect(
    STABLE_CODE.test(text) || sdkRefusal.test(text),
    `${context}: unexpected error text ${text.slice(0, 300)}`,
  ).toBe(true);
}

/** The process is up, answers ping and has logged no lost error. */
export async function expectHealthy(server: AbuseServer): Promise<void> {
  expect(isAlive(server.pid)).toBe(true);
  expect(server.transport.pid).toBe(server.pid);
  await expect(server.client.ping({ timeout: HANG_MS })).resolves.toEqual({});
  const lost = server.stderr.filter((line) => LOST_CONTROL.test(line));
  expect(lost).toEqual([]);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface RawServer {
  child: ChildProcessWithoutNullStreams;
  stdoutLines: string[];
  stderr: string[];
  send(line: string): void;
  waitFor(
    predicate: (message: Record<string, unknown>) => boolean,
    what: string,
  ): Promise<Record<string, unknown>>;
  exit: Promise<number | null>;
}

/** The built server on plain pipes, for bytes no SDK client would send. */
export function spawnRaw(env: Record<string, string>): RawServer {
  const child = spawn(process.execPath, [SERVER_ENTRY], { env: serverEnv(env), stdio: "pipe" });
  const stdoutLines: string[] = [];
  const stderr: string[] = [];
  const waiters: Array<{
    predicate: (message: Record<string, unknown>) => boolean;
    resolve: (message: Record<string, unknown>) => void;
  }> = [];
  let buffer = "";
  child.stdout.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8");
    for (let newline = buffer.indexOf("\n"); newline >= 0; newline = buffer.indexOf("\n")) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      stdoutLines.push(line);
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      for (const waiter of [...waiters]) {
        if (waiter.predicate(message)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(message);
        }
      }
    }
  });
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk.toString("utf8")));
  child.stdin.on("error", () => undefined);
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    stdoutLines,
    stderr,
    exit,
    send: (line) => child.stdin.write(`${line}\n`),
    waitFor: (predicate, what) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer: ${what}`)), HANG_MS);
        waiters.push({
          predicate,
          resolve: (message) => {
            clearTimeout(timer);
            resolve(message);
          },
        });
      }),
  };
}

/** The MCP handshake over plain pipes: initialize, wait for its answer, then `initialized`. */
export async function initializeRaw(raw: RawServer, clientName: string): Promise<Record<string, unknown>> {
  raw.send(
    JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: clientName, version: "1" },
      },
    }),
  );
  const answer = await raw.waitFor((message) => message.id === 1, "initialize");
  raw.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
  return answer;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
