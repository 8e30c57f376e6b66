import { createHash, randomBytes } from "node:crypto";
import type { CallToolResult, Task } from "@modelcontextprotocol/server";
import { z } from "zod";
import { sleep } from "../dsm/poll.js";
import { isRaytioError, RaytioError } from "../errors.js";
import type { Logger } from "../logger.js";
import { telemetry } from "../telemetry.js";
import type { ToolRuntime } from "../tool-runtime.js";
import type { AnyTool, TaskCheck, ToolContext } from "../tools/core/tool.js";
import type { TaskKv } from "./kv.js";

/**
 * MCP tasks for the tools that wait on a person, whatever protocol carries them: the 2025-11-25 task
 * methods (src/tasks/legacy.ts) are a thin layer over this. One TaskService serves one owner (the stdio
 * process, or one person and client over HTTP).
 *
 * - A task belongs to an owner (the person and OAuth client over HTTP, the process over stdio); any
 *   other owner is told it does not exist, and tasks/list shows only the owner's tasks.
 * - State lives in a TaskKv (Redis when replicas share one), so any replica can answer for a task.
 * - One replica at a time watches a task, holding a lease it renews on every poll. If that replica
 *   dies the lease lapses, and the next replica asked about the task by its owner takes the watch over.
 * - Every status change is a compare-and-swap on the stored record, so a task reaches a terminal state
 *   once, whoever races for it; only the winner sends notifications/tasks/status.
 * - Nothing decrypted is stored: the result of a completed task is the tool run again with its
 *   no-wait arguments, which is exactly what a blocking call returns once the wait is over.
 */

export interface TaskHosting {
  kv: TaskKv;
  /** Who the tasks made through this server belong to. Hashed before it is used in a key. */
  owner: string;
  /** The MCP session creating tasks here (HTTP), so notifications reach it wherever it is served. */
  sessionId?: string;
  /** Delivers notifications/tasks/status to the session that created the task. */
  notify?(task: Task, sessionId: string | undefined): Promise<void>;
  /**
   * Tells the owner's subscriptions/listen streams (2026-07-28) that a task finished, wherever they are
   * open; each reads the task again before it writes notifications/tasks.
   */
  changed?(taskId: string): Promise<void>;
  /** Runs a background watch for as long as this server lives. */
  run?(start: (signal: AbortSignal) => Promise<void>): void;
  /**
   * At most `max` unfinished tasks for `person` (hashed before use), however many sessions and clients
   * they use: each unfinished task polls Raytio until it ends, so one person must not start hundreds.
   */
  limit?: { person: string; max: number };
}

/** How long a task is kept when the client names no ttl, and the most it may ask for. */
const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000;
const MAX_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** A task whose wait ends at a known time is kept this long after it, so its outcome can still be read. */
const RETENTION_AFTER_WAIT_MS = 60 * 60 * 1000;
const LIST_PAGE_SIZE = 50;
/** Errors worth another look after a pause; every other error fails the task. */
const TRANSIENT = new Set(["API_UNAVAILABLE"]);

const taskSchema = z.object({
  taskId: z.string(),
  status: z.enum(["working", "input_required", "completed", "failed", "cancelled"]),
  ttl: z.number().nullable(),
  createdAt: z.string(),
  lastUpdatedAt: z.string(),
  pollInterval: z.number().optional(),
  statusMessage: z.string().optional(),
});

const recordSchema = z.object({
  owner: z.string(),
  sessionId: z.string().optional(),
  tool: z.string(),
  /** The tool's arguments: ids only for the tools that run as tasks, never secrets. */
  input: z.record(z.string(), z.unknown()),
  task: taskSchema,
  /** The error result of a failed task (stable code and message, no data). */
  failure: z.object({ text: z.string(), code: z.string().optional() }).optional(),
  /** When the record goes (epoch ms): createdAt + ttl. */
  deleteAt: z.number(),
});
type TaskRecord = z.infer<typeof recordSchema>;

/**
 * A completed task's status message, read by a 2025-11-25 client (which fetches the outcome with
 * tasks/result) and a 2026-07-28 one (which finds it in the task's `result`) alike.
 */
