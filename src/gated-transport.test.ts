import type { JSONRPCMessage, Transport } from "@modelcontextprotocol/server";
import { describe, expect, it } from "vitest";
import { GatedTransport } from "./gated-transport.js";

class FakeTransport implements Transport {
  sent: JSONRPCMessage[] = [];
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  async start() {}
  async close() {}
  async send(message: JSONRPCMessage) {
    this.sent.push(message);
  }
  receive(message: JSONRPCMessage) {
    this.onmessage?.(message);
  }
}

describe("GatedTransport", () => {
  it("passes initialize through at once and holds gated requests until opened, in order", () => {
    const inner = new FakeTransport();
    const gated = new GatedTransport(inner, new Set(["tools/list", "tools/call"]));
    const delivered: string[] = [];
    gated.onmessage = (message) => delivered.push("method" in message ? message.method : "response");
    inner.receive({ jsonrpc: "2.0", id: 1, method: "initialize", params: {} } as JSONRPCMessage);
    inner.receive({ jsonrpc: "2.0", id: 2, method: "tools/list" } as JSONRPCMessage);
    inner.receive({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "x" } } as JSONRPCMessage);
    inner.receive({ jsonrpc: "2.0", id: 4, method: "ping" } as JSONRPCMessage);
    expect(delivered).toEqual(["initialize", "ping"]);
    gated.open();
    expect(delivered).toEqual(["initialize", "ping", "tools/list", "tools/call"]);
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
