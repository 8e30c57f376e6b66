import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import { startTestSandbox, structured } from "./support/harness.js";
import {
  connectAs,
  type HttpServerProcess,
  type HttpSession,
  rawPost,
  startHttpServerProcess,
} from "./support/http-harness.js";
import { describeWithRedis, startRedis, startReplicaPair, type TestRedis } from "./support/http-redis.js";
import {
  connectHttp,
  connectStdio,
  type Era,
  MODERN,
  person,
  type V2Connection,
} from "./support/sdk-v2-client.js";
import { runV117Example, submitAs } from "./support/v117-example.js";

/**
 * Both protocol eras, each over stdio and over HTTP, with clients on the SDK's v2 line that confirm
 * what they are asked to (as Claude Code and Codex both can): the published 1.17 DSM example runs as
 * written in every combination, a protocol version nobody serves is refused, and over HTTP a modern
 * request needs no session, so any replica serves it.
 */

// A poll that finds nothing answers within a second, so the example's first poll comes back pending.
const FAST = {
  RAYTIO_DSM_KEY_BITS: "2048",
  RAYTIO_POLL_INTERVAL_SECONDS: "0.2",
  RAYTIO_REQUEST_TIMEOUT_SECONDS: "1",
};
const ERAS: Era[] = ["legacy", "modern"];

let sandbox: Sandbox;
const open: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  sandbox = await startTestSandbox();
});

afterAll(async () => {
  await Promise.all(open.map((each) => each.close().catch(() => undefined)));
  await sandbox?.stop();
});

function keep<T extends { close(): Promise<void> }>(connection: T): T {
  open.push(connection);
  return connection;
}

const structuredCall = (connection: V2Connection) => async (name: string, args: Record<string, unknown>) =>
  structured((await connection.call(name, args)) as unknown as V1Result);

type V1Result = Parameters<typeof structured>[0];

describe("over stdio", () => {
  it.concurrent.each(ERAS)(
    "the %s era runs the v1.17 DSM example as written, the person confirming the send",
    async (era) => {
      const someone = person("accept");
      const agent = keep(await connectStdio(sandbox, "agent", era, { person: someone, env: FAST }));
      expect(agent.client.getProtocolEra()).toBe(era);
      await runV117Example(structuredCall(agent), submitAs(sandbox.url));
      // The one act that reaches another person was shown to this one first, with who it goes to.
      expect(someone.shown).toHaveLength(1);
      expect(someone.shown[0]?.message).toContain("user@example.com");
      const opened =
        era === "modern"
          ? /opened with [a-z/]+ at protocol 2026-07-28 \(the 2026-07-28 era/
          : /connected with initialize at protocol 2025-11-25/;
      expect(agent.stderr.join("\n")).toMatch(opened);
    },
    120_000,
  );
});

describe("over HTTP", () => {
  let server: HttpServerProcess;
  let signedIn: HttpSession;
  let token = "";

  beforeAll(async () => {
    server = await startHttpServerProcess(sandbox, FAST);
    keep({ close: () => server.stop() });
    signedIn = keep(await connectAs(server.url, "agent", { withEncryptionPassword: true }));
    token = signedIn.provider.saved?.access_token ?? "";
    expect(token.length).toBeGreaterThan(8);
  }, 120_000);

  it.concurrent.each(ERAS)(
    "the %s era runs the v1.17 DSM example as written, the person confirming the send",
    async (era) => {
      const someone = person("accept");
      const agent = keep(await connectHttp(server.url, token, era, { person: someone }));
      expect(agent.client.getProtocolEra()).toBe(era);
      expect(agent.client.getNegotiatedProtocolVersion()).toBe(era === "modern" ? MODERN : "2025-11-25");
      await runV117Example(structuredCall(agent), submitAs(sandbox.url));
      expect(someone.shown).toHaveLength(1);
      // A 2025-era client keeps its session; a 2026-07-28 one never has one.
      expect(agent.sessionId() === undefined).toBe(era === "modern");
    },
    120_000,
  );

  it("refuses a protocol version it does not serve, naming the ones it does", async () => {
    const response = await rawPost(
      server.url,
      {
        jsonrpc: "2.0",
        id: 1,
        method: "tools/list",
        params: {
          _meta: {
            "io.modelcontextprotocol/protocolVersion": "2099-01-01",
            "io.modelcontextprotocol/clientInfo": { name: "from-the-future", version: "1" },
            "io.modelcontextprotocol/clientCapabilities": {},
          },
        },
      },
      {
        Authorization: `Bearer ${token}`,
        "Mcp-Protocol-Version": "2099-01-01",
        "Mcp-Method": "tools/list",
      },
    );
    const body = JSON.parse(response.text) as { error?: { code: number; data?: { supported?: string[] } } };
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(body.error?.code).toBe(-32022);
    expect(body.error?.data?.supported).toContain(MODERN);
  });
});

describeWithRedis("two replicas sharing Redis", () => {
  let redis: TestRedis;
  let first: HttpServerProcess;
  let second: HttpServerProcess;
  let secondUrl = "";
  let token = "";

  beforeAll(async () => {
    redis = await startRedis();
    const pair = await startReplicaPair(sandbox, redis);
    first = pair.first;
    second = pair.second;
    secondUrl = `http://127.0.0.1:${pair.secondPort}/mcp`;
    const signedIn = keep(await connectAs(first.url, "project_user"));
    token = signedIn.provider.saved?.access_token ?? "";
  }, 120_000);

  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
    await redis?.stop();
  });

  it("serves modern requests with no session from either replica, whichever signed the person in", async () => {
    const onFirst = keep(await connectHttp(first.url, token, "modern"));
    const onSecond = keep(await connectHttp(secondUrl, token, "modern"));
    const created = structured<{ work_item: { id: string } }>(
      (await onFirst.call("create_work_item", {
        title: `Made on one replica ${Date.now()}`,
      })) as unknown as V1Result,
    );
    // Read back on the other one: no session to route by, and none needed.
    const read = structured<{ work_item: { id: string } }>(
      (await onSecond.call("get_work_item", { work_item_id: created.work_item.id })) as unknown as V1Result,
    );
    expect(read.work_item.id).toBe(created.work_item.id);
    expect([onFirst.sessionId(), onSecond.sessionId()]).toEqual([undefined, undefined]);
  });
});
