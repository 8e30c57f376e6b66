import type { JSONRPCMessage } from "@modelcontextprotocol/server";
import { ForwardingTransport } from "./forwarding-transport.js";
import { TASK_CALL_METHOD } from "./tasks/legacy.js";

/** Passes everything through, except that a 2025-era task-augmented tools/call takes its own method. */
export class LegacyTaskCalls extends ForwardingTransport {
  protected override received(
    message: JSONRPCMessage,
    extra?: Parameters<ForwardingTransport["received"]>[1],
  ) {
    this.onmessage?.(isLegacyTaskCall(message) ? { ...message, method: TASK_CALL_METHOD } : message, extra);
  }
}

function isLegacyTaskCall(message: JSONRPCMessage): message is JSONRPCMessage & { method: string } {
  if (!("method" in message) || message.method !== "tools/call" || !("id" in message)) return false;
  const params = message.params as { task?: unknown; _meta?: Record<string, unknown> } | undefined;
  // A 2026-07-28 request carries its protocol version in _meta; only 2025-era calls ask for a task.
  const modern = params?._meta?.["io.modelcontextprotocol/protocolVersion"] !== undefined;
  return !modern && typeof params?.task === "object" && params.task !== null;
}
