import { PassThrough } from "node:stream";
import type { JSONRPCMessage } from "@modelcontextprotocol/server";
import { describe, expect, it } from "vitest";
import { oversizedRequestId, StdioLineTransport } from "./stdio-transport.js";

async function setup(maxLineBytes = 1024) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const transport = new StdioLineTransport(stdin, stdout, maxLineBytes);
  const received: JSONRPCMessage[] = [];
  const written: Array<Record<string, unknown>> = [];
  let partial = "";
  stdout.on("data", (chunk: Buffer) => {
    partial += chunk.toString("utf8");
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) written.push(JSON.parse(line) as Record<string, unknown>);
  });
  transport.onmessage = (message) => received.push(message);
  await transport.start();
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { stdin, transport, received, written, settle };
}

describe("StdioLineTransport", () => {
  it("delivers JSON-RPC messages split across chunks and packed into one chunk", async () => {
    const { stdin, received, settle } = await setup();
    stdin.write('{"jsonrpc":"2.0","id":1,"me');
    stdin.write('thod":"ping"}\r\n{"jsonrpc":"2.0","method":"notifications/initialized"}\n\n');
    await settle();
    expect(received).toEqual([
      { jsonrpc: "2.0", id: 1, method: "ping" },
      { jsonrpc: "2.0", method: "notifications/initialized" },
    ]);
  });

  it("answers -32700 for a line that is not JSON, and -32600 (with the id when there is one) for JSON that is not JSON-RPC", async () => {
    const { stdin, received, written, settle } = await setup();
    stdin.write('not json\n{"jsonrpc":"2.0","id":2,"method":"ping"\n');
    stdin.write('{"jsonrpc":"1.0","id":3,"method":"ping"}\n[1,2]\n42\n{"id":"x","method":7}\n');
    stdin.write('{"jsonrpc":"2.0","id":9,"method":"ping"}\n');
    await settle();
    expect(written.map((message) => [message.id, (message.error as { code: number }).code])).toEqual([
      [null, -32700],
      [null, -32700],
      [3, -32600],
      [null, -32600],
      [null, -32600],
      ["x", -32600],
    ]);
    expect(received).toEqual([{ jsonrpc: "2.0", id: 9, method: "ping" }]);
  });

  it("refuses an over-long line without buffering it and serves the next line", async () => {
    const { stdin, received, written, settle } = await setup(100);
    stdin.write("x".repeat(60));
    stdin.write("y".repeat(60));
    stdin.write("z".repeat(500));
    stdin.write('tail"}\n{"jsonrpc":"2.0","id":1,"method":"ping"}\n');
    stdin.write(`${"w".repeat(150)}\n`);
    stdin.write('{"jsonrpc":"2.0","id":2,"method":"ping"}\n');
    await settle();
    expect(written).toHaveLength(2);
    expect(written.every((message) => (message.error as { code: number }).code === -32600)).toBe(true);
    expect(received.map((message) => (message as { id: number }).id)).toEqual([1, 2]);
  });

  it("passes a well-formed request on whatever its params, for the SDK to check against its method", async () => {
    const { stdin, received, written, settle } = await setup();
    stdin.write('{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"x","arguments":[]}}\n');
    stdin.write('{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"x","arguments":{}}}\n');
    stdin.write('{"jsonrpc":"2.0","id":6,"method":"vendor/extension","params":{"a":[1]}}\n');
    await settle();
    // Invalid params of a known method (-32602) and unknown methods (-32601) are the SDK's to answer;
    // test/fuzz.test.ts holds the server to both over stdio.
    expect(written).toEqual([]);
    expect(received.map((message) => (message as { id: number }).id)).toEqual([4, 5, 6]);
  });

  it("answers an over-long request with the id found at either end of it", async () => {
    const { stdin, written, settle } = await setup(100);
    stdin.write(`{"method":"tools/call","params":{"pad":"${"p".repeat(200)}"},"jsonrpc":"2.0","id":41}\n`);
    stdin.write(`{"jsonrpc":"2.0","id":"a-42","method":"x","params":{"pad":"`);
    stdin.write(`${"p".repeat(300)}"}}\n`);
    await settle();
    expect(written.map((message) => message.id)).toEqual([41, "a-42"]);
    expect(oversizedRequestId('{"a":{"id":5}', '"x"}}')).toBeNull();
    expect(oversizedRequestId("garbage", '{"id":7}}')).toBeNull();
    expect(oversizedRequestId("garbage", ',"id":7}\r')).toBe(7);
  });

  it("stops reading when closed", async () => {
    const { stdin, transport, received, settle } = await setup();
    let closed = false;
    transport.onclose = () => {
      closed = true;
    };
    await transport.close();
    stdin.write('{"jsonrpc":"2.0","id":1,"method":"ping"}\n');
    await settle();
    expect(closed).toBe(true);
    expect(received).toEqual([]);
  });
});
