import type { Client } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import { startTestSandbox } from "./support/harness.js";
import { connectAs, eventually, type HttpServerProcess, rawPost } from "./support/http-harness.js";
import { describeWithRedis, startRedis, startReplicaPair, type TestRedis } from "./support/http-redis.js";
import { connectHttp, connectStdio, MODERN, type V2Connection } from "./support/sdk-v2-client.js";
import { answerRequest, PERSON_NAME, setUpRequests } from "./support/tasks.js";

/**
 * Change notices on subscriptions/listen (2026-07-28): a data request the person sent is a resource,
 * raytio://requests/<code>; a stream subscribed to it hears when the request is answered, on stdio and
 * over HTTP on whichever replica holds the stream, and reading it gives the status, never the data.
 */

const SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";
const FAST_POLL = { RAYTIO_POLL_INTERVAL_SECONDS: "0.2" };

type Updated = { uri: string; _meta?: Record<string, unknown> };

let sandbox: Sandbox;
const open: Array<{ close(): Promise<void> }> = [];
function keep<T extends { close(): Promise<void> }>(connection: T): T {
  open.push(connection);
  return connection;
}

function hearUpdates(client: Client): Updated[] {
  const heard: Updated[] = [];
  client.setNotificationHandler("notifications/resources/updated", (notification) => {
    heard.push(notification.params as Updated);
  });
  return heard;
}

/** setUpRequests speaks the v1 client's result type; the v2 client's is the same JSON. */
function callsOf(connection: V2Connection): Parameters<typeof setUpRequests>[0] {
  return async (name, args) =>
    (await connection.call(name, args)) as unknown as Awaited<
      ReturnType<Parameters<typeof setUpRequests>[0]>
    >;
}

/** The read request resource, and its text as sent (to show what it leaves out). */
async function readRequest(connection: V2Connection, code: string) {
  const read = await connection.client.readResource({ uri: `raytio://requests/${code}` });
  const content = read.contents[0] as { text: string; mimeType?: string };
  return { text: content.text, view: JSON.parse(content.text) as Record<string, unknown> };
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
}, 120_000);

afterAll(async () => {
  await Promise.all(open.map((connection) => connection.close().catch(() => undefined)));
  await sandbox?.stop();
});

describe("over stdio", () => {
  let agent: V2Connection;
  let newRequest: () => Promise<string>;

  beforeAll(async () => {
    agent = keep(await connectStdio(sandbox, "agent", "modern", { env: FAST_POLL }));
    newRequest = await setUpRequests(callsOf(agent), {
      recipient_email: "person.one@example.com",
    });
  }, 120_000);

  it("tells the stream subscribed to a request when it is answered; reading it gives the status only", async () => {
    expect(agent.client.getServerCapabilities()?.resources?.subscribe).toBe(true);
    const code = await newRequest();
    const uri = `raytio://requests/${code}`;
    const heard = hearUpdates(agent.client);
    const stream = await agent.client.listen({
      resourceSubscriptions: [uri, "raytio://schemas/ss_Person_Name", "https://example.com/elsewhere"],
      toolsListChanged: true,
    });
    // Only a data request's URI can ever change; the others are left out of what is honored.
    expect(stream.honoredFilter).toEqual({ resourceSubscriptions: [uri], toolsListChanged: true });
    expect((await readRequest(agent, code)).view.status).toBe("pending");
    const { resourceTemplates } = await agent.client.listResourceTemplates();
    expect(resourceTemplates.map((template) => template.uriTemplate)).toContain(
      "raytio://requests/{short_code}",
    );
    await expect(agent.client.readResource({ uri: "raytio://requests/NOSUCHCODE1" })).rejects.toThrow(
      /list_requests/,
    );

    expect((await answerRequest(sandbox, code)).status).toBe(201);
    const notice = await eventually("the request's update on the stream", () =>
      heard.find((update) => update.uri === uri),
    );
    expect(notice._meta?.[SUBSCRIPTION_ID]).toEqual(expect.any(String));

    const { text, view } = await readRequest(agent, code);
    expect(view).toMatchObject({ request_short_code: code, status: "submitted" });
    expect(view.next).toMatch(/poll_and_retrieve/);
    expect(text).not.toContain(PERSON_NAME.family_name);
    expect(text).not.toContain(PERSON_NAME.given_name);
    await stream.close();
    expect(await stream.closed).toBe("local");
  });

  it("serves requests as resources only with the tools that send them", async () => {
    const noDsm = keep(
      await connectStdio(sandbox, "agent", "modern", { env: { RAYTIO_TOOL_DOMAINS: "ppm" } }),
    );
    const { resourceTemplates } = await noDsm.client.listResourceTemplates();
    expect(resourceTemplates.map((template) => template.uriTemplate)).toEqual([]);
    expect((await noDsm.client.listResources()).resources).toEqual([]);
    await expect(noDsm.client.readResource({ uri: "raytio://requests/ABCDEF123" })).rejects.toThrow(
      /disabled/,
    );
    const stream = await noDsm.client.listen({ resourceSubscriptions: ["raytio://requests/ABCDEF123"] });
    expect(stream.honoredFilter).toEqual({});
    expect(await stream.closed).toBe("graceful");
  });

  it("answers an open stream with its completion on SIGTERM, before the process exits", async () => {
    const leaving = keep(await connectStdio(sandbox, "agent", "modern"));
    const stream = await leaving.client.listen({ toolsListChanged: true });
    expect(stream.honoredFilter).toEqual({ toolsListChanged: true });
    process.kill(leaving.pid() ?? 0, "SIGTERM");
    expect(await stream.closed).toBe("graceful");
  });

  it("refuses taskIds from a client that did not declare the tasks extension (-32021)", async () => {
    await expect(
      agent.client.listen({ taskIds: ["a-task"] } as Parameters<Client["listen"]>[0]),
    ).rejects.toMatchObject({ code: -32021 });
  });
});