const FINISHED_MESSAGE = "Finished: the outcome is ready.";

const TERMINAL = new Set<Task["status"]>(["completed", "failed", "cancelled"]);
export const isTerminal = (status: Task["status"]) => TERMINAL.has(status);

const taskKey = (id: string) => `mcp:task:${id}`;
const leaseKey = (id: string) => `mcp:task-lease:${id}`;
const hashed = (value: string) => createHash("sha256").update(value).digest("hex");
const ownerKey = (owner: string) => `mcp:tasks:${hashed(owner)}`;
/** A person's unfinished tasks; a task leaves the set when it ends (or expires). */
const unfinishedKey = (person: string) => `mcp:tasks-unfinished:${hashed(person)}`;

export interface TaskServiceOptions {
  hosting: TaskHosting;
  /** The definition of a task-capable tool by name (tool modules may load on first use). */
  tool(name: string): Promise<AnyTool | undefined>;
  /** The context a tool runs with, bound to a signal that ends the work. */
  context(signal: AbortSignal): Promise<ToolContext>;
  /** The choke point, loaded with the tools. */
  runtime(): Promise<Pick<ToolRuntime, "errorResult" | "executeTool">>;
  pollIntervalMs(): number;
  logger(): Logger;
  /** Sends notifications/tasks/status on this server's own connection (stdio). */
  send?(task: Task): Promise<void>;
}

/** A request about a task this owner cannot see: missing, expired or someone else's. */
export class TaskNotFoundError extends Error {
  constructor(readonly taskId: string) {
    super(`Task not found: ${taskId}`);
  }
}

/** tasks/cancel of a task that has already finished. */
export class TaskFinishedError extends Error {
  constructor(readonly status: Task["status"]) {
    super(`Cannot cancel task in terminal status: ${status}`);
  }
}

export class TaskService {
  readonly #options: TaskServiceOptions;
  /** This instance's name on leases: unique per server instance, so a restarted replica is another holder. */
  readonly #holder = randomBytes(12).toString("hex");
  readonly #watching = new Map<string, AbortController>();
  /** Aborted when this server closes; watches started without a host runner stop with it. */
  readonly #lifetime = new AbortController();

  constructor(options: TaskServiceOptions) {
    this.#options = options;
  }

