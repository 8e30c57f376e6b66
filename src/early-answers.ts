import { readFileSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, Tool } from "@modelcontextprotocol/sdk/types.js";
import { ForwardingTransport } from "./forwarding-transport.js";
import type { BaseDomain } from "./tools/core/tool.js";

/**
 * The stdio handshake, answered before the server is loaded.
 *
 * Every Claude Code or Codex session starts every configured server and reads its tool list, and most
 * sessions never call most servers. Loading the MCP SDK, 36 tools and their zod schemas costs more than
 * everything else in a cold start, so when the tools are known from the configuration alone
 * (RAYTIO_TOOL_DOMAINS), `initialize`, `ping` and `tools/list` are answered from dist/handshake.json,
 * which the build writes from the real server (scripts/handshake.ts). Right after the first tools/list
 * (or any other request, or two idle seconds) the full server loads and takes stdin over: it is given
 * the handshake to replay, so the SDK knows the client exactly as if it had answered itself, and every
 * byte this module did not answer. Anything unusual (a malformed line, a request this module does not
 * know, a second initialize) is left for the full server, which answers it as it always has.
 */

export const HANDSHAKE_FILE = "handshake.json";

export interface Handshake {
  protocol: { latest: string; supported: string[] };
  /** The SDK's initialize result without its negotiated `protocolVersion`, key for key. */
  initialize: { capabilities: Record<string, unknown>; serverInfo: Record<string, unknown> } & Record<
    string,
    unknown
  >;
  /** Every tool's tools/list entry as the SDK sends it, in registry order, with its domain. */
  tools: Array<{ domain: BaseDomain; entry: Tool }>;
}

/** dist/handshake.json beside this bundle; absent when running from source (`npm run dev`). */
export function readHandshake(dir: URL = new URL(".", import.meta.url)): Handshake | undefined {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(new URL(HANDSHAKE_FILE, dir), "utf8"));
  } catch {
    return undefined;
  }
  const handshake = data as Partial<Handshake> | null;
  // The build writes this file next to the code that reads it; anything else is a broken install, and
  // the full server (which needs no file) is the safe answer.
  return typeof handshake?.protocol?.latest === "string" &&
    Array.isArray(handshake.protocol.supported) &&
    isObject(handshake.initialize) &&
    Array.isArray(handshake.tools)
    ? (handshake as Handshake)
    : undefined;
}

/** A line longer than this is no handshake: the full server reads it (and refuses it if too long). */
const MAX_EARLY_LINE_BYTES = 64 * 1024;

type RequestId = string | number;

export class EarlyAnswers {
  /** Bytes not answered here, from the first unanswered line on: the full server reads them first. */
  private pending: Buffer = Buffer.alloc(0);
  /** The handshake lines answered here, replayed to the full server in order. */
  private readonly handshakeLines: string[] = [];
  private initializeId: RequestId | undefined;
  private answering = true;
  private handedOver = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private markWanted: ((why: string) => void) | undefined;
  /** Whether the first tools/list was answered here (deferred start-up work may begin at once). */
  toolListServed = false;
  /** Settles, with the reason, when the full server should load. */
  readonly serverWanted = new Promise<string>((resolve) => {
    this.markWanted = resolve;
  });

  constructor(
    private readonly handshake: Handshake,
    /** The tools/list this process serves (exposedEntries over the handshake's entries). */
    private readonly listed: readonly Tool[],
    private readonly stdin: Readable = process.stdin,
    private readonly stdout: Writable = process.stdout,
    private readonly idleMs = 2_000,
  ) {}

  start(): void {
    this.stdin.on("data", this.onData);
    this.stdin.on("end", this.onEnd);
    this.idleTimer = setTimeout(() => this.want("idle"), this.idleMs);
  }

  /** A transport for the full server: it starts `inner`, then feeds it the handshake and the rest. */
  transportOver(inner: Transport & { receive(chunk: Buffer): void }): Transport {
    return new HandedOverTransport(inner, () => {
      // Known before any replayed line reaches the SDK, so its answer to the initialize is dropped.
      const answered = this.handedOver ? undefined : this.initializeId;
      return { answered, feed: () => this.handOver(inner) };
    });
  }

  /** Gives stdin to `inner`: the handshake lines answered here, then every byte not answered. */
  private handOver(inner: { receive(chunk: Buffer): void }): void {
    if (this.handedOver) return;
    this.handedOver = true;
    clearTimeout(this.idleTimer);
    this.stdin.off("data", this.onData);
    this.stdin.off("end", this.onEnd);
    for (const line of this.handshakeLines) inner.receive(Buffer.from(`${line}\n`, "utf8"));
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    if (rest.length > 0) inner.receive(rest);
  }

