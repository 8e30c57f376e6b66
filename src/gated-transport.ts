import type {
  JSONRPCMessage,
  MessageExtraInfo,
  Transport,
  TransportSendOptions,
} from "@modelcontextprotocol/server";
import { ForwardingTransport } from "./forwarding-transport.js";

/**
 * Lets `initialize` through at once but holds requests whose answers depend on sign-in and role
 * resolution (the tool list, tool calls) until `open()` is called. The server can therefore answer the
 * handshake before any network I/O without ever showing a client the wrong tool list.
 *
 * Once one message is held, every later one waits behind it: what sits above reads the client's
 * messages in the order they were sent. A `notifications/cancelled` that overtook the call it cancels
 * would find nothing to cancel and the call would run anyway, and the stdio entry chooses a connection's
 * era from its opening messages, so a message without the 2026-07-28 `_meta` that overtook a held
 * modern `tools/list` would pin the connection to the 2025 era.
 */
export class GatedTransport extends ForwardingTransport {
  private opened = false;
  private held: Array<[JSONRPCMessage, MessageExtraInfo | undefined]> = [];
  private readonly toolListIds = new Set<string | number>();
  private markToolListServed: (() => void) | undefined;
  /** Settles once the first tools/list answer has been written, so deferrable work can wait for it. */
  readonly toolListServed = new Promise<void>((resolve) => {
    this.markToolListServed = resolve;
  });

  constructor(
    inner: Transport,
    private readonly gatedMethods: ReadonlySet<string>,
    /** Sees every request as it arrives, held or not (e.g. to log how a client opened). */
    private readonly observe?: (request: { method: string; params?: unknown }) => void,
  ) {
    super(inner);
  }

  protected override received(message: JSONRPCMessage, extra?: MessageExtraInfo): void {
    if ("method" in message && "id" in message) this.observe?.(message);
    if ("method" in message && message.method === "tools/list" && "id" in message)
      this.toolListIds.add(message.id);
    const gated = "method" in message && this.gatedMethods.has(message.method);
    if (!this.opened && (gated || this.held.length > 0)) {
      this.held.push([message, extra]);
      return;
    }
    this.onmessage?.(message, extra);
  }

  override async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    await this.inner.send(message, options);
    const answered = !("method" in message) && "id" in message ? message.id : undefined;
    if (answered !== undefined && this.toolListIds.delete(answered)) this.markToolListServed?.();
  }

  open(): void {
    if (this.opened) return;
    this.opened = true;
    const held = this.held;
    this.held = [];
    for (const [message, extra] of held) this.onmessage?.(message, extra);
  }
}
