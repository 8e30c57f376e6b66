import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import { initializeRaw, spawnRaw } from "./support/abuse.js";
import { startTestSandbox } from "./support/harness.js";

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(() => sandbox.stop());

describe("stdio hygiene", () => {
  it("writes nothing but JSON-RPC to stdout, through a full session, and exits when stdin closes", async () => {
    const server = spawnRaw(sandbox.configFor("agent"));
    await initializeRaw(server, "raw-test");
    server.send(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }));
    await server.waitFor((m) => m.id === 2, "answer 2");
    const call = (id: number, name: string, args: Record<string, unknown>) =>
      server.send(
        JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } }),
      );
    call(3, "list_work_items", { limit: 3 });
    call(4, "list_work_items", { limit: "x" });
    call(5, "no_such_tool", {});
    await Promise.all([3, 4, 5].map((id) => server.waitFor((m) => m.id === id, `answer ${id}`)));
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
    await initializeRaw(server, "raw-test");
    server.child.kill("SIGTERM");
    expect(await server.exit).toBe(0);
  });

  it("refuses to start with an invalid configuration and names every problem variable", async () => {
    const server = spawnRaw({
      RAYTIO_API_BASE_URL: "not a url",
      // SRP chosen explicitly: under `auto`, no Cognito setting means the token endpoint, which needs none.
      RAYTIO_AUTH_FLOW: "srp",
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
