import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import { SERVER_ENTRY, serverEnv, startTestSandbox } from "./support/harness.js";

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(() => sandbox.stop());

interface RawServer {
  child: ChildProcessWithoutNullStreams;
  stdoutLines: string[];
  stderr: string[];
  send(message: unknown): void;
  waitFor(predicate: (message: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  exit: Promise<number | null>;
}

/** Spawns the built server with plain pipes, so every stdout byte can be inspected. */
function spawnRaw(env: Record<string, string>): RawServer {
  const child = spawn(process.execPath, [SERVER_ENTRY], { env: serverEnv(env), stdio: "pipe" });
  const stdoutLines: string[] = [];
  const stderr: string[] = [];
  const waiters: Array<{
    predicate: (m: Record<string, unknown>) => boolean;
    resolve: (m: Record<string, unknown>) => void;
  }> = [];
  let buffer = "";
  child.stdout.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8");
    let newline = buffer.indexOf("\n");
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      stdoutLines.push(line);
      try {
        const message = JSON.parse(line) as Record<string, unknown>;
        for (const waiter of [...waiters]) {
          if (waiter.predicate(message)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(message);
          }
        }
      } catch {
        // Left in stdoutLines; the assertion below reports it.
      }
      newline = buffer.indexOf("\n");
    }
  });
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk.toString("utf8")));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    stdoutLines,
    stderr,
    exit,
    send: (message) => child.stdin.write(`${JSON.stringify(message)}\n`),
    waitFor: (predicate) => new Promise((resolve) => waiters.push({ predicate, resolve })),
  };
}

const initialize = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw-test", version: "1" } },
};

describe("stdio hygiene", () => {
  it("writes nothing but JSON-RPC to stdout, through a full session, and exits when stdin closes", async () => {
    const server = spawnRaw(sandbox.configFor("agent"));
    server.send(initialize);
    await server.waitFor((m) => m.id === 1);
    server.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    server.send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    await server.waitFor((m) => m.id === 2);
    server.send({
      jsonrpc: "2.0",
      id: 3,
      method: "tools/call",
      params: { name: "list_work_items", arguments: { limit: 3 } },
    });
    server.send({
      jsonrpc: "2.0",
      id: 4,
      method: "tools/call",
      params: { name: "list_work_items", arguments: { limit: "x" } },
    });
    server.send({
      jsonrpc: "2.0",
      id: 5,
      method: "tools/call",
      params: { name: "no_such_tool", arguments: {} },
    });
    await Promise.all([3, 4, 5].map((id) => server.waitFor((m) => m.id === id)));
    server.child.stdin.end();
    expect(await server.exit).toBe(0);

    expect(server.stdoutLines.length).toBeGreaterThanOrEqual(5);
    for (const line of server.stdoutLines) {
      const message = JSON.parse(line) as Record<string, unknown>;
      expect(message.jsonrpc).toBe("2.0");
      expect("result" in message || "error" in message || "method" in message).toBe(true);
    }
    // The logs went somewhere: stderr.
    expect(server.stderr.join("")).toContain("serving on stdio");
  });

  it("exits cleanly on SIGTERM", async () => {
    const server = spawnRaw(sandbox.configFor("agent"));
    server.send(initialize);
    await server.waitFor((m) => m.id === 1);
    server.child.kill("SIGTERM");
    expect(await server.exit).toBe(0);
  });

  it("refuses to start with an invalid configuration and names every problem variable", async () => {
    const server = spawnRaw({
      RAYTIO_API_BASE_URL: "not a url",
      RAYTIO_AGENT_PASSWORD: "pw-that-must-not-leak",
    });
    expect(await server.exit).toBe(1);
    const stderr = server.stderr.join("");
    for (const name of [
      "RAYTIO_API_BASE_URL",
      "RAYTIO_COGNITO_USER_POOL_ID",
      "RAYTIO_COGNITO_CLIENT_ID",
      "RAYTIO_AGENT_USERNAME",
    ]) {
      expect(stderr).toContain(name);
    }
    expect(stderr).not.toContain("pw-that-must-not-leak");
    expect(server.stdoutLines).toEqual([]);
  });

  it("refuses an unknown domain at start with the valid list", async () => {
    const server = spawnRaw(sandbox.configFor("agent", { RAYTIO_TOOL_DOMAINS: "ppm,crm" }));
    expect(await server.exit).toBe(1);
    expect(server.stderr.join("")).toMatch(
      /unknown domain\(s\): crm\. Valid domains: dsm, ppm, prm, wrm, ppm-readonly, wrm-readonly/,
    );
  });
});
