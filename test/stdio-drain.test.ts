import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import { type ConnectedServer, serverPool, startTestSandbox, structured } from "./support/harness.js";
import { eventually } from "./support/http-harness.js";
import { answerRequest, PERSON_NAME, setUpRequests } from "./support/tasks.js";

/**
 * SIGTERM over stdio: a tool call in flight is answered before the process exits (within
 * MCP_DRAIN_TIMEOUT), and JSON logs carry the id of the request that caused them.
 */
let sandbox: Sandbox;
let agent: ConnectedServer;
let newRequest: () => Promise<string>;

const pool = serverPool(() => sandbox, {
  RAYTIO_DSM_KEY_BITS: "2048",
  RAYTIO_POLL_INTERVAL_SECONDS: "0.2",
  RAYTIO_TARGET_USER_EMAIL: "person.one@example.com",
  RAYTIO_LOG_FORMAT: "json",
});

beforeAll(async () => {
  sandbox = await startTestSandbox();
  agent = await pool.connect("agent");
  newRequest = await setUpRequests((name, args) => agent.call(name, args));
});

afterAll(async () => {
  await pool.closeAll().catch(() => undefined);
  await sandbox?.stop();
});

describe("stdio on SIGTERM", () => {
  it("answers the call in flight, then exits 0", async () => {
    const code = await newRequest();
    // Held by the sandbox, the call is in flight at SIGTERM whatever the timing.
    const held = sandbox.faults.add({
      target: "api",
      method: "GET",
      pathPrefix: "/db/v1/dsm_request",
      kind: "hold",
    });
    const call = agent.call("poll_and_retrieve", { request_short_code: code });
    await eventually("the call to reach the API", () => (sandbox.faults.hits(held) > 0 ? true : undefined));
    const exited = new Promise<number | null>((resolve) =>
      // biome-ignore lint/complexity/useLiteralKeys: _process is private to the SDK's transport; TypeScript lets a test reach it only by index.
      agent.transport["_process"]?.once("exit", resolve),
    );
    process.kill(agent.pid, "SIGTERM");
    await eventually("the server to wait for the call", () =>
      agent.stderr.some((line) => line.includes("call(s) in flight")) ? true : undefined,
    );
    expect((await answerRequest(sandbox, code)).status).toBe(201);
    sandbox.faults.clear();
    const result = structured<{ status: string; data: unknown }>(await call);
    expect(result).toMatchObject({ status: "submitted", data: { ss_Person_Name: PERSON_NAME } });
    expect(await exited).toBe(0);

    const lines = agent.stderr.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const line of lines)
      expect(Object.keys(line)).toEqual(expect.arrayContaining(["time", "level", "message"]));
    // Lines written while serving a request carry its id.
    expect(
      lines.some((line) => typeof line.request_id === "string" && /^[0-9a-f]{16}$/.test(line.request_id)),
    ).toBe(true);
  });
});
