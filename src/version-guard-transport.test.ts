import type { JSONRPCMessage } from "@modelcontextprotocol/server";
import { describe, expect, it } from "vitest";
import { FakeTransport } from "../test/support/fake-transport.js";
import { VersionGuardTransport } from "./version-guard-transport.js";

const claiming = (id: number, method: string, version: string) =>
  ({
    jsonrpc: "2.0",
    id,
    method,
    params: { _meta: { "io.modelcontextprotocol/protocolVersion": version } },
  }) as JSONRPCMessage;

describe("VersionGuardTransport", () => {
  it("refuses a request naming a revision it does not serve with -32022, and passes the rest on", async () => {
    const inner = new FakeTransport();
    const guard = new VersionGuardTransport(inner);
    const delivered: unknown[] = [];
    guard.onmessage = (message) => delivered.push("id" in message ? message.id : message);
    inner.receive(claiming(1, "tools/list", "2026-07-28"));
    inner.receive(claiming(2, "tools/list", "v999.0.0"));
    inner.receive({ jsonrpc: "2.0", id: 3, method: "tools/list" } as JSONRPCMessage);
    await Promise.resolve();
    expect(delivered).toEqual([1, 3]);
    expect(inner.sent).toEqual([
      {
        jsonrpc: "2.0",
        id: 2,
        error: {
          code: -32022,
          message: "Unsupported protocol version: v999.0.0",
          data: { supported: ["2026-07-28"], requested: "v999.0.0" },
        },
      },
    ]);
  });

  it("leaves initialize, and everything once the 2025 era serves the connection, to the server", () => {
    const inner = new FakeTransport();
    const guard = new VersionGuardTransport(inner);
    const delivered: unknown[] = [];
    guard.onmessage = (message) => delivered.push("id" in message ? message.id : message);
    inner.receive(claiming(1, "initialize", "2099-01-01"));
    guard.servesLegacy();
    inner.receive(claiming(2, "tools/list", "2099-01-01"));
    expect(delivered).toEqual([1, 2]);
    expect(inner.sent).toEqual([]);
  });
});
