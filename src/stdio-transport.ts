import process from "node:process";
import type { Readable, Writable } from "node:stream";
import {
  type JSONRPCMessage,
  ProtocolErrorCode,
  specTypeSchemas,
  type Transport,
} from "@modelcontextprotocol/server";

/** The SDK's own default: a line longer than this is refused, not buffered. */
export const MAX_LINE_BYTES = 10 * 1024 * 1024;
/** How much of each end of an over-long line is kept to find its id. */
const EDGE_BYTES = 256;

/**
 * Newline-delimited JSON-RPC over stdin/stdout, like the SDK's StdioServerTransport, except for what
 * it does with bad input. The SDK's transport drops a line that is not JSON or not JSON-RPC without an
 * answer (a client that sent a request with an id waits forever), and closes itself for good on a line
 * over its buffer limit (the server then exits). Here every bad line gets the JSON-RPC error the spec
 * asks for (-32700 parse error, -32600 invalid request) and the next line is served as usual; an
 * over-long line is skipped up to its newline without being buffered, and answered with the id found
 * at either end of it, so the client is not left waiting. Invalid params of a known method are the
 * SDK's to answer (-32602), as it does.
 */
export class StdioLineTransport implements Transport {
  private chunks: Buffer[] = [];
  private pendingBytes = 0;
  /** Inside an over-long line: drop everything up to the next newline, keeping only its two ends. */
  private discarding = false;
  private discardedHead: Buffer = Buffer.alloc(0);
  private discardedTail: Buffer = Buffer.alloc(0);
  private started = false;

  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  constructor(
    private readonly stdin: Readable = process.stdin,
    private readonly stdout: Writable = process.stdout,
    private readonly maxLineBytes: number = MAX_LINE_BYTES,
  ) {}

  private readonly onData = (chunk: Buffer) => {
    let rest = chunk;
    for (let newline = rest.indexOf(0x0a); newline !== -1; newline = rest.indexOf(0x0a)) {
      const head = rest.subarray(0, newline);
      rest = rest.subarray(newline + 1);
      if (this.discarding) {
        this.discarding = false;
        this.refuseOversized(this.discardedHead, lastBytes(Buffer.concat([this.discardedTail, head])));
        continue;
      }
      this.chunks.push(head);
      const line = Buffer.concat(this.chunks, this.pendingBytes + head.length);
      this.chunks = [];
      this.pendingBytes = 0;
      if (line.length > this.maxLineBytes)
        this.refuseOversized(line.subarray(0, EDGE_BYTES), lastBytes(line));
      else this.handleLine(line.toString("utf8"));
    }
    if (rest.length === 0) return;
    if (this.discarding) {
      this.discardedTail = lastBytes(Buffer.concat([this.discardedTail, rest]));
      return;
    }
    this.chunks.push(rest);
    this.pendingBytes += rest.length;
    if (this.pendingBytes > this.maxLineBytes) {
      const pending = Buffer.concat(this.chunks, this.pendingBytes);
      this.discardedHead = Buffer.from(pending.subarray(0, EDGE_BYTES));
      this.discardedTail = lastBytes(pending);
      this.chunks = [];
      this.pendingBytes = 0;
      this.discarding = true;
    }
  };

  private readonly onStreamError = (error: Error) => this.onerror?.(error);

  /**
   * Bytes read from stdin before this transport started (the early answers read the handshake),
   * handled as if they had just arrived.
   */
  receive(chunk: Buffer): void {
    this.onData(chunk);
  }

  async start(): Promise<void> {
    if (this.started) throw new Error("StdioLineTransport already started");
    this.started = true;
    this.stdin.on("data", this.onData);
    this.stdin.on("error", this.onStreamError);
  }

  private handleLine(raw: string): void {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    // Blank lines (e.g. a client's trailing newline) carry no message to answer.
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.replyError(null, ProtocolErrorCode.ParseError, "Parse error: the line is not valid JSON");
      return;
    }
    const checked = specTypeSchemas.JSONRPCMessage["~standard"].validate(value);
    if (checked instanceof Promise || checked.issues) {
      this.replyError(
        requestId(value),
        ProtocolErrorCode.InvalidRequest,
        'Invalid Request: not a JSON-RPC 2.0 message ({"jsonrpc":"2.0", "method", optional "id" and "params"})',
      );
      return;
    }
    this.onmessage?.(value as JSONRPCMessage);
  }

  private refuseOversized(head: Buffer, tail: Buffer): void {
    this.discardedHead = Buffer.alloc(0);
    this.discardedTail = Buffer.alloc(0);
    this.replyError(
      oversizedRequestId(head.toString("utf8"), tail.toString("utf8")),
      ProtocolErrorCode.InvalidRequest,
      `Invalid Request: message larger than ${this.maxLineBytes} bytes`,
    );
  }

  private replyError(id: string | number | null, code: number, message: string): void {
    // Answered outside the SDK's Protocol, which never sees these lines; a failed write surfaces
    // through the stream's own error handling like any other.
    this.send({ jsonrpc: "2.0", id, error: { code, message } } as unknown as JSONRPCMessage).catch(
      (error: unknown) => this.onerror?.(error instanceof Error ? error : new Error(String(error))),
    );
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve) => {
      if (this.stdout.write(`${JSON.stringify(message)}\n`)) resolve();
      else this.stdout.once("drain", resolve);
    });
  }

  async close(): Promise<void> {
    this.stdin.off("data", this.onData);
    this.stdin.off("error", this.onStreamError);
    if (this.stdin.listenerCount("data") === 0) this.stdin.pause();
    this.chunks = [];
    this.pendingBytes = 0;
    this.discarding = false;
    this.onclose?.();
  }
}

/** The id of something that looks like a request, so the client can match the error to it. */
function requestId(value: unknown): string | number | null {
  if (!value || typeof value !== "object" || Array.isArray(value)) return null;
  const id = (value as { id?: unknown }).id;
  return typeof id === "string" || (typeof id === "number" && Number.isFinite(id)) ? id : null;
}

/** A copy, so a kept end never pins the whole over-long line in memory. */
const lastBytes = (buffer: Buffer) => Buffer.from(buffer.subarray(Math.max(0, buffer.length - EDGE_BYTES)));

const ID_VALUE = String.raw`(-?\d{1,15}|"(?:[^"\\]|\\.){0,100}")`;
/** `{"id": 1, …` or `{"jsonrpc": "2.0", "id": 1, …` at the start of a line. */
const LEADING_ID = new RegExp(
  String.raw`^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*${ID_VALUE}\s*[,}]`,
);
/** `…, "id": 1}` closing the line: only the outermost object can end a line of well-formed JSON. */
const TRAILING_ID = new RegExp(String.raw`[{,]\s*"id"\s*:\s*${ID_VALUE}\s*\}\s*$`);

/**
 * The id of an over-long request from its first or last bytes (the SDK's client writes `id` last), so
 * the refusal reaches the call that is waiting for it. Null when neither end names one.
 */
export function oversizedRequestId(head: string, tail: string): string | number | null {
  const match = LEADING_ID.exec(head) ?? TRAILING_ID.exec(tail.replace(/\r$/, ""));
  if (!match?.[1]) return null;
  try {
    return requestId({ id: JSON.parse(match[1]) as unknown });
  } catch {
    return null;
  }
}