  get #kv(): TaskKv {
    return this.#options.hosting.kv;
  }

  get #owner(): string {
    return this.#options.hosting.owner;
  }

  async #taskTool(name: string): Promise<AnyTool | undefined> {
    const tool = await this.#options.tool(name);
    return tool?.task ? tool : undefined;
  }

  #closing: Promise<void> | undefined;

  /**
   * Stops this server's watches and gives up their leases at once, so that another replica asked about
   * one of these tasks takes it over now rather than when the lease would have lapsed.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const held = [...this.#watching.keys()];
      this.#lifetime.abort();
      for (const controller of this.#watching.values()) controller.abort();
      // A claim by the holder itself that lapses after a millisecond: released, using only claim.
      await Promise.all(held.map((id) => this.#kv.claim(leaseKey(id), this.#holder, 1).catch(() => false)));
      if (held.length > 0) this.#options.logger().info("Released task leases", { tasks: held.length });
    })();
    return this.#closing;
  }

  /** Refuses a new task when its person already has as many unfinished tasks as they may. */
  async #checkLimit(): Promise<void> {
    const limit = this.#options.hosting.limit;
    if (!limit) return;
    const key = unfinishedKey(limit.person);
    const ids = await this.#kv.members(key);
    if (ids.length < limit.max) return;
    // The set can hold tasks that ended on a replica that died before it could say so: check each.
    let unfinished = 0;
    for (const id of ids) {
      const text = await this.#kv.get(taskKey(id));
      const status =
        text === undefined ? undefined : recordSchema.safeParse(JSON.parse(text)).data?.task.status;
      if (status !== undefined && !isTerminal(status)) unfinished += 1;
      else await this.#kv.addMember(key, id, 0);
    }
    if (unfinished >= limit.max) {
      telemetry().rateLimited("tasks_per_person");
      throw new RaytioError(
        "LIMIT_REACHED",
        `You already have ${unfinished} unfinished tasks, the most one person may have (MCP_MAX_TASKS_PER_PERSON). Wait for one to finish, or cancel one with tasks/cancel, then try again.`,
        { details: { unfinished, max: limit.max } },
      );
    }
  }

  /**
   * Starts a task for a task-augmented call: one check at once (so a request already answered, expired
   * or unknown settles before the client first polls, and the ttl can be capped by the request's own
   * expiry), then a background watch. `input` has been validated against the tool's schema.
   */
  async start(
    tool: AnyTool,
    input: Record<string, unknown>,
    requestedTtl: number | undefined,
    signal: AbortSignal,
  ): Promise<Task> {
    await this.#checkLimit();
    const first = await this.#check(tool, input, signal);
    const now = Date.now();
    const requested = requestedTtl ?? DEFAULT_TTL_MS;
    const cap =
      "expiresAt" in first && first.expiresAt !== undefined
        ? Math.max(0, first.expiresAt - now) + RETENTION_AFTER_WAIT_MS
        : MAX_TTL_MS;
    const ttl = Math.max(1_000, Math.min(requested, MAX_TTL_MS, cap));
    const createdAt = new Date(now).toISOString();
    const record: TaskRecord = {
      owner: this.#owner,
      ...(this.#options.hosting.sessionId ? { sessionId: this.#options.hosting.sessionId } : {}),
      tool: tool.name,
      input,
      task: {
        taskId: randomBytes(16).toString("hex"),
        status: "working",
        ttl,
        createdAt,
        lastUpdatedAt: createdAt,
        pollInterval: this.#options.pollIntervalMs(),
        statusMessage: "statusMessage" in first ? first.statusMessage : "Checking…",
      },
      deleteAt: now + ttl,
    };
    const id = record.task.taskId;
    await this.#kv.set(taskKey(id), JSON.stringify(record), ttl / 1000);
    await this.#kv.addMember(ownerKey(this.#owner), id, record.deleteAt);
    const limit = this.#options.hosting.limit;
    if (limit) await this.#kv.addMember(unfinishedKey(limit.person), id, record.deleteAt);
    telemetry().taskEntered("working");

    if ("error" in first) return (await this.#fail(id, first.error)) ?? record.task;
    if (first.done) return (await this.#settle(id, { status: "completed" })) ?? record.task;
    await this.#kv.claim(leaseKey(id), this.#holder, this.#leaseMs());
    this.#startWatch(record);
    return record.task;
  }

  /** The task as it stands; a working task nobody watches any more is taken over here. */
  async get(taskId: string): Promise<Task> {
    return (await this.snapshot(taskId)).task;
  }

  /** The task as it stands, with the stable code and message of a failed one. */
  async snapshot(taskId: string): Promise<{ task: Task; failure?: { text: string; code?: string } }> {
    const record = await this.#read(taskId);
    if (!record) throw new TaskNotFoundError(taskId);
    await this.#ensureWatched(record);
    return record.failure ? { task: record.task, failure: record.failure } : { task: record.task };
  }

  /** Resolves once the task has finished (or the signal ends the wait), polling at its interval. */
  async settled(taskId: string, signal: AbortSignal): Promise<Task> {
    for (;;) {
      const task = await this.get(taskId);
      if (isTerminal(task.status)) return task;
      await sleep(task.pollInterval ?? this.#options.pollIntervalMs(), signal);
    }
  }

  /**
   * The outcome of a finished task: for a completed one, exactly what the blocking call returns now that
   * the wait is over (the tool runs again, so nothing decrypted was ever stored).
   */
  async result(taskId: string): Promise<CallToolResult> {
    const record = await this.#read(taskId);
    if (!record) throw new TaskNotFoundError(taskId);
    const { status } = record.task;
    if (status === "failed")
      return { isError: true, content: [{ type: "text", text: record.failure?.text ?? "" }] };
    const { errorResult, executeTool } = await this.#options.runtime();
    if (status === "cancelled") {
      return errorResult(
        new RaytioError(
          "CANCELLED",
          `Task ${taskId} was cancelled with tasks/cancel before it finished. Call ${record.tool} again to keep waiting.`,
        ),
      );
    }
    if (status !== "completed") throw new Error(`Task ${taskId} has not finished`);
    const tool = await this.#taskTool(record.tool);
    if (!tool?.task) throw new Error(`Task ${taskId} belongs to a tool this server no longer offers`);
    const parsed = tool.inputSchema.parse(record.input);
    return executeTool(
      tool,
      tool.task.resultInput(parsed),
      await this.#options.context(this.#lifetime.signal),
    );
  }

  /** Stops the watch of a task that has not finished. */
  async cancel(taskId: string): Promise<Task> {
    const record = await this.#read(taskId);
    if (!record) throw new TaskNotFoundError(taskId);
    if (isTerminal(record.task.status)) throw new TaskFinishedError(record.task.status);
    const cancelled = await this.#settle(taskId, {
      status: "cancelled",
      statusMessage: "Client cancelled task execution.",
    });
    if (cancelled) return cancelled;
    // It finished in the meantime: say how.
    const now = await this.#read(taskId);
    if (!now) throw new TaskNotFoundError(taskId);
    throw new TaskFinishedError(now.task.status);
  }

  async list(cursor?: string): Promise<{ tasks: Task[]; nextCursor?: string }> {
    const ids = await this.#kv.members(ownerKey(this.#owner));
    const start = cursor === undefined ? 0 : Number.parseInt(cursor, 10);
    if (!Number.isSafeInteger(start) || start < 0 || start > ids.length) throw new Error("Invalid cursor");
    const page = ids.slice(start, start + LIST_PAGE_SIZE);
    const records = await Promise.all(page.map((id) => this.#read(id)));
    const tasks = records.filter((record) => record !== undefined).map((record) => record.task);
    const next = start + LIST_PAGE_SIZE;
    return next < ids.length ? { tasks, nextCursor: String(next) } : { tasks };
  }

  /** The owner's record, or undefined for a missing task and for anyone else's. */
  async #read(taskId: string): Promise<TaskRecord | undefined> {
    if (!/^[0-9a-f]{32}$/.test(taskId)) return undefined;
    const text = await this.#kv.get(taskKey(taskId));
    if (text === undefined) return undefined;
    const parsed = recordSchema.safeParse(JSON.parse(text));
    if (!parsed.success || parsed.data.owner !== this.#owner) return undefined;
    return parsed.data;
  }

  /**
   * Moves a task on from a non-terminal state, as one compare-and-swap: undefined when it is gone or
   * already finished (someone else settled it first). The winner of a terminal move notifies.
   */
  async #settle(
    taskId: string,
    change: {
      status: Task["status"];
      statusMessage?: string;
      failure?: { text: string; code: string };
    },
  ): Promise<Task | undefined> {
    for (;;) {
      const text = await this.#kv.get(taskKey(taskId));
      if (text === undefined) return undefined;
      const record = recordSchema.parse(JSON.parse(text));
      if (record.owner !== this.#owner || isTerminal(record.task.status)) return undefined;
      const next: TaskRecord = {
        ...record,
        task: {
          ...record.task,
          status: change.status,
          lastUpdatedAt: new Date().toISOString(),
          ...(change.statusMessage !== undefined ? { statusMessage: change.statusMessage } : {}),
        },
        ...(change.failure ? { failure: change.failure } : {}),
      };
      if (change.status === "completed" && change.statusMessage === undefined)
        next.task.statusMessage = FINISHED_MESSAGE;
      const ttlSeconds = Math.max(1, (record.deleteAt - Date.now()) / 1000);
      if (!(await this.#kv.swap(taskKey(taskId), text, JSON.stringify(next), ttlSeconds))) continue;
      if (isTerminal(change.status)) {
        this.#options.logger().info("Task finished", { task: taskId, status: change.status });
        telemetry().taskEntered(change.status);
        const limit = this.#options.hosting.limit;
        if (limit) await this.#kv.addMember(unfinishedKey(limit.person), taskId, 0).catch(() => undefined);
        this.#watching.get(taskId)?.abort();
        await this.#notify(next);
      }
      return next.task;
    }
  }

  async #fail(taskId: string, error: RaytioError): Promise<Task | undefined> {
    const { errorResult } = await this.#options.runtime();
    const text = errorResult(error)
      .content.map((item) => (item.type === "text" ? item.text : ""))
      .join("\n");
    return this.#settle(taskId, {
      status: "failed",
      statusMessage: `${error.code}: ${error.message}`,
      failure: { text, code: error.code },
    });
  }

  async #notify(record: TaskRecord): Promise<void> {
    const { notify, changed } = this.#options.hosting;
    try {
      if (notify) await notify(record.task, record.sessionId);
      else await this.#options.send?.(record.task);
    } catch {
      // A client that is gone cannot be told; tasks/get still answers.
    }
    await changed?.(record.task.taskId).catch(() => undefined);
  }

  async #check(
    tool: AnyTool,
    input: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<TaskCheck | { error: RaytioError }> {
    try {
      const task = tool.task;
      if (!task) throw new RaytioError("INTERNAL_ERROR", `${tool.name} cannot run as a task.`);
      return await task.check(tool.inputSchema.parse(input), await this.#options.context(signal));
    } catch (error) {
      if (isRaytioError(error)) return { error };
      this.#options.logger().error("Unexpected task check failure", {
        tool: tool.name,
        error: error instanceof Error ? error.name : typeof error,
      });
      return {
        error: new RaytioError(
          "INTERNAL_ERROR",
          `${tool.name} failed unexpectedly. The server log has details.`,
        ),
      };
    }
  }

  #leaseMs(): number {
    return Math.max(3_000, this.#options.pollIntervalMs() * 5);
  }

  /** Takes over the watch of a working task nobody holds (its replica died or closed the session). */
  async #ensureWatched(record: TaskRecord): Promise<void> {
    const id = record.task.taskId;
    if (isTerminal(record.task.status) || this.#watching.has(id)) return;
    if (!(await this.#taskTool(record.tool))) return;
    if (!(await this.#kv.claim(leaseKey(id), this.#holder, this.#leaseMs()))) return;
    this.#options.logger().info("Resumed watching a task", { task: id, tool: record.tool });
    this.#startWatch(record);
  }

  #startWatch(record: TaskRecord): void {
    const id = record.task.taskId;
    if (this.#watching.has(id)) return;
    const controller = new AbortController();
    this.#watching.set(id, controller);
    const stop = () => controller.abort();
    const run = (signal: AbortSignal) => {
      signal.addEventListener("abort", stop, { once: true });
      return this.#watch(record, controller.signal).finally(() => {
        signal.removeEventListener("abort", stop);
        this.#watching.delete(id);
      });
    };
    const host = this.#options.hosting.run;
    if (host) host(run);
    else void run(this.#lifetime.signal);
  }

  async #watch(record: TaskRecord, signal: AbortSignal): Promise<void> {
    const id = record.task.taskId;
    const tool = await this.#taskTool(record.tool);
    if (!tool) return;
    const interval = this.#options.pollIntervalMs();
    let failures = 0;
    let message = record.task.statusMessage;
    while (!signal.aborted) {
      try {
        if (!(await this.#kv.claim(leaseKey(id), this.#holder, this.#leaseMs()))) return;
        await sleep(interval * Math.min(2 ** failures, 16), signal);
        const current = await this.#read(id);
        if (!current || isTerminal(current.task.status)) return;
      } catch {
        // Aborted, or the store is unreachable for now: the lease lapses and the watch resumes later.
        return;
      }
      const state = await this.#check(tool, record.input, signal);
      if (signal.aborted) return;
      if ("error" in state) {
        if (TRANSIENT.has(state.error.code)) {
          failures += 1;
          continue;
        }
        await this.#fail(id, state.error).catch(() => undefined);
        return;
      }
      failures = 0;
      if (state.done) {
        await this.#settle(id, { status: "completed" }).catch(() => undefined);
        return;
      }
      if (state.statusMessage !== message) {
        message = state.statusMessage;
        await this.#settle(id, { status: "working", statusMessage: message }).catch(() => undefined);
      }
    }
  }
}
