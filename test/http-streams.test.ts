import { createConnection } from "node:net";
import type { CallToolResult, Progress } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import { startTestSandbox, structured } from "./support/harness.js";
import {
  connectAs,
  eventually,
  type HttpServerProcess,
  type HttpSession,
  startHttpServerProcess,
} from "./support/http-harness.js";
import { setUpRequests } from "./support/tasks.js";

/**
 * The limits on slow clients must not cut what the server itself keeps open: a long tool call's SSE
 * answer and the session's GET stream outlive MCP_REQUEST_TIMEOUT, and the per-address connection cap
 * is off behind a trusted proxy (every connection then comes from the proxy).
 */
let sandbox: Sandbox;
let timed: HttpServerProcess;
let proxied: HttpServerProcess;
const sessions: HttpSession[] = [];

/** The status a server gives a request whose body never finishes, once it closes the connection. */
function stalledBody(origin: string): Promise<string> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: hostname, port: Number(port) });
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
    });
    socket.once("error", reject);
    socket.once("close", () => resolve(/^HTTP\/1\.1 (\d+)/.exec(received)?.[1] ?? "closed without a status"));
    socket.write(
      `POST /oauth/token HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=`,
    );
  });
}

/** Raw connections that stay open until closed, each able to send one request. */
function openConnection(origin: string) {
  const { hostname, port } = new URL(origin);
  return new Promise<{ get(path: string): Promise<string>; closed: () => boolean }>((resolve, reject) => {
    const socket = createConnection({ host: hostname, port: Number(port) });
    let received = "";
    let closed = false;
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
    });
    socket.once("close", () => {
      closed = true;
    });
    socket.once("error", reject);
    socket.once("connect", () =>
      resolve({
        closed: () => closed,
        get: (path) =>
          new Promise((done) => {
            socket.once("close", () => done(/^HTTP\/1\.1 (\d+)/.exec(received)?.[1] ?? "closed"));
            socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n\r\n`);
          }),
      }),
    );
  });
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  [timed, proxied] = await Promise.all([
    startHttpServerProcess(sandbox, {
      // Short enough that the test waits only a few seconds; long enough that a busy server still reads
      // every ordinary request in time.
      MCP_REQUEST_TIMEOUT: "3",
      MCP_HEADERS_TIMEOUT: "3",
      RAYTIO_DSM_KEY_BITS: "2048",
      RAYTIO_POLL_INTERVAL_SECONDS: "0.2",
    }),
    startHttpServerProcess(sandbox, {
      MCP_MAX_CONNECTIONS_PER_IP: "2",
      MCP_TRUST_PROXY: "1",
      MCP_HEADERS_TIMEOUT: "600",
      MCP_REQUEST_TIMEOUT: "600",
    }),
  ]);
});

afterAll(async () => {
  await Promise.all(sessions.map((session) => session.close().catch(() => undefined)));
  await Promise.all([timed?.stop(), proxied?.stop()]);
  await sandbox?.stop();
});

describe("MCP_REQUEST_TIMEOUT", () => {
  it("cuts a stalled request but neither a long tool call's stream nor the GET stream", async () => {
    // No reconnection: a stream the server cut would stay cut, and the test would see it.
    const session = await connectAs(timed.url, "agent", { withEncryptionPassword: true, reconnect: false });
    sessions.push(session);
    await session.client.setLoggingLevel("info");
    const sendRequest = await setUpRequests((name, args) => session.call(name, args), {
      recipient_email: "person@example.com",
    });
    const code = await sendRequest();

    const progress: Progress[] = [];
    const call = session.client.callTool(
      { name: "poll_and_retrieve", arguments: { request_short_code: code, wait_seconds: 30 } },
      undefined,
      { onprogress: (update) => progress.push(update), timeout: 120_000 },
    );
    await eventually("the long call's first progress notification", () => progress.length > 0);

    // A request that began after the long call and the GET stream, and timed out: by the time it is
    // answered 408, both are older than MCP_REQUEST_TIMEOUT, so a cut would have reached them too.
    expect(await stalledBody(timed.origin)).toBe("408");
    const seen = progress.length;
    await eventually("progress after the timeout, on the same stream", () => progress.length > seen);

    const answered = await fetch(`${sandbox.url}/sandbox/v1/requests/${code}/submit`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ data: { ss_Person_Name: { given_name: "Wiremu", family_name: "Tane" } } }),
    });
    expect(answered.status).toBe(201);
    const result = structured<{ status: string; data: Record<string, unknown> }>(
      (await call) as CallToolResult,
    );
    expect(result.status).toBe("submitted");
    expect(result.data.ss_Person_Name).toMatchObject({ given_name: "Wiremu" });
    // The notification travels on the GET stream, opened before the timeout passed.
    await eventually("the DSM notification on the GET stream", () =>
      session.logs.find(
        (entry) => (entry.data as { request_short_code?: string }).request_short_code === code,
      ),
    );
  });
});

describe("MCP_MAX_CONNECTIONS_PER_IP behind MCP_TRUST_PROXY", () => {
  it("is not applied: every connection comes from the proxy", async () => {
    const connections = [];
    for (let index = 0; index < 4; index += 1) connections.push(await openConnection(proxied.origin));
    // With the cap on, the third and fourth would have been closed on arrival.
    expect(connections.map((connection) => connection.closed())).toEqual([false, false, false, false]);
    expect(await Promise.all(connections.map((connection) => connection.get("/healthz")))).toEqual([
      "200",
      "200",
      "200",
      "200",
    ]);
    expect(proxied.stderr.some((line) => line.includes("per-address cap"))).toBe(false);
  });
});
