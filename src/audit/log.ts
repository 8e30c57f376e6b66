import { type FileHandle, mkdir, open, readFile, stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { type ChainHead, chainLine, checkLine, EMPTY_CHAIN } from "./chain.js";
import type { AuditEntry, AuditLog } from "./record.js";

/** RAYTIO_AUDIT_LOG, parsed (src/config.ts): a file, stderr, or off. */
export type AuditSetting =
  | {
      to: "file";
      path: string;
      /** True when no setting chose it (the default file under the user's state directory). */
      byDefault: boolean;
    }
  | { to: "stderr" }
  | { to: "off" };

/** The audit log could not be opened or continued; the message says how to fix it. */
export class AuditLogError extends Error {
  override name = "AuditLogError";
}

/** The fields of a record in the order they are written, chain fields around them (./chain.ts). */
function recordFields(entry: AuditEntry): Record<string, unknown> {
  return {
    time: entry.time,
    user: entry.user,
    client: entry.client,
    tool: entry.tool,
    act: entry.act,
    decrypted: entry.decrypted,
    targets: entry.targets,
    result: entry.result,
    outcome: entry.outcome,
    ...(entry.code === undefined ? {} : { code: entry.code }),
    confirmation: entry.confirmation,
  };
}

export interface OpenedAuditLog {
  log: AuditLog;
  /** One sentence for the start log: where records go and, for a file, where its chain stands. */
  description: string;
}

/**
 * Opens the audit log the setting names. For a file this creates it (mode 0600, in a directory made
 * 0700) or checks that its last line is whole, so a server never starts appending to a chain it cannot
 * continue: that is an error here, at start, rather than a lost record later.
 */
export async function openAuditLog(
  setting: AuditSetting,
  options: { writeStderr?: (text: string) => void } = {},
): Promise<OpenedAuditLog> {
  if (setting.to === "off") {
    return {
      log: { destination: "off", append: async () => undefined },
      description:
        "Audit log: off (RAYTIO_AUDIT_LOG=off): consequential acts and decryptions are not recorded.",
    };
  }
  if (setting.to === "stderr") {
    const log = new StderrAuditLog(options.writeStderr ?? ((text) => process.stderr.write(text)));
    return {
      log,
      description:
        'Audit log: stderr, one line per record starting {"audit":1 (a new chain every start; keep the lines to verify them).',
    };
  }
  const file = setting.path;
  let head: ChainHead;
  let warning = "";
  try {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    head = await withFileLock(file, async () => {
      const handle = await open(file, "a+", 0o600);
      try {
        return await readHead(handle, file);
      } finally {
        await handle.close();
      }
    });
    if (process.platform !== "win32") {
      const mode = (await stat(file)).mode & 0o777;
      if ((mode & 0o077) !== 0)
        warning = ` It is readable by other users (mode ${mode.toString(8)}): run chmod 600 ${file}.`;
    }
  } catch (error) {
    if (error instanceof AuditLogError) throw error;
    const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.name : "error");
    throw new AuditLogError(
      `The audit log ${file} cannot be opened (${reason}). Set RAYTIO_AUDIT_LOG to a writable file, to stderr, or to off.`,
    );
  }
  const chain =
    head.seq === 0
      ? "a new chain"
      : `continuing the chain after record ${head.seq}, whose hash is ${head.hash}`;
  return {
    log: new FileAuditLog(file),
    description: `Audit log: ${file} (${chain}${setting.byDefault ? "; the default, set RAYTIO_AUDIT_LOG to change it" : ""}).${warning}`,
  };
}

/**
 * Appends to a file, one line per record, each line chained to the line before it. Every append reads
 * the file's last line under a lock, so several processes sharing one file (two stdio clients of the
 * same person, replicas on one volume) still write one chain, and a file moved aside (rotated) is
 * followed by a new chain in a new file. Within a process appends run one at a time.
 */
class FileAuditLog implements AuditLog {
  #queue: Promise<void> = Promise.resolve();

