import {
  type JSONRPCMessage,
  type MessageExtraInfo,
  PROTOCOL_VERSION_META_KEY,
  UnsupportedProtocolVersionError,
} from "@modelcontextprotocol/server";
import { ForwardingTransport } from "./forwarding-transport.js";

/**
 * The stateless revisions this server serves, as its `server/discover` answers them. The SDK keeps its
 * own list private; test/eras.test.ts checks this one against the server's discover result.
 */
export const MODERN_REVISIONS: readonly string[] = ["2026-07-28"];

/**
 * Refuses a request that names, in its `_meta`, a protocol revision this server does not serve, with
 * the UnsupportedProtocolVersionError (-32022) that names the ones it does.
 *
 * The SDK's stdio entry checks the version only while a connection opens. Once the connection is pinned
 * to 2026-07-28 it hands every later message to the server instance without the classification the HTTP
 * entry attaches to each request, so a request naming another revision would be served as if it named
 * 2026-07-28; over HTTP the same request is refused. In the 2025 era `_meta` names no version, so once
 * a 2025-era instance serves the connection (`servesLegacy()`) everything passes through, and
 * `initialize` always does: the SDK decides what it opens.
 */
export class VersionGuardTransport extends ForwardingTransport {
  #legacy = false;

  servesLegacy(): void {
    this.#legacy = true;
  }

  protected override received(message: JSONRPCMessage, extra?: MessageExtraInfo): void {
    if (!this.#legacy && "method" in message && "id" in message && message.method !== "initialize") {
      const meta = (message.params as { _meta?: Record<string, unknown> } | undefined)?._meta;
      const requested = meta?.[PROTOCOL_VERSION_META_KEY];
      if (typeof requested === "string" && !MODERN_REVISIONS.includes(requested)) {
        const refused = new UnsupportedProtocolVersionError({ supported: [...MODERN_REVISIONS], requested });
        void this.inner
          .send({
            jsonrpc: "2.0",
            id: message.id,
            error: { code: refused.code, message: refused.message, data: refused.data },
          } as JSONRPCMessage)
          .catch((error: unknown) =>
            this.onerror?.(error instanceof Error ? error : new Error(String(error))),
          );
        return;
      }
    }
    super.received(message, extra);
  }
}
