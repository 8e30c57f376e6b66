import type { JSONRPCMessage, Transport } from "@modelcontextprotocol/server";

/** A transport the test drives: `receive` delivers a message inward, `sent` keeps what went out. */
export class FakeTransport implements Transport {
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
