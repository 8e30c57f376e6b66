import { EventEmitter } from "node:events";
import { MemoryTaskKv, type TaskKv } from "../tasks/kv.js";
import { RedisConnection, type RespValue } from "./redis.js";

/**
 * Where OAuth state and the MCP session registry live: process memory for one server, Redis when
 * several replicas share the work. Values are strings (JSON); every key has a time to live. Secrets
 * never appear in keys: callers key codes and tokens by their SHA-256.
 */
export interface StateStore extends TaskKv {
  readonly kind: "memory" | "redis";
  /**
   * Atomically reads and deletes `key` (single-use redemption). When it existed and `tombstone` is
   * given, the value moves to the tombstone key in the same step, so a replay is recognised afterwards.
   */
  take(key: string, tombstone?: { key: string; ttlSeconds: number }): Promise<string | undefined>;
  /** Renews the time to live; false when the key no longer exists. */
  touch(key: string, ttlSeconds: number): Promise<boolean>;
  /** Adds one to a counter that expires `ttlSeconds` after it was created; returns the new count. */
  increment(key: string, ttlSeconds: number): Promise<number>;
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  /** Resolves when the store answers (readiness); rejects with why it does not. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The single-process store. JavaScript runs one callback at a time, so "read then delete" inside one
 * synchronous step is already atomic.
 */
export class MemoryStore extends MemoryTaskKv implements StateStore {
  readonly kind = "memory" as const;
  readonly #events = new EventEmitter();
  readonly #sweeper: NodeJS.Timeout;

  constructor(now: () => number = Date.now) {
    super(now);
    this.#events.setMaxListeners(0);
    // Expired keys are also dropped lazily on read; the sweep only bounds memory.
    this.#sweeper = setInterval(() => this.sweep(), 60_000);
    this.#sweeper.unref();
  }

  async take(key: string, tombstone?: { key: string; ttlSeconds: number }): Promise<string | undefined> {
    const entry = this.live(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (tombstone) {
      this.entries.set(tombstone.key, {
        value: entry.value,
        expiresAt: this.now() + tombstone.ttlSeconds * 1000,
      });
    }
    return entry.value;
  }

  async touch(key: string, ttlSeconds: number): Promise<boolean> {
    const entry = this.live(key);
    if (!entry) return false;
    entry.expiresAt = this.now() + ttlSeconds * 1000;
    return true;
  }

  async increment(key: string, ttlSeconds: number): Promise<number> {
    const entry = this.live(key);
    if (!entry) {
      this.entries.set(key, { value: "1", expiresAt: this.now() + ttlSeconds * 1000 });
      return 1;
    }
    const next = Number(entry.value) + 1;
    entry.value = String(next);
    return next;
  }

  async publish(channel: string, message: string): Promise<void> {
    this.#events.emit(channel, message);
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    this.#events.on(channel, listener);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#events.removeAllListeners();
  }
}

/** GET and DEL as one step, plus the optional tombstone, so two replicas can never both redeem a code. */
const TAKE_SCRIPT = `
local value = redis.call('GET', KEYS[1])
if value then
  redis.call('DEL', KEYS[1])
  if ARGV[1] == '1' then redis.call('SET', KEYS[2], value, 'EX', tonumber(ARGV[2])) end
end
return value`;

/** INCR and EXPIRE together, so a counter can never be left without an expiry. */
const INCREMENT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1])) end
return count`;

/** SET only while the key still holds the value the caller read. */
const SWAP_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3]))
  return 1
end
return 0`;