  private want(why: string): void {
    clearTimeout(this.idleTimer);
    this.markWanted?.(why);
  }

  private readonly onEnd = () => {
    // The client went away before needing the server: what the full server does on end of input.
    this.stdout.write("", () => process.exit(0));
  };

  private readonly onData = (chunk: Buffer) => {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.answering) {
      const newline = this.pending.indexOf(0x0a);
      if (newline === -1) {
        if (this.pending.length > MAX_EARLY_LINE_BYTES) this.stopAnswering("a long message");
        return;
      }
      const line = this.pending.subarray(0, newline).toString("utf8");
      if (!this.answer(line.endsWith("\r") ? line.slice(0, -1) : line)) {
        this.stopAnswering("a message only the server answers");
        return;
      }
      this.pending = this.pending.subarray(newline + 1);
    }
  };

  private stopAnswering(why: string): void {
    this.answering = false;
    this.want(why);
  }

  /** Answers one line, or returns false to leave it (and everything after it) to the full server. */
  private answer(line: string): boolean {
    if (line.trim() === "") return true;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      return false;
    }
    if (!isObject(message) || message.jsonrpc !== "2.0" || typeof message.method !== "string") return false;
    const { id, params } = message;
    const request = "id" in message;
    if (request && !(typeof id === "string" || Number.isSafeInteger(id))) return false;
    switch (message.method) {
      case "initialize": {
        if (!request || this.initializeId !== undefined || !isInitializeParams(params)) return false;
        const { supported, latest } = this.handshake.protocol;
        const protocolVersion = supported.includes(params.protocolVersion) ? params.protocolVersion : latest;
        this.handshakeLines.push(line);
        this.initializeId = id as RequestId;
        this.reply(id as RequestId, { protocolVersion, ...this.handshake.initialize });
        return true;
      }
      case "notifications/initialized":
        if (request || this.initializeId === undefined || !isOptionalParams(params)) return false;
        this.handshakeLines.push(line);
        return true;
      case "ping":
        if (!request || !isOptionalParams(params)) return false;
        this.reply(id as RequestId, {});
        return true;
      case "tools/list":
        if (!request || this.initializeId === undefined || !isListParams(params)) return false;
        this.reply(id as RequestId, { tools: this.listed });
        this.toolListServed = true;
        this.want("tools listed");
        return true;
      default:
        return false;
    }
  }

  private reply(id: RequestId, result: unknown): void {
    // The SDK's own order of keys, so an answer from here reads byte for byte like one from it.
    this.stdout.write(`${JSON.stringify({ result, jsonrpc: "2.0", id })}\n`);
  }
}

/**
 * The full server's stdio transport after a hand-over: it starts the real transport, then has the
 * early answers feed it the handshake and the unanswered bytes. The SDK answers the replayed
 * initialize too; that answer was already sent, so it is dropped here, once.
 */
class HandedOverTransport extends ForwardingTransport {
  private answeredInitializeId: RequestId | undefined;

  constructor(
    inner: Transport,
    private readonly takeOver: () => { answered: RequestId | undefined; feed: () => void },
  ) {
    super(inner);
  }

  override async start(): Promise<void> {
    await this.inner.start();
    const { answered, feed } = this.takeOver();
    this.answeredInitializeId = answered;
    feed();
  }

  override async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (
      this.answeredInitializeId !== undefined &&
      !("method" in message) &&
      "id" in message &&
      message.id === this.answeredInitializeId
    ) {
      this.answeredInitializeId = undefined;
      return;
    }
    await this.inner.send(message, options);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** What the SDK's InitializeRequest schema requires, checked as far as an early answer relies on it. */
function isInitializeParams(params: unknown): params is { protocolVersion: string } {
  if (!isObject(params) || typeof params.protocolVersion !== "string") return false;
  const { capabilities, clientInfo } = params;
  return (
    isObject(capabilities) &&
    Object.values(capabilities).every(isObject) &&
    isObject(clientInfo) &&
    typeof clientInfo.name === "string" &&
    typeof clientInfo.version === "string" &&
    (params._meta === undefined || isObject(params._meta))
  );
}

function isOptionalParams(params: unknown): boolean {
  return params === undefined || (isObject(params) && (params._meta === undefined || isObject(params._meta)));
}

function isListParams(params: unknown): boolean {
  return (
    isOptionalParams(params) &&
    (params === undefined ||
      (params as Record<string, unknown>).cursor === undefined ||
      typeof (params as Record<string, unknown>).cursor === "string")
  );
}
