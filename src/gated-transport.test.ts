import type { JSONRPCMessage } from "@modelcontextprotocol/server";
import { describe, expect, it } from "vitest";
import { FakeTransport } from "../test/support/fake-transport.js";
import { GatedTransport } from "./gated-transport.js";

describe("GatedTransport", () => {
  it("passes initialize through at once and holds gated requests until opened, in order", () => {
    const inner = new FakeTransport();
    const gated = new GatedTransport(inner, new Set(["tools/list", "tools/call"]));
    const delivered: string[] = [];
    gated.onmessage = (message) => delivered.push("method" in message ? message.method : "response");
    inner.receive({ jsonrpc: "2.0", id: 1, method: "initialize", params: {} } as JSONRPCMessage);
    inner.receive({ jsonrpc: "2.0", method: "notifications/initialized" } as JSONRPCMessage);
    inner.receive({ jsonrpc: "2.0", id: 2, method: "ping" } as JSONRPCMessage);
    inner.receive({ jsonrpc: "2.0", id: 3, method: "tools/list" } as JSONRPCMessage);
    inner.receive({ jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "x" } } as JSONRPCMessage);
    expect(delivered).toEqual(["initialize", "notifications/initialized", "ping"]);
    gated.open();
    expect(delivered).toEqual([
      "initialize",
      "notifications/initialized",
      "ping",
      "tools/list",
      "tools/call",
    ]);
  });

  it("keeps every message behind a held one, so none overtakes it", () => {
    const inner = new FakeTransport();
    const gated = new GatedTransport(inner, new Set(["tools/list", "tools/call"]));
    const delivered: unknown[] = [];
    gated.onmessage = (message) => delivered.push("method" in message ? message.method : message.id);
    const modern = { _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } };
    inner.receive({ jsonrpc: "2.0", id: 1, method: "server/discover", params: modern } as JSONRPCMessage);
    inner.receive({ jsonrpc: "2.0", id: 2, method: "tools/list", params: modern } as JSONRPCMessage);
    inner.receive({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "x" } } as JSONRPCMessage);
    // Neither the era-deciding request without _meta nor the cancellation of call 3 may go first.
    inner.receive({ jsonrpc: "2.0", id: 4, method: "server/discover", params: {} } as JSONRPCMessage);
    inner.receive({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: 3 },
    } as JSONRPCMessage);
    expect(delivered).toEqual(["server/discover"]);
    gated.open();
    expect(delivered).toEqual([
      "server/discover",
      "tools/list",
      "tools/call",
      "server/discover",
      "notifications/cancelled",
    ]);
    inner.receive({ jsonrpc: "2.0", id: 5, method: "tools/list" } as JSONRPCMessage);
    expect(delivered.at(-1)).toBe("tools/list");
  });

  it("settles toolListServed only when the answer to a tools/list request has been sent", async () => {
    const inner = new FakeTransport();
    const gated = new GatedTransport(inner, new Set());
    let served = false;
    void gated.toolListServed.then(() => {
      served = true;
    });
    inner.receive({ jsonrpc: "2.0", id: "a", method: "tools/list" } as JSONRPCMessage);
    await gated.send({ jsonrpc: "2.0", id: "other", result: {} } as JSONRPCMessage);
    await Promise.resolve();
    expect(served).toBe(false);
    await gated.send({ jsonrpc: "2.0", id: "a", result: { tools: [] } } as JSONRPCMessage);
    await Promise.resolve();
    expect(served).toBe(true);
  });
});
