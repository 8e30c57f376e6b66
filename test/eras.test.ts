import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import { type RawServer, spawnRaw } from "./support/abuse.js";
import { expectedToolNames } from "./support/expected-tools.js";
import { startTestSandbox } from "./support/harness.js";
import { eventually } from "./support/http-harness.js";

/**
 * Both protocol eras over stdio, on the wire, as real clients open them: Claude Code with
 * `server/discover` at 2026-07-28 (falling back to `initialize` on an error), Codex with `initialize`
 * at 2025-06-18. Everything here is read from the raw JSON-RPC lines, because the SDK client strips the
 * wire-only members (resultType, the _meta envelope, cache hints) this test is about.
 */

const MODERN = "2026-07-28";
/** The four tool domains, so the tool list is fixed by the configuration. */
const ALL_DOMAINS = { RAYTIO_TOOL_DOMAINS: "dsm,ppm,prm,wrm" };

/** Every tool, in the order the registry lists them (src/tools/registry.ts): domain by domain, by name. */
const REGISTRY_ORDER = expectedToolNames(["dsm", "ppm", "prm", "wrm"]);

function envelope(version = MODERN, capabilities: Record<string, unknown> = {}) {
  return {
    "io.modelcontextprotocol/protocolVersion": version,
    "io.modelcontextprotocol/clientInfo": { name: "eras-test", version: "1.0.0" },
    "io.modelcontextprotocol/clientCapabilities": capabilities,
  };
}

let sandbox: Sandbox;
const running: RawServer[] = [];

function start(extra: Record<string, string> = {}): RawServer {
  const server = spawnRaw({ ...sandbox.configFor("agent"), ...ALL_DOMAINS, ...extra });
  running.push(server);
  return server;
}

async function request(
  server: RawServer,
  id: number,
  method: string,
  params: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  server.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
  return server.waitFor((message) => message.id === id, `${method} (${id})`);
}

const resultOf = (message: Record<string, unknown>) => message.result as Record<string, unknown>;
const errorOf = (message: Record<string, unknown>) =>
  message.error as { code: number; message: string; data?: Record<string, unknown> };

beforeAll(async () => {
  sandbox = await startTestSandbox();
});

afterAll(async () => {
  for (const server of running) server.child.kill();
  await sandbox.stop();
});