describeWithRedis("over HTTP with two replicas sharing Redis", () => {
  let redis: TestRedis;
  let first: HttpServerProcess;
  let second: HttpServerProcess;
  let secondUrl = "";
  let agentToken = "";
  let strangerToken = "";

  beforeAll(async () => {
    redis = await startRedis();
    // Two streams per person per replica, so the cap is reached in a test.
    const pair = await startReplicaPair(sandbox, redis, { MCP_MAX_SESSIONS_PER_PERSON: "2" });
    first = pair.first;
    second = pair.second;
    secondUrl = `http://127.0.0.1:${pair.secondPort}/mcp`;
    const agent = keep(await connectAs(first.url, "agent", { withEncryptionPassword: true }));
    agentToken = agent.provider.saved?.access_token ?? "";
    // Another person who may send data requests too: the URI alone must not let them hear the agent's.
    const stranger = keep(await connectAs(first.url, "data_sharing_admin"));
    strangerToken = stranger.provider.saved?.access_token ?? "";
  }, 120_000);

  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
    await redis?.stop();
  });

  it("answers a bad listen as the SDK would, and leaves out what it cannot honor", async () => {
    const meta = {
      "io.modelcontextprotocol/protocolVersion": MODERN,
      "io.modelcontextprotocol/clientCapabilities": {},
    };
    const headers = { Authorization: `Bearer ${agentToken}`, Accept: "application/json, text/event-stream" };
    const refused = await rawPost(
      secondUrl,
      {
        jsonrpc: "2.0",
        id: 7,
        method: "subscriptions/listen",
        params: { _meta: meta, notifications: { taskIds: ["t1"] } },
      },
      headers,
    );
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text)).toMatchObject({
      id: 7,
      error: {
        code: -32021,
        data: { requiredCapabilities: { extensions: { "io.modelcontextprotocol/tasks": {} } } },
      },
    });
    // Honors nothing here: acknowledged, then completed at once, as the spec's graceful end.
    const empty = await rawPost(
      secondUrl,
      {
        jsonrpc: "2.0",
        id: 8,
        method: "subscriptions/listen",
        params: {
          _meta: meta,
          notifications: { resourceSubscriptions: ["raytio://schemas/ss_Person_Name"] },
        },
      },
      headers,
    );
    expect(empty.status).toBe(200);
    const frames = empty.text
      .split("\n")
      .filter((line) => line.startsWith("data: "))
      .map((line) => JSON.parse(line.slice(6)));
    expect(frames).toEqual([
      {
        jsonrpc: "2.0",
        method: "notifications/subscriptions/acknowledged",
        params: { notifications: {}, _meta: { [SUBSCRIPTION_ID]: 8 } },
      },
      {
        jsonrpc: "2.0",
        id: 8,
        result: {
          resultType: "complete",
          _meta: { [SUBSCRIPTION_ID]: 8, "io.modelcontextprotocol/serverInfo": expect.any(Object) },
        },
      },
    ]);
  });

  it("ends a person's oldest stream, gracefully, when they open one past their cap", async () => {
    const onFirst = keep(await connectHttp(first.url, agentToken, "modern"));
    const streams = [
      await onFirst.client.listen({ toolsListChanged: true }),
      await onFirst.client.listen({ promptsListChanged: true }),
    ];
    const third = await onFirst.client.listen({ resourcesListChanged: true });
    expect(await streams[0]?.closed).toBe("graceful");
    await Promise.all([streams[1]?.close(), third.close()]);
    expect(await third.closed).toBe("local");
  });

  it("delivers the answer to the stream on the other replica, to that person only", async () => {
    const onFirst = keep(await connectHttp(first.url, agentToken, "modern"));
    const onSecond = keep(await connectHttp(secondUrl, agentToken, "modern"));
    const strangerOnSecond = keep(await connectHttp(secondUrl, strangerToken, "modern"));
    const newRequest = await setUpRequests(callsOf(onFirst), {
      recipient_email: "person.one@example.com",
    });
    const code = await newRequest();
    const uri = `raytio://requests/${code}`;

    const heard = hearUpdates(onSecond.client);
    const strangerHeard = hearUpdates(strangerOnSecond.client);
    const stream = await onSecond.client.listen({ resourceSubscriptions: [uri] });
    expect(stream.honoredFilter).toEqual({ resourceSubscriptions: [uri] });
    const strangerStream = await strangerOnSecond.client.listen({ resourceSubscriptions: [uri] });

    expect((await answerRequest(sandbox, code)).status).toBe(201);
    const notice = await eventually("the update on the second replica's stream", () =>
      heard.find((update) => update.uri === uri),
    );
    expect(notice._meta?.[SUBSCRIPTION_ID]).toEqual(expect.any(String));
    expect((await readRequest(onSecond, code)).view.status).toBe("submitted");
    // Raytio lets a data-sharing administrator of the same customer read the request (as list_requests
    // would show it), but the notice is the sender's: it travels on their feed, not on the URI.

    // The second replica drains: every stream is answered with its completion, after anything written
    // before it, so once the stranger's stream has ended gracefully it has heard all it ever will.
    second.signal("SIGTERM");
    expect(await strangerStream.closed).toBe("graceful");
    expect(await stream.closed).toBe("graceful");
    expect(strangerHeard).toEqual([]);
    expect(heard.filter((update) => update.uri === uri)).toHaveLength(1);
  });
});
