import type { JSONRPCMessage } from "@modelcontextprotocol/server";
import { describe, expect, it } from "vitest";
import { FakeTransport } from "../test/support/fake-transport.js";
import { ListenTransport } from "./listen-transport.js";
import { MemoryChangeFeed } from "./subscriptions/feed.js";
import type { ListenPolicy } from "./subscriptions/listen.js";

const SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";
const TASKS = "io.modelcontextprotocol/tasks";
const URI = "raytio://requests/ABCDEF123";

function meta(extensions?: Record<string, unknown>) {
  return {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": extensions ? { extensions } : {},
  };
}

function listen(id: string | number, notifications: Record<string, unknown>, extensions?: object) {
  return {
    jsonrpc: "2.0",
    id,
    method: "subscriptions/listen",
    params: { _meta: meta(extensions as Record<string, unknown>), notifications },
  } as JSONRPCMessage;
}

/** The tasks a real task service would give: status read at the moment the notice is written. */
class Tasks {
  readonly status = new Map<string, string>();
  reads = 0;
  notice = async (taskId: string) => {
    this.reads += 1;
    const status = this.status.get(taskId);
    return status === undefined ? undefined : { taskId, status, _meta: { kept: true } };
  };
}

function setUp(tasks?: Tasks) {
  const inner = new FakeTransport();
  const feed = new MemoryChangeFeed();
  const policy: ListenPolicy = {
    listChanged: { tools: true, prompts: true, resources: false },
    honorsResource: (uri) => uri.startsWith("raytio://requests/"),
    ...(tasks ? { taskNotice: tasks.notice } : {}),
    serverInfo: { name: "raytio", version: "1.0.0" },
  };
  const transport = new ListenTransport(inner, feed, () => policy);
  const passed: JSONRPCMessage[] = [];
  transport.onmessage = (message) => passed.push(message);
  return { inner, feed, transport, passed };
}