/** Take a free lease or renew one's own; another holder's lease is left alone. */
const CLAIM_SCRIPT = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
return 1`;

/** Members are scored by their expiry; the set itself lives as long as its longest-lived member. */
const ADD_MEMBER_SCRIPT = `
redis.call('ZADD', KEYS[1], tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[3]))
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then redis.call('PEXPIREAT', KEYS[1], math.floor(tonumber(last[2]))) end
return 1`;

export class RedisStore implements StateStore {
  readonly kind = "redis" as const;
  readonly #commands: RedisConnection;
  #subscriber: RedisConnection | undefined;
  readonly #listeners = new Map<string, Set<(message: string) => void>>();

  constructor(
    private readonly url: string,
    private readonly prefix = "raytio-mcp:",
  ) {
    this.#commands = new RedisConnection({ url });
  }

  /** Fails at start-up, with a clear message, when Redis cannot be reached. */
  async ping(): Promise<void> {
    const reply = await this.#commands.command("PING");
    if (reply !== "PONG") throw new Error("Redis did not answer PING");
  }

  #key(key: string): string {
    return `${this.prefix}${key}`;
  }

  async get(key: string): Promise<string | undefined> {
    return asString(await this.#commands.command("GET", this.#key(key)));
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.#commands.command("SET", this.#key(key), value, "EX", Math.max(1, Math.ceil(ttlSeconds)));
  }

  async take(key: string, tombstone?: { key: string; ttlSeconds: number }): Promise<string | undefined> {
    const reply = await this.#commands.command(
      "EVAL",
      TAKE_SCRIPT,
      2,
      this.#key(key),
      this.#key(tombstone?.key ?? `${key}:unused`),
      tombstone ? "1" : "0",
      Math.max(1, Math.ceil(tombstone?.ttlSeconds ?? 1)),
    );
    return asString(reply);
  }

  async delete(...keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.#commands.command("DEL", ...keys.map((key) => this.#key(key)));
  }

  async touch(key: string, ttlSeconds: number): Promise<boolean> {
    return (await this.#commands.command("EXPIRE", this.#key(key), Math.max(1, Math.ceil(ttlSeconds)))) === 1;
  }

  async increment(key: string, ttlSeconds: number): Promise<number> {
    const reply = await this.#commands.command(
      "EVAL",
      INCREMENT_SCRIPT,
      1,
      this.#key(key),
      Math.max(1, Math.ceil(ttlSeconds)),
    );
    return Number(reply);
  }

  async swap(key: string, expected: string, next: string, ttlSeconds: number): Promise<boolean> {
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    return (await this.#commands.command("EVAL", SWAP_SCRIPT, 1, this.#key(key), expected, next, ttl)) === 1;
  }

  async claim(key: string, holder: string, ttlMs: number): Promise<boolean> {
    const ttl = Math.max(1, Math.ceil(ttlMs));
    return (await this.#commands.command("EVAL", CLAIM_SCRIPT, 1, this.#key(key), holder, ttl)) === 1;
  }

  async addMember(key: string, member: string, expiresAt: number): Promise<void> {
    await this.#commands.command(
      "EVAL",
      ADD_MEMBER_SCRIPT,
      1,
      this.#key(key),
      member,
      Math.ceil(expiresAt),
      Date.now(),
    );
  }

  async members(key: string): Promise<string[]> {
    const reply = await this.#commands.command("ZRANGEBYSCORE", this.#key(key), `(${Date.now()}`, "+inf");
    return Array.isArray(reply) ? reply.filter((item): item is string => typeof item === "string") : [];
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.#commands.command("PUBLISH", this.#key(channel), message);
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    const full = this.#key(channel);
    let listeners = this.#listeners.get(full);
    if (!listeners) {
      listeners = new Set();
      this.#listeners.set(full, listeners);
    }
    listeners.add(listener);
    this.#subscriber ??= new RedisConnection({
      url: this.url,
      onMessage: (name, message) => {
        for (const each of this.#listeners.get(name) ?? []) each(message);
      },
    });
    await this.#subscriber.subscribe(full);
  }

  async close(): Promise<void> {
    await Promise.all([this.#commands.close(), this.#subscriber?.close()]);
  }
}

function asString(reply: RespValue): string | undefined {
  return typeof reply === "string" ? reply : undefined;
}

export async function openStore(redisUrl: string | undefined): Promise<StateStore> {
  if (!redisUrl) return new MemoryStore();
  const store = new RedisStore(redisUrl);
  await store.ping();
  return store;
}
