import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";

/**
 * A minimal Redis client (RESP2) for the handful of commands the state store needs. Written here rather
 * than pulled in as a dependency so the published bundle stays dependency-free and the stdio path does
 * not grow. Commands are pipelined on one connection and answered in order; a dropped connection fails
 * what was in flight and the next command reconnects.
 */
export type RespValue = string | number | null | RespValue[];

export class RedisReplyError extends Error {
  override name = "RedisReplyError";
}

interface Pending {
  resolve(value: RespValue): void;
  reject(error: Error): void;
}

export interface RedisOptions {
  url: string;
  /** Called for pub/sub messages; set only on a subscriber connection. */
  onMessage?: (channel: string, message: string) => void;
  connectTimeoutMs?: number;
}

export class RedisConnection {
  readonly #url: URL;
  readonly #onMessage: ((channel: string, message: string) => void) | undefined;
  readonly #connectTimeoutMs: number;
  #socket: Socket | undefined;
  #connecting: Promise<Socket> | undefined;
  #buffer: Buffer = Buffer.alloc(0);
  #pending: Pending[] = [];
  #closed = false;
  /** Channels to re-subscribe to after a reconnect. */
  readonly #channels = new Set<string>();

  constructor(options: RedisOptions) {
    this.#url = new URL(options.url);
    this.#onMessage = options.onMessage;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  }

  async command(...args: Array<string | number>): Promise<RespValue> {
    const socket = await this.#ensureConnected();
    return this.#send(socket, args);
  }

  async subscribe(channel: string): Promise<void> {
    this.#channels.add(channel);
    const socket = await this.#ensureConnected();
    await this.#send(socket, ["SUBSCRIBE", channel]);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const socket = this.#socket;
    this.#socket = undefined;
    if (!socket) return;
    await new Promise<void>((resolve) => {
      socket.once("close", () => resolve());
      socket.end();
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 1_000).unref();
    });
  }

  #send(socket: Socket, args: Array<string | number>): Promise<RespValue> {
    return new Promise<RespValue>((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      socket.write(encodeCommand(args));
    });
  }

  #ensureConnected(): Promise<Socket> {
    if (this.#closed) return Promise.reject(new Error("Redis connection closed"));
    if (this.#socket) return Promise.resolve(this.#socket);
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #open(): Promise<Socket> {
    const url = this.#url;
    const port = Number(url.port || 6379);
    const host = url.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1";
    const socket = await new Promise<Socket>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      const created =
        url.protocol === "rediss:"
          ? tlsConnect({ host, port, servername: host }, () => resolve(created))
          : netConnect({ host, port }, () => resolve(created));
      created.once("error", onError);
      created.setTimeout(this.#connectTimeoutMs, () => {
        created.destroy(new Error(`Redis connection to ${host}:${port} timed out`));
      });
      created.once(url.protocol === "rediss:" ? "secureConnect" : "connect", () => {
        created.off("error", onError);
        created.setTimeout(0);
      });
    });
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      if (this.#socket === socket) this.#socket = undefined;
      this.#buffer = Buffer.alloc(0);
      const failed = this.#pending;
      this.#pending = [];
      for (const pending of failed) pending.reject(new Error("Redis connection lost"));
      // A subscriber must keep listening: reconnect and subscribe again.
      if (!this.#closed && this.#channels.size > 0) {
        setTimeout(() => {
          void this.#resubscribe();
        }, 200).unref();
      }
    });
    this.#socket = socket;

    const password = url.password ? decodeURIComponent(url.password) : undefined;
    const username = url.username ? decodeURIComponent(url.username) : undefined;
    if (password) await this.#send(socket, username ? ["AUTH", username, password] : ["AUTH", password]);
    const db = url.pathname.replace(/^\//, "");
    if (db && db !== "0") await this.#send(socket, ["SELECT", db]);
    for (const channel of this.#channels) await this.#send(socket, ["SUBSCRIBE", channel]);
    return socket;
  }

  async #resubscribe(): Promise<void> {
    try {
      await this.#ensureConnected();
    } catch {
      if (!this.#closed) setTimeout(() => void this.#resubscribe(), 1_000).unref();
    }
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const parsed = parseReply(this.#buffer, 0);
      if (!parsed) return;
      this.#buffer = this.#buffer.subarray(parsed.end);
      this.#dispatch(parsed.value);
    }
  }

  #dispatch(value: RespValue | RedisReplyError): void {
    if (
      this.#onMessage &&
      Array.isArray(value) &&
      value[0] === "message" &&
      typeof value[1] === "string" &&
      typeof value[2] === "string"
    ) {
      this.#onMessage(value[1], value[2]);
      return;
    }
    const pending = this.#pending.shift();
    if (!pending) return;
    if (value instanceof RedisReplyError) pending.reject(value);
    else pending.resolve(value);
  }
}

export function encodeCommand(args: ReadonlyArray<string | number>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(String(arg), "utf8");
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

/** Parses one reply starting at `offset`; undefined when the buffer does not hold all of it yet. */
export function parseReply(
  buffer: Buffer,
  offset: number,
): { value: RespValue | RedisReplyError; end: number } | undefined {
  const lineEnd = buffer.indexOf("\r\n", offset);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[offset] ?? 0);
  const line = buffer.toString("utf8", offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case "+":
      return { value: line, end: next };
    case "-":
      return { value: new RedisReplyError(line), end: next };
    case ":":
      return { value: Number(line), end: next };
    case "$": {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.toString("utf8", next, next + length), end: next + length + 2 };
    }
    case "*": {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let cursor = next;
      for (let index = 0; index < length; index += 1) {
        const item = parseReply(buffer, cursor);
        if (!item) return undefined;
        // An error nested in an array (e.g. inside EXEC) is kept as its message.
        items.push(item.value instanceof RedisReplyError ? item.value.message : item.value);
        cursor = item.end;
      }
      return { value: items, end: cursor };
    }
    default:
      throw new Error(`Unexpected Redis reply type ${JSON.stringify(type)}`);
  }
}
