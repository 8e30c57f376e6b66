import { EventEmitter } from "node:events";
import type { createClient } from "@redis/client";
import type { Logger } from "../logger.js";
import { MemoryTaskKv, type TaskKv } from "../tasks/kv.js";

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

/**
 * A node-redis connection as the store uses it. RESP2, the protocol every Redis server speaks, because
 * nothing here needs RESP3's types and managed Redis services still run versions that lack it.
 */
function redisClient(
  create: typeof createClient,
  url: string,
  reconnectStrategy: (retries: number, cause: Error) => number | Error,
) {
  return create({ url, RESP: 2, socket: { reconnectStrategy } });
}
type RedisClient = ReturnType<typeof redisClient>;

/** What a Redis failure says in a log line: its class and message (Redis errors carry no credentials). */
export function describeRedisError(error: unknown): Record<string, string> {
  if (!(error instanceof Error)) return { errorClass: typeof error, message: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    errorClass: error.constructor.name,
    message: error.message,
    ...(typeof code === "string" ? { code } : {}),
  };
}

/**
 * The shared store on node-redis: TLS for `rediss://`, AUTH and SELECT from the URL, commands queued
 * while a dropped connection is re-established, and subscriptions renewed on the new connection.
 * Commands and pub/sub use two connections, as Redis requires of a subscriber.
 */
export class RedisStore implements StateStore {
  readonly kind = "redis" as const;
  readonly #commands: RedisClient;
  #subscriber: Promise<RedisClient> | undefined;
  readonly #listeners = new Map<string, Set<(message: string) => void>>();
  readonly #logger: Logger | undefined;
  readonly #prefix: string;
  /** Connected once: from then on a lost connection is retried for as long as the process runs. */
  #started = false;
  #closed = false;

  constructor(url: string, create: typeof createClient, options: { logger?: Logger; prefix?: string } = {}) {
    this.#logger = options.logger;
    this.#prefix = options.prefix ?? "raytio-mcp:";
    // The URL's password is never logged, even if an error message were ever to carry it.
    const password = URL.canParse(url) ? new URL(url).password : "";
    options.logger?.addSecret(password);
    options.logger?.addSecret(decodeURIComponent(password));
    const client = redisClient(create, url, (retries, cause) => this.#retryIn(retries, cause));
    this.#commands = this.#watch(client, "commands");
  }

  /**
   * A connection that is not up at start fails the start, with its reason; one that drops later is
   * retried with node-redis's backoff (up to about 2 s between attempts) until it is back.
   */
  #retryIn(retries: number, cause: Error): number | Error {
    if (!this.#started) return cause;
    return Math.min(2 ** retries * 50, 2_000) + Math.floor(Math.random() * 200);
  }

  /**
   * Logs a connection's failures and its recovery. node-redis emits an error for every failed
   * attempt; an outage is logged once per distinct error, not once per retry. A failure before the
   * first connection is the start's to report.
   */
  #watch(client: RedisClient, role: "commands" | "subscriber"): RedisClient {
    let lastError: string | undefined;
    client.on("error", (error: unknown) => {
      const described = describeRedisError(error);
      const key = `${described.errorClass} ${described.message}`;
      if (this.#closed || !this.#started || key === lastError) return;
      lastError = key;
      this.#logger?.warn("Redis connection failed; retrying", { connection: role, ...described });
    });
    client.on("ready", () => {
      if (lastError === undefined) return;
      lastError = undefined;
      this.#logger?.info("Redis connection restored", { connection: role });
    });
    return client;
  }

  /** Connects and checks the server answers: fails the start, with a clear message, when it does not. */
  async connect(): Promise<void> {
    await this.#commands.connect();
    const reply = await this.#commands.ping();
    if (reply !== "PONG") throw new Error("Redis did not answer PING");
    this.#started = true;
  }

  #key(key: string): string {
    return `${this.#prefix}${key}`;
  }

  /**
   * Readiness. A command sent while the connection is down waits in node-redis's offline queue until
   * it is back, so a probe would hang instead of failing: it fails at once instead.
   */
  async ping(): Promise<void> {
    if (!this.#commands.isReady) throw new Error("Redis connection is down (reconnecting)");
    const reply = await this.#commands.ping();
    if (reply !== "PONG") throw new Error("Redis did not answer PING");
  }

  async get(key: string): Promise<string | undefined> {
    return asString(await this.#commands.get(this.#key(key)));
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.#commands.set(this.#key(key), value, {
      expiration: { type: "EX", value: Math.max(1, Math.ceil(ttlSeconds)) },
    });
  }