describe("a 2026-07-28 client (server/discover, no initialize)", () => {
  it("discovers the server: its versions, its capabilities, and who it is in _meta", async () => {
    const server = start();
    const discovered = resultOf(await request(server, 1, "server/discover", { _meta: envelope() }));
    expect(discovered.supportedVersions).toEqual([MODERN]);
    expect(discovered.resultType).toBe("complete");
    const capabilities = discovered.capabilities as Record<string, unknown>;
    expect(Object.keys(capabilities).sort()).toEqual(
      ["completions", "extensions", "logging", "prompts", "resources", "tools"].sort(),
    );
    // 2025-11-25 tasks are not offered in this era: the revision moved tasks into an extension.
    expect(capabilities.tasks).toBeUndefined();
    expect(capabilities.extensions).toEqual({ "io.modelcontextprotocol/tasks": {} });
    expect((discovered._meta as Record<string, unknown>)["io.modelcontextprotocol/serverInfo"]).toMatchObject(
      {
        name: "@raytio/mcp-server",
        title: "Raytio",
      },
    );
    expect(typeof discovered.instructions).toBe("string");
  });

  it("lists every tool in registry order, with cache hints, and the same entries as a 2025-era client", async () => {
    const modern = start();
    await request(modern, 1, "server/discover", { _meta: envelope() });
    const listed = resultOf(await request(modern, 2, "tools/list", { _meta: envelope() }));
    expect(listed.resultType).toBe("complete");
    expect(listed.ttlMs).toBe(300_000);
    expect(listed.cacheScope).toBe("private");
    const tools = listed.tools as Array<{ name: string }>;
    expect(tools.map((tool) => tool.name)).toEqual(REGISTRY_ORDER);
    // Fixed order: a second list is the same, byte for byte.
    const again = resultOf(await request(modern, 3, "tools/list", { _meta: envelope() }));
    expect(JSON.stringify(again.tools)).toBe(JSON.stringify(tools));

    const legacy = start();
    await request(legacy, 1, "initialize", {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "eras-test", version: "1" },
    });
    legacy.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
    const legacyList = resultOf(await request(legacy, 2, "tools/list"));
    const withoutTaskSupport = (entries: unknown) =>
      (entries as Array<Record<string, unknown>>).map(({ execution: _execution, ...entry }) => entry);
    expect(withoutTaskSupport(tools)).toEqual(withoutTaskSupport(legacyList.tools));
    // The 2025-era list says nothing of its era's own members.
    expect(legacyList.resultType).toBeUndefined();
    expect(legacyList.ttlMs).toBeUndefined();
  });

  it("calls a tool with no session and no initialize, and says so in the server log", async () => {
    const server = start();
    await request(server, 1, "server/discover", { _meta: envelope() });
    const called = resultOf(
      await request(server, 2, "tools/call", {
        name: "list_work_items",
        arguments: { limit: 2 },
        _meta: envelope(),
      }),
    );
    expect(called.resultType).toBe("complete");
    expect(called.isError).not.toBe(true);
    expect((called.structuredContent as { items: unknown[] }).items).toHaveLength(2);
    expect((called._meta as Record<string, unknown>)["io.modelcontextprotocol/serverInfo"]).toBeDefined();
    expect(server.stderr.join("")).toMatch(
      /MCP client eras-test 1\.0\.0 opened with server\/discover at protocol 2026-07-28/,
    );
  });

  it("refuses a protocol version it does not serve with -32022, naming the one it does", async () => {
    const server = start();
    const refused = errorOf(await request(server, 1, "server/discover", { _meta: envelope("2099-01-01") }));
    expect(refused.code).toBe(-32022);
    expect(refused.data).toEqual({ supported: [MODERN], requested: "2099-01-01" });
    // The connection stays usable: the client can open again at a version the server names.
    const discovered = resultOf(await request(server, 2, "server/discover", { _meta: envelope() }));
    expect(discovered.supportedVersions).toEqual([MODERN]);
  });

  it("refuses a version it does not serve on every request, not only the one that opens the connection", async () => {
    const server = start();
    const discovered = resultOf(await request(server, 1, "server/discover", { _meta: envelope() }));
    await request(server, 2, "tools/list", { _meta: envelope() });
    for (const [id, method] of [
      [3, "server/discover"],
      [4, "tools/list"],
    ] as const) {
      const refused = errorOf(await request(server, id, method, { _meta: envelope("2099-01-01") }));
      expect(refused.code).toBe(-32022);
      expect(refused.data).toEqual({ supported: discovered.supportedVersions, requested: "2099-01-01" });
    }
    expect(resultOf(await request(server, 5, "tools/list", { _meta: envelope() })).resultType).toBe(
      "complete",
    );
  });

  it("keeps the era its client opened with when a later message lacks _meta while the tools load", async () => {
    // Domains from the account's roles: the tool list waits for sign-in, which the held Cognito delays.
    const hold = sandbox.faults.add({ target: "cognito", kind: "hold", times: -1 });
    const server = spawnRaw(sandbox.configFor("agent"));
    running.push(server);
    // One write, so all three are read before sign-in can finish: the tools/list is held, and the
    // request without _meta must wait behind it rather than be the first non-discover request served.
    const [discovered, ...answers] = [1, 2, 3].map((id) =>
      server.waitFor((message) => message.id === id, `request ${id}`),
    );
    server.send(
      [
        { id: 1, method: "server/discover", params: { _meta: envelope() } },
        { id: 2, method: "tools/list", params: { _meta: envelope() } },
        { id: 3, method: "server/discover", params: {} },
      ]
        .map((message) => JSON.stringify({ jsonrpc: "2.0", ...message }))
        .join("\n"),
    );
    await discovered;
    await eventually("sign-in held at Cognito", () => (sandbox.faults.hits(hold) > 0 ? true : undefined));
    sandbox.faults.clear();
    const [listed, refused] = await Promise.all(answers);
    expect(resultOf(listed as Record<string, unknown>)).toMatchObject({
      resultType: "complete",
      ttlMs: 300_000,
    });
    // Served in the 2026-07-28 era it was opened in: the missing envelope is refused as invalid params.
    expect(errorOf(refused as Record<string, unknown>).code).toBe(-32602);
  });

  it("tells a client why calls fail within its next call, only at the log level that call asks for", async () => {
    const server = start({ RAYTIO_AGENT_PASSWORD: "not-the-password" });
    await request(server, 1, "server/discover", { _meta: envelope() });
    // The first tool list starts the sign-in in the background; it fails.
    await request(server, 2, "tools/list", { _meta: envelope() });
    await eventually("the sign-in failure in the log", () =>
      server.stderr.join("").includes("Sign-in to Raytio failed") ? true : undefined,
    );
    const notices = () =>
      server.stdoutLines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((message) => message.method === "notifications/message");
    const call = (id: number, logLevel?: string) =>
      request(server, id, "tools/call", {
        name: "list_work_items",
        arguments: {},
        _meta: { ...envelope(), ...(logLevel ? { "io.modelcontextprotocol/logLevel": logLevel } : {}) },
      });
    // No logLevel: the request opted out of log messages (absence is opt-out in this revision).
    await call(3);
    expect(notices()).toHaveLength(0);
    // Above the message's level: still nothing.
    await call(4, "critical");
    expect(notices()).toHaveLength(0);
    await call(5, "error");
    expect(notices()).toHaveLength(1);
    expect(JSON.stringify(notices()[0])).toContain("Sign-in to Raytio failed");
    // Said once.
    await call(6, "debug");
    expect(notices()).toHaveLength(1);
  });
});

