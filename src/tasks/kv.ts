/**
 * The few storage operations task state needs. The HTTP transport's state store provides them (in
 * memory or in Redis, shared by every replica); stdio keeps them in this process with MemoryTaskKv.
 * Values are JSON strings and every key expires.
 */
export interface TaskKv {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  delete(...keys: string[]): Promise<void>;
  /**
   * Replaces `key` only while it still holds `expected`, as one step: of two writers that read the
   * same value, exactly one wins. False when the value had changed (or expired).
   */
  swap(key: string, expected: string, next: string, ttlSeconds: number): Promise<boolean>;
  /**
   * Holds `key` for `holder` for `ttlMs`: takes it when free, renews it when `holder` already has it.
   * False when someone else holds it.
   */
  claim(key: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Adds `member` to the set at `key`; it drops out of the set at `expiresAt` (epoch ms). */
  addMember(key: string, member: string, expiresAt: number): Promise<void>;
  /** The set's members that have not expired, oldest expiry first. */
  members(key: string): Promise<string[]>;
}

export interface MemoryEntry {
  value: string;
  expiresAt: number;
}

/**
 * Keys in this process's memory: stdio's task state, and the base of the HTTP transport's
 * single-process state store. JavaScript runs one callback at a time, so each method is atomic.
 */
export class MemoryTaskKv implements TaskKv {
  protected readonly entries = new Map<string, MemoryEntry>();
  readonly #sets = new Map<string, Map<string, number>>();

  constructor(protected readonly now: () => number = Date.now) {}

  /** The entry unless it has expired; expired entries are dropped as they are met. */
  protected live(key: string): MemoryEntry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Bounds memory; reads already ignore expired entries. */
  protected sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }

  async get(key: string): Promise<string | undefined> {
    return this.live(key)?.value;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.entries.set(key, { value, expiresAt: this.now() + ttlSeconds * 1000 });
  }

  async delete(...keys: string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
  }

  async swap(key: string, expected: string, next: string, ttlSeconds: number): Promise<boolean> {
    if (this.live(key)?.value !== expected) return false;
    await this.set(key, next, ttlSeconds);
    return true;
  }

  async claim(key: string, holder: string, ttlMs: number): Promise<boolean> {
    const current = this.live(key);
    if (current && current.value !== holder) return false;
    this.entries.set(key, { value: holder, expiresAt: this.now() + ttlMs });
    return true;
  }

  async addMember(key: string, member: string, expiresAt: number): Promise<void> {
    let set = this.#sets.get(key);
    if (!set) {
      set = new Map();
      this.#sets.set(key, set);
    }
    set.set(member, expiresAt);
  }

  async members(key: string): Promise<string[]> {
    const set = this.#sets.get(key);
    if (!set) return [];
    const now = this.now();
    for (const [member, expiresAt] of set) if (expiresAt <= now) set.delete(member);
    return [...set].sort((a, b) => a[1] - b[1]).map(([member]) => member);
  }
}
