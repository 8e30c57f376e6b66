import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import { handshakeServer } from "../scripts/handshake.js";
import { type RawServer, spawnRaw } from "./support/abuse.js";
import { startTestSandbox } from "./support/harness.js";

/**
 * With RAYTIO_TOOL_DOMAINS set, the built server answers initialize, ping and the first tools/list
 * before loading the SDK and the tools (src/early-answers.ts), then hands stdin to the full server.
 * What a client sees must not depend on which of the two answered.
 */
let sandbox: Sandbox;
const running: RawServer[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => {
  for (const server of running) server.child.kill("SIGKILL");
  await sandbox.stop();
});

function start(settings: Record<string, string>): RawServer {
  const server = spawnRaw(sandbox.configFor("agent", settings));
  running.push(server);
  return server;
}

function request(server: RawServer, id: number, method: string, params?: unknown) {
  const answer = server.waitFor((message) => message.id === id, `${method} (${id})`);
  server.send(JSON.stringify({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) }));
  return answer;
}

const initializeParams = (protocolVersion: string) => ({
  protocolVersion,
  capabilities: { roots: { listChanged: true } },
  clientInfo: { name: "early-test", version: "1.0.0" },
});

/** The SDK's own answer to the same initialize, from the stdio server built in-process. */
async function sdkInitialize(protocolVersion: string): Promise<unknown> {
  const app = handshakeServer();
  const [client, server] = InMemoryTransport.createLinkedPair();
  await app.server.connect(server);
  const answer = new Promise<JSONRPCMessage>((resolve) => {
    client.onmessage = resolve;
  });
  await client.start();
  await client.send({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: initializeParams(protocolVersion),
  });
  const message = await answer;
  await app.server.close();
  return message;
}

/** A tools/call that only the full server can answer; after it, every answer is the SDK's. */
async function handOver(server: RawServer, id: number): Promise<void> {
  const answer = await request(server, id, "tools/call", { name: "no_such_tool", arguments: {} });
  expect(answer.result ?? answer.error).toBeDefined();
}

describe("early answers before the server loads", () => {
  for (const version of ["2025-11-25", "2025-06-18", "2024-11-05", "1999-01-01"]) {
    it(`answers initialize (${version}) exactly as the SDK does`, async () => {
      const server = start({ RAYTIO_TOOL_DOMAINS: "ppm" });
      const early = await request(server, 1, "initialize", initializeParams(version));
      expect(early).toEqual(await sdkInitialize(version));
      server.child.stdin.end();
      expect(await server.exit).toBe(0);
    });
  }

  const surfaces: Array<Record<string, string>> = [
    { RAYTIO_TOOL_DOMAINS: "dsm,ppm,prm,wrm" },
    { RAYTIO_TOOL_DOMAINS: "ppm,prm" },
    { RAYTIO_TOOL_DOMAINS: "wrm-readonly,dsm", RAYTIO_EXCLUDE_TOOLS: "list_requests" },
    { RAYTIO_TOOL_DOMAINS: "ppm,wrm", RAYTIO_READ_ONLY: "true" },
    { RAYTIO_TOOL_DOMAINS: "prm,ppm", RAYTIO_TOOLS: "search_parties,list_work_items,get_party" },
  ];
  for (const settings of surfaces) {
    it(`serves the same tools/list before and after the hand-over (${JSON.stringify(settings)})`, async () => {
      const server = start(settings);
      await request(server, 1, "initialize", initializeParams("2025-06-18"));
      server.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
      const early = await request(server, 2, "tools/list");
      await handOver(server, 3);
      const late = await request(server, 4, "tools/list");
      expect((early.result as { tools: unknown[] }).tools.length).toBeGreaterThan(0);
      expect(late).toEqual({ ...early, id: 4 });
      // The full server was the one answering: it logged its start and its tool domains.
      expect(server.stderr.join("")).toContain("Tool domains:");
    });
  }

  it("replays the handshake to the full server: one initialize answer, and the session is initialized", async () => {
    // A refused password: the failed sign-in is reported to the client as a logging message, which the
    // server sends only once the SDK has seen notifications/initialized.
    const server = start({ RAYTIO_TOOL_DOMAINS: "ppm", RAYTIO_AGENT_PASSWORD: "Not-the-password-1" });
    const report = server.waitFor(
      (message) => message.method === "notifications/message",
      "the sign-in failure as a logging message",
    );
    await request(server, 1, "initialize", initializeParams("2025-06-18"));
    server.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
    await request(server, 2, "tools/list");
    const message = await report;
    expect(JSON.stringify(message)).toContain("Sign-in to Raytio failed");
    await expect(request(server, 3, "ping")).resolves.toMatchObject({ result: {} });
    const answersToInitialize = server.stdoutLines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((answer) => answer.id === 1);
    expect(answersToInitialize).toHaveLength(1);
  });

  it("leaves what it does not know to the full server, in order: a bad line, then the handshake", async () => {
    const server = start({ RAYTIO_TOOL_DOMAINS: "ppm" });
    const parseError = server.waitFor((message) => message.id === null, "the parse error");
    server.send("this is not JSON");
    expect(await parseError).toMatchObject({ error: { code: -32700 } });
    const answer = await request(server, 1, "initialize", initializeParams("2025-06-18"));
    expect(answer).toEqual(await sdkInitialize("2025-06-18"));
    const listed = await request(server, 2, "tools/list");
    expect((listed.result as { tools: Array<{ name: string }> }).tools.map((tool) => tool.name)).toContain(
      "list_work_items",
    );
  });

  it("serves a tool call that arrives right behind the first tools/list", async () => {
    const server = start({ RAYTIO_TOOL_DOMAINS: "ppm" });
    await request(server, 1, "initialize", initializeParams("2025-06-18"));
    server.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
    const listed = request(server, 2, "tools/list");
    const called = request(server, 3, "tools/call", { name: "list_work_items", arguments: { limit: 2 } });
    await listed;
    const answer = (await called) as {
      result?: { isError?: boolean; structuredContent?: { items: unknown[] } };
    };
    expect(answer.result?.isError).toBeFalsy();
    expect(answer.result?.structuredContent?.items).toHaveLength(2);
  });

  it("still stops before answering anything when the configuration is invalid", async () => {
    const server = start({ RAYTIO_TOOL_DOMAINS: "ppm,nonsense" });
    server.send(
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: initializeParams("2025-06-18") }),
    );
    expect(await server.exit).toBe(1);
    expect(server.stdoutLines).toEqual([]);
    expect(server.stderr.join("")).toContain("nonsense");
  });
});