describe("2025-era clients (initialize)", () => {
  it.each(["2025-11-25", "2025-06-18", "2025-03-26"])(
    "a client at %s gets that version, the same tools, and tasks only from 2025-11-25 on",
    async (version) => {
      const server = start();
      const initialized = resultOf(
        await request(server, 1, "initialize", {
          protocolVersion: version,
          capabilities: {},
          clientInfo: { name: "eras-test", version: "1" },
        }),
      );
      expect(initialized.protocolVersion).toBe(version);
      expect(initialized.serverInfo).toMatchObject({ name: "@raytio/mcp-server", title: "Raytio" });
      expect((initialized.capabilities as Record<string, unknown>).tasks).toEqual({
        list: {},
        cancel: {},
        requests: { tools: { call: {} } },
      });
      server.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
      const listed = resultOf(await request(server, 2, "tools/list"));
      expect((listed.tools as Array<{ name: string }>).map((tool) => tool.name)).toEqual(REGISTRY_ORDER);
      // stderr and stdout are separate pipes: the log line may arrive after the answer.
      const connected = new RegExp(
        `MCP client eras-test 1 connected with initialize at protocol ${version} \\(the 2025 era\\)`,
      );
      await eventually("the era line in the server log", () => connected.test(server.stderr.join("")));
    },
  );

  it("an unknown 2025-style version is answered with the newest 2025 revision, as that era specifies", async () => {
    const server = start();
    const initialized = resultOf(
      await request(server, 1, "initialize", {
        protocolVersion: "2024-01-01",
        capabilities: {},
        clientInfo: { name: "eras-test", version: "1" },
      }),
    );
    expect(initialized.protocolVersion).toBe("2025-11-25");
  });

  it("a client that falls back as Claude Code does (server/discover refused, then initialize) is served", async () => {
    const server = start();
    const refused = errorOf(await request(server, 1, "server/discover", { _meta: envelope("2099-01-01") }));
    expect(refused.code).toBe(-32022);
    const initialized = resultOf(
      await request(server, 2, "initialize", {
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name: "eras-test", version: "1" },
      }),
    );
    expect(initialized.protocolVersion).toBe("2025-11-25");
    server.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
    const listed = resultOf(await request(server, 3, "tools/list"));
    expect((listed.tools as unknown[]).length).toBe(REGISTRY_ORDER.length);
  });
});