  constructor(readonly destination: string) {}

  append(entry: AuditEntry): Promise<void> {
    const run = this.#queue.then(() => this.#write(entry));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #write(entry: AuditEntry): Promise<void> {
    const file = this.destination;
    await withFileLock(file, async () => {
      const handle = await open(file, "a+", 0o600);
      try {
        const { line } = chainLine(await readHead(handle, file), recordFields(entry));
        await handle.write(`${line}\n`);
        // A record that reaches the result but not the disk is worth the few milliseconds an act costs.
        await handle.datasync();
      } finally {
        await handle.close();
      }
    });
  }
}

/** Records as lines on stderr: the chain lives in this process and starts again at each start. */
class StderrAuditLog implements AuditLog {
  readonly destination = "stderr";
  #head = EMPTY_CHAIN;

  constructor(private readonly write: (text: string) => void) {}

  async append(entry: AuditEntry): Promise<void> {
    // Synchronous from chaining to writing, so appends in one process cannot interleave.
    const { line, head } = chainLine(this.#head, recordFields(entry));
    this.#head = head;
    this.write(`${line}\n`);
  }
}

/** Longest line looked for at the end of a file; records are a few hundred bytes. */
const TAIL_BYTES = 64 * 1024;

/** Where the file's chain stands, from its last line, which must be whole and match its own hash. */
async function readHead(handle: FileHandle, file: string): Promise<ChainHead> {
  const { size } = await handle.stat();
  if (size === 0) return EMPTY_CHAIN;
  const length = Math.min(size, TAIL_BYTES);
  const buffer = Buffer.alloc(length);
  await handle.read(buffer, 0, length, size - length);
  const text = buffer.toString("utf8");
  const broken = (why: string) =>
    new AuditLogError(
      `The audit log ${file} ends in a broken line (${why}), so its chain cannot be continued. Check it with --verify-audit ${file}, then move it aside to start a new one.`,
    );
  if (!text.endsWith("\n")) throw broken("it is not terminated, as if the file was cut");
  const lines = text.slice(0, -1).split("\n");
  const last = lines.at(-1) ?? "";
  if (lines.length === 1 && length < size) throw broken("it is longer than any record");
  const checked = checkLine(last);
  if (!checked.ok) throw broken(checked.reason);
  return checked.head;
}

/**
 * How long a lock may be held before another process takes it over. Appending one line takes
 * milliseconds; this only bounds the wait after a process died holding the lock on another host (a
 * shared volume), where its process id cannot be checked.
 */
const STALE_LOCK_MS = 30_000;

/**
 * Runs `work` holding `<file>.lock`, created exclusively (O_EXCL) and removed afterwards. Written here
 * rather than taken from proper-lockfile: that package patches process.emit and process.reallyExit
 * (signal-exit) and refreshes the lock on a timer, all to hold locks for a long time, while this one
 * is held for one append, and a server's shutdown handling is its own.
 */
async function withFileLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  const owner = `${process.pid} ${hostname()}`;
  for (;;) {
    try {
      const handle = await open(lock, "wx", 0o600);
      try {
        await handle.writeFile(owner);
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (!(await removeIfStale(lock))) await delay(5 + Math.floor(Math.random() * 20));
    }
  }
  try {
    return await work();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

/** Removes a lock left by a process that is gone; true when it did (or the lock is already gone). */
async function removeIfStale(lock: string): Promise<boolean> {
  let content: string;
  let age: number;
  try {
    [content, age] = await Promise.all([
      readFile(lock, "utf8"),
      stat(lock).then((info) => Date.now() - info.mtimeMs),
    ]);
  } catch {
    return true;
  }
  const [pid, host] = content.split(" ");
  const holderGone = host === hostname() && pid !== undefined && !isAlive(Number(pid));
  if (!holderGone && age < STALE_LOCK_MS) return false;
  await unlink(lock).catch(() => undefined);
  return true;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