  async take(key: string, tombstone?: { key: string; ttlSeconds: number }): Promise<string | undefined> {
    const reply = await this.#commands.eval(TAKE_SCRIPT, {
      keys: [this.#key(key), this.#key(tombstone?.key ?? `${key}:unused`)],
      arguments: [tombstone ? "1" : "0", String(Math.max(1, Math.ceil(tombstone?.ttlSeconds ?? 1)))],
    });
    return asString(reply);
  }

  async delete(...keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.#commands.del(keys.map((key) => this.#key(key)));
  }

  async touch(key: string, ttlSeconds: number): Promise<boolean> {
    return (await this.#commands.expire(this.#key(key), Math.max(1, Math.ceil(ttlSeconds)))) === 1;
  }

  async increment(key: string, ttlSeconds: number): Promise<number> {
    const reply = await this.#commands.eval(INCREMENT_SCRIPT, {
      keys: [this.#key(key)],
      arguments: [String(Math.max(1, Math.ceil(ttlSeconds)))],
    });
    return Number(reply);
  }

  async swap(key: string, expected: string, next: string, ttlSeconds: number): Promise<boolean> {
    const ttl = String(Math.max(1, Math.ceil(ttlSeconds)));
    const reply = await this.#commands.eval(SWAP_SCRIPT, {
      keys: [this.#key(key)],
      arguments: [expected, next, ttl],
    });
    return reply === 1;
  }

  async claim(key: string, holder: string, ttlMs: number): Promise<boolean> {
    const reply = await this.#commands.eval(CLAIM_SCRIPT, {
      keys: [this.#key(key)],
      arguments: [holder, String(Math.max(1, Math.ceil(ttlMs)))],
    });
    return reply === 1;
  }

  async addMember(key: string, member: string, expiresAt: number): Promise<void> {
    await this.#commands.eval(ADD_MEMBER_SCRIPT, {
      keys: [this.#key(key)],
      arguments: [member, String(Math.ceil(expiresAt)), String(Date.now())],
    });
  }

  async members(key: string): Promise<string[]> {
    const reply = await this.#commands.zRangeByScore(this.#key(key), `(${Date.now()}`, "+inf");
    return reply.filter((item): item is string => typeof item === "string");
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.#commands.publish(this.#key(channel), message);
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    const full = this.#key(channel);
    let listeners = this.#listeners.get(full);
    const first = !listeners;
    if (!listeners) {
      listeners = new Set();
      this.#listeners.set(full, listeners);
    }
    listeners.add(listener);
    if (!first) return;
    const subscriber = await this.#subscriberConnection();
    await subscriber.subscribe(full, (message) => {
      for (const each of this.#listeners.get(full) ?? []) each(message);
    });
  }

  #subscriberConnection(): Promise<RedisClient> {
    this.#subscriber ??= (async () => {
      const subscriber = this.#watch(this.#commands.duplicate(), "subscriber");
      await subscriber.connect();
      return subscriber;
    })().catch((error: unknown) => {
      this.#subscriber = undefined;
      throw error;
    });
    return this.#subscriber;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const subscriber = await this.#subscriber?.catch(() => undefined);
    await Promise.all([quietly(this.#commands), subscriber ? quietly(subscriber) : undefined]);
  }
}

/** Ends a connection, letting queued commands finish when Redis is there and giving up when it is not. */
async function quietly(client: RedisClient): Promise<void> {
  if (!client.isOpen) return;
  try {
    await client.close();
  } catch {
    client.destroy();
  }
}

function asString(reply: unknown): string | undefined {
  return typeof reply === "string" ? reply : undefined;
}

export async function openStore(redisUrl: string | undefined, logger?: Logger): Promise<StateStore> {
  if (!redisUrl) return new MemoryStore();
  // Loaded only with REDIS_URL, so a single server's start-up does without the client.
  // A CommonJS package: its exports are the default export, the one form Node and the bundle share.
  const { createClient } = (await import("@redis/client")).default;
  const store = new RedisStore(redisUrl, createClient, logger ? { logger } : {});
  try {
    await store.connect();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