/** Lets the queued writes run. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe("ListenTransport", () => {
  it("acknowledges what it honors, stamps every notice, and never hands the stream to the SDK", async () => {
    const { inner, feed, transport, passed } = setUp();
    inner.receive(
      listen(3, {
        resourceSubscriptions: [URI, "raytio://schemas/ss_Passport"],
        toolsListChanged: true,
        resourcesListChanged: true,
      }),
    );
    await feed.publish({ kind: "resource_updated", uri: URI });
    await feed.publish({ kind: "resource_updated", uri: "raytio://requests/OTHER1234" });
    await settled();
    expect(passed).toEqual([]);
    expect(inner.sent).toEqual([
      {
        jsonrpc: "2.0",
        method: "notifications/subscriptions/acknowledged",
        params: {
          notifications: { toolsListChanged: true, resourceSubscriptions: [URI] },
          _meta: { [SUBSCRIPTION_ID]: 3 },
        },
      },
      {
        jsonrpc: "2.0",
        method: "notifications/resources/updated",
        params: { uri: URI, _meta: { [SUBSCRIPTION_ID]: 3 } },
      },
    ]);
    expect(transport.openCount).toBe(1);
  });

  it("ends a stream on the client's cancel, and answers the rest with a completion on shutdown", async () => {
    const { inner, feed, transport, passed } = setUp();
    inner.receive(listen("a", { resourceSubscriptions: [URI] }));
    inner.receive(listen("b", { resourceSubscriptions: [URI] }));
    inner.receive({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: "a" },
    } as JSONRPCMessage);
    // A cancel naming anything else is the SDK's.
    const other = { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 9 } };
    inner.receive(other as JSONRPCMessage);
    expect(passed).toEqual([other]);
    await feed.publish({ kind: "resource_updated", uri: URI });
    await transport.closeAll();
    const ids = (message: JSONRPCMessage) =>
      "params" in message
        ? (message.params as { _meta: Record<string, unknown> })._meta[SUBSCRIPTION_ID]
        : "id" in message
          ? message.id
          : undefined;
    const updates = inner.sent.filter(
      (message) => "method" in message && message.method === "notifications/resources/updated",
    );
    expect(updates.map(ids)).toEqual(["b"]);
    expect(inner.sent.at(-1)).toEqual({
      jsonrpc: "2.0",
      id: "b",
      result: {
        resultType: "complete",
        _meta: {
          [SUBSCRIPTION_ID]: "b",
          "io.modelcontextprotocol/serverInfo": { name: "raytio", version: "1.0.0" },
        },
      },
    });
    expect(transport.openCount).toBe(0);
  });

  it("refuses taskIds without the tasks extension (-32021), and honors them with it", async () => {
    const tasks = new Tasks();
    const { inner, feed } = setUp(tasks);
    inner.receive(listen(1, { taskIds: ["t1"] }));
    await settled();
    expect(inner.sent).toEqual([
      {
        jsonrpc: "2.0",
        id: 1,
        error: {
          code: -32021,
          message: "Missing required client capability",
          data: { requiredCapabilities: { extensions: { [TASKS]: {} } } },
        },
      },
    ]);

    inner.sent = [];
    inner.receive(listen(2, { taskIds: ["t1", "t2"] }, { [TASKS]: {} }));
    tasks.status.set("t1", "working");
    await feed.publish({ kind: "task_status", taskId: "t1" });
    await settled();
    // A task the stream did not ask for is not even read; one that cannot be read sends nothing.
    await feed.publish({ kind: "task_status", taskId: "t3" });
    await feed.publish({ kind: "task_status", taskId: "t2" });
    tasks.status.set("t1", "completed");
    await feed.publish({ kind: "task_status", taskId: "t1" });
    await settled();
    expect(tasks.reads).toBe(3);
    expect(inner.sent).toEqual([
      {
        jsonrpc: "2.0",
        method: "notifications/subscriptions/acknowledged",
        params: { notifications: { taskIds: ["t1", "t2"] }, _meta: { [SUBSCRIPTION_ID]: 2 } },
      },
      // Read when written, in order: the notice says the status of the moment.
      {
        jsonrpc: "2.0",
        method: "notifications/tasks",
        params: { taskId: "t1", status: "working", _meta: { kept: true, [SUBSCRIPTION_ID]: 2 } },
      },
      {
        jsonrpc: "2.0",
        method: "notifications/tasks",
        params: { taskId: "t1", status: "completed", _meta: { kept: true, [SUBSCRIPTION_ID]: 2 } },
      },
    ]);
  });

  it("leaves taskIds out of the acknowledgement when no task can be read here", async () => {
    const { inner } = setUp();
    inner.receive(listen(4, { taskIds: ["t1"], promptsListChanged: true }, { [TASKS]: {} }));
    await settled();
    expect(inner.sent[0]).toMatchObject({ params: { notifications: { promptsListChanged: true } } });
  });

  it("answers a filter that honors nothing with the acknowledgement and its completion", async () => {
    const { inner, transport } = setUp();
    inner.receive(listen(5, { resourceSubscriptions: ["file:///etc/passwd"], resourcesListChanged: true }));
    await settled();
    expect(inner.sent.map((message) => ("method" in message ? message.method : "result"))).toEqual([
      "notifications/subscriptions/acknowledged",
      "result",
    ]);
    expect(transport.openCount).toBe(0);
  });

  it("passes everything through on a 2025-era connection, and a listen without _meta to the SDK", async () => {
    const { inner, transport, passed } = setUp();
    const bare = { jsonrpc: "2.0", id: 6, method: "subscriptions/listen", params: { notifications: {} } };
    inner.receive(bare as JSONRPCMessage);
    transport.servesLegacy();
    inner.receive(listen(7, { toolsListChanged: true }));
    expect(passed.map((message) => ("id" in message ? message.id : undefined))).toEqual([6, 7]);
    expect(inner.sent).toEqual([]);
  });
});
