import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import {
  type ConnectedServer,
  ROOT,
  SERVER_ENTRY,
  serverEnv,
  serverPool,
  startTestSandbox,
  structured,
} from "./support/harness.js";
import { serviceEnv, startHttpServerProcess } from "./support/http-harness.js";
import { runV117Example, submitAs } from "./support/v117-example.js";

/**
 * The interface people already use keeps working: the published 1.17 README's DSM usage example
 * (test/support/v117-example.ts), run call for call; the version line; and the Keryx design's setting
 * names over HTTP.
 */

const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
};

let sandbox: Sandbox;
let agent: ConnectedServer;

// The first poll waits at most a second and finds nothing: the person has not answered yet.
const pool = serverPool(() => sandbox, {
  RAYTIO_DSM_KEY_BITS: "2048",
  RAYTIO_POLL_INTERVAL_SECONDS: "0.2",
  RAYTIO_REQUEST_TIMEOUT_SECONDS: "1",
});

beforeAll(async () => {
  sandbox = await startTestSandbox();
  agent = await pool.connect("agent");
});

afterAll(async () => {
  await pool.closeAll();
  await sandbox.stop();
});

describe("the v1.17 README's DSM usage example", () => {
  it("runs as written and ends with exactly the data the person submitted", async () => {
    await runV117Example(
      async (name, args) => structured(await agent.call(name, args)),
      submitAs(sandbox.url),
    );
    // Longer than the default: the example's own five-second sleep comes on top of key generation.
  }, 120_000);
});

describe("the version line", () => {
  it("reports package.json's version, at least 1.18.0, in --version and in serverInfo", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [SERVER_ENTRY, "--version"], {
      env: serverEnv({}),
    });
    expect(stdout.trim()).toBe(pkg.version);
    expect(agent.client.getServerVersion()).toMatchObject({ name: pkg.name, version: pkg.version });
    const [major = 0, minor = 0] = pkg.version.split(".").map(Number);
    expect(major > 1 || (major === 1 && minor >= 18)).toBe(true);
  });
});

describe("the Keryx design's settings over HTTP", () => {
  const register = (origin: string) =>
    fetch(`${origin}/oauth/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        client_name: "Keryx client",
        redirect_uris: ["http://127.0.0.1:53682/callback"],
      }),
    });

  it("limits registrations with RATE_LIMIT_OAUTH_REGISTER_LIMIT: the second from one address gets 429", async () => {
    const server = await startHttpServerProcess(sandbox, { RATE_LIMIT_OAUTH_REGISTER_LIMIT: "1" });
    try {
      expect((await register(server.origin)).status).toBe(201);
      const second = await register(server.origin);
      expect(second.status).toBe(429);
      expect(Number(second.headers.get("retry-after"))).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
  });

  it("stops at start with one message when Keryx's name and ours disagree", async () => {
    await expect(
      startHttpServerProcess(sandbox, {
        RATE_LIMIT_OAUTH_REGISTER_LIMIT: "1",
        MCP_OAUTH_REGISTER_LIMIT: "5",
      }),
    ).rejects.toThrow(
      /RATE_LIMIT_OAUTH_REGISTER_LIMIT=1 and MCP_OAUTH_REGISTER_LIMIT=5 disagree \(the first is Keryx's name for the second\): set only one of them/,
    );
  });

  it("serves HTTP when MCP_SERVER_ENABLED=true, with no --transport flag", async () => {
    const child = spawn(process.execPath, [SERVER_ENTRY], {
      env: serverEnv({ ...serviceEnv(sandbox), MCP_SERVER_ENABLED: "true", MCP_PORT: "0" }),
      stdio: ["ignore", "ignore", "pipe"],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let seen = "";
        child.stderr?.on("data", (chunk: Buffer) => {
          seen += chunk.toString("utf8");
          const match = /^.*listening on \S+.*$/m.exec(seen);
          if (match) resolve(match[0]);
        });
        child.once("exit", (code) => reject(new Error(`exited with ${code}:\n${seen}`)));
      });
      const url = /listening on (\S+)/.exec(line)?.[1] ?? "";
      expect(new URL(url).pathname).toBe("/mcp");
      // Answered by the HTTP transport: an MCP request without a token gets OAuth's 401.
      const response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
        body: "{}",
      });
      expect(response.status).toBe(401);
    } finally {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
    }
  });
});
