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

/**
 * The interface people already use keeps working: the published 1.17 README's DSM usage example, run
 * call for call; the version line; and the Keryx design's setting names over HTTP.
 *
 * What 1.17's README documents, restated here so the test stands on its own:
 *
 *   const schemas = await list_schemas();
 *   const aa = await create_access_application({ name: 'Tax Filing Assistant',
 *     description: 'Collecting tax information' });
 *   const form = await create_form({ access_application_id: aa.data.access_application_id,
 *     system_schemas: ['ss_Right_To_Work', 'ss_Phone_Number'], recipient_email: <the person> });
 *   const request = await send_request({ access_application_id: aa.data.access_application_id,
 *     short_link_key: form.data.short_link_key, recipient_email: <the person>,
 *     message: 'Please share your information', expiry_minutes: 10 });
 *   let data = null;
 *   while (!data) {
 *     const result = await poll_and_retrieve({ request_short_code: request.data.request_short_code });
 *     if (result.data) data = result.data;
 *     else await sleep(5000);
 *   }
 *
 * Each call is an MCP tools/call; its result is the tool's structuredContent.
 */

const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
};

/** What the person types in when they answer. */
const SUBMITTED = {
  ss_Right_To_Work: {
    country: "NZ",
    basis: "work_visa",
    document_type: "visa",
    document_number: "WV-2026-0417",
    expiry_date: "2028-03-31",
    work_conditions: "Up to 30 hours a week; Ōtautahi only",
    declaration: true,
  },
  ss_Phone_Number: { phone_number: "+64211234567", phone_type: "mobile" },
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

interface PollResult {
  status: string;
  data: Record<string, unknown> | null;
  submission: { id: string; status: string; confirmation_code: string; submitted_at: string } | null;
}

describe("the v1.17 README's DSM usage example", () => {
  it("runs as written and ends with exactly the data the person submitted", async () => {
    const call = async <T>(name: string, args: Record<string, unknown>): Promise<T> =>
      structured<T>(await agent.call(name, args));
    const polls: PollResult[] = [];
    let answered = false;

    // The README's functions, one MCP tool call each.
    const list_schemas = () => call<{ items: Array<{ name: string }> }>("list_schemas", {});
    const create_access_application = (args: Record<string, unknown>) =>
      call<{ data: { access_application_id: string; schemas: string[] } }>("create_access_application", args);
    const create_form = (args: Record<string, unknown>) =>
      call<{
        data: { short_link_key: string; recipient_email: string; pages: Array<{ schemas: string[] }> };
      }>("create_form", args);
    const send_request = (args: Record<string, unknown>) =>
      call<{ data: { request_short_code: string; recipient_email: string; access_application_id: string } }>(
        "send_request",
        args,
      );
    const poll_and_retrieve = async (args: { request_short_code: string }) => {
      const result = await call<PollResult>("poll_and_retrieve", args);
      polls.push(result);
      // The person answers once the example has seen the request unanswered: no race with the clock.
      if (result.data === null && !answered) {
        answered = true;
        const response = await fetch(`${sandbox.url}/sandbox/v1/requests/${args.request_short_code}/submit`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ data: SUBMITTED }),
        });
        expect(response.status).toBe(201);
      }
      return result;
    };
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    // ---- the README's example, unchanged apart from the recipient's address ----
    const schemas = await list_schemas();

    const aa = await create_access_application({
      name: "Tax Filing Assistant",
      description: "Collecting tax information",
    });

    const form = await create_form({
      access_application_id: aa.data.access_application_id,
      system_schemas: ["ss_Right_To_Work", "ss_Phone_Number"],
      recipient_email: "user@example.com",
    });

    const request = await send_request({
      access_application_id: aa.data.access_application_id,
      short_link_key: form.data.short_link_key,
      recipient_email: "user@example.com",
      message: "Please share your information",
      expiry_minutes: 10,
    });

    let data = null;
    while (!data) {
      const result = await poll_and_retrieve({
        request_short_code: request.data.request_short_code,
      });
      if (result.data) data = result.data;
      else await sleep(5000);
    }
    // ---- end of the example ----

    expect(data).toEqual(SUBMITTED);

    expect(schemas.items.map((item) => item.name)).toEqual(
      expect.arrayContaining(["ss_Right_To_Work", "ss_Phone_Number"]),
    );
    // The documented names carry the ids.
    expect(aa.data.access_application_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(aa.data.schemas).toEqual([]);
    expect(form.data.short_link_key).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(form.data.recipient_email).toBe("user@example.com");
    expect(form.data.pages.map((page) => page.schemas)).toEqual([["ss_Right_To_Work"], ["ss_Phone_Number"]]);
    expect(request.data.request_short_code).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(request.data).toMatchObject({
      recipient_email: "user@example.com",
      access_application_id: aa.data.access_application_id,
    });

    // data is null until the person answers, and status and submission details sit beside it.
    expect(polls).toHaveLength(2);
    expect(polls[0]).toMatchObject({ status: "pending", data: null, submission: null });
    expect(polls[1]).toMatchObject({
      status: "submitted",
      submission: {
        status: "submitted",
        confirmation_code: expect.any(String),
        submitted_at: expect.any(String),
      },
    });
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
