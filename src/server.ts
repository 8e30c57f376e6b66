import { randomBytes } from "node:crypto";
import {
  type CacheHint,
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  createRequestStateCodec,
  type InputRequiredResult,
  LOG_LEVEL_META_KEY,
  type LoggingLevel,
  McpServer,
  type McpServerFactory,
  ProtocolError,
  ProtocolErrorCode,
  type RequestStateCodec,
  type ServerContext,
  type Tool,
} from "@modelcontextprotocol/server";
import { PROMPTS } from "./catalogue/prompts.js";
import { registerRequestResources, requestCodeOf } from "./catalogue/requests.js";
import { registerSchemaResources } from "./catalogue/resources.js";
import { RaytioError } from "./errors.js";
import { isLevelShown } from "./logging-levels.js";
import type { ListenPolicy } from "./subscriptions/listen.js";
import {
  callAsTask,
  detailedTask,
  registerTaskExtension,
  TASKS_EXTENSION,
  type TaskExtensionRouting,
} from "./tasks/extension.js";
import { registerLegacyTasks } from "./tasks/legacy.js";
import type { TaskService } from "./tasks/service.js";
import type { ToolRuntime, ToolServices } from "./tool-runtime.js";
import type { CatalogueTool, ToolCatalogue } from "./tools/catalogue.js";
import { type ConfirmState, supportsFormElicitation } from "./tools/core/confirmation.js";
import type { AnyTool, ToolContext } from "./tools/core/tool.js";
import { exposedEntries } from "./tools/core/tool-list.js";
import { PACKAGE_NAME, VERSION } from "./version.js";

export type ServerServices = ToolServices;

const INSTRUCTIONS =
  "Tools for the Raytio platform. Errors start with a stable code (e.g. PPM_NOT_FOUND, API_ERROR) followed by what to do next. List tools return next_cursor: pass it back as cursor for the next page.";

/**
 * 2026-07-28 list results say how long a client may reuse them. The lists are fixed for the life of a
 * process (stdio) or of a person's sign-in (HTTP), and depend on who signed in, hence private.
 */
const LIST_CACHE: CacheHint = { ttlMs: 5 * 60 * 1000, cacheScope: "private" };

function validArguments(parse: () => unknown): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: parse() };
  } catch {
    return { ok: false };
  }
}

/** Loaded on the first tool call: the tool definitions, the choke point and the domain modules. */
let runtime: Promise<ToolRuntime> | undefined;
export function loadToolRuntime(): Promise<ToolRuntime> {
  runtime ??= import("./tool-runtime.js");
  return runtime;
}

export interface RaytioSurfaceOptions {
  catalogue: ToolCatalogue;
  /** A function so a surface can be built without configuration; called only when a tool runs. */
  services: () => ServerServices | Promise<ServerServices>;
  /** Replaces the registry's definitions (tests), or wraps each as it loads (HTTP follow-ups). */
  tools?: readonly AnyTool[];
  wrapTool?: (tool: AnyTool) => AnyTool;
  /** 2025-11-25 tasks for this principal; none without it. */
  tasks?: (surface: RaytioSurface) => TaskService;
  /**
   * Seals the state a confirmation round trips through the client. Every replica that may receive the
   * answer needs the same key (HTTP shares one through the store); a process serving alone makes its own.
   */
  requestStateKey?: Uint8Array;
  /** Who this surface serves, bound into sealed state so one person's answer never serves another. */
  principal?: string;
  /** Told each time a client is sent the tool list (the stdio log says so, at debug). */
  onListed?: (count: number, era: "legacy" | "modern") => void;
}

/**
 * Everything one principal (the stdio process, or one person over HTTP) is served, shared by every
 * MCP server instance built for them: the SDK builds an instance per stdio connection, and per request
 * (2026-07-28) or per session (2025 era) over HTTP. Instances are cheap; the state lives here.
 */
export class RaytioSurface {
  readonly catalogue: ToolCatalogue;
  readonly #options: RaytioSurfaceOptions;
  #definitions: Promise<ReadonlyMap<string, AnyTool>> | undefined;
  #hidden: ReadonlySet<string> = new Set();
  #whyHidden: (tool: CatalogueTool) => string = () => "";
  #listed: Tool[] | undefined;
  #exposed = false;
  #awaitingExposure: Array<() => void> = [];
  #notice: string | undefined;
  /**
   * This principal's tasks: the 2025-11-25 task methods for instances of that era, the 2026-07-28 tasks
   * extension for the others, over the same records.
   */
  readonly tasks: TaskService | undefined;

  readonly #stateCodec: RequestStateCodec<ConfirmState>;

  constructor(options: RaytioSurfaceOptions) {
    this.catalogue = options.catalogue;
    this.#options = options;
    this.tasks = options.tasks?.(this);
    const principal = options.principal ?? "stdio";
    this.#stateCodec = createRequestStateCodec<ConfirmState>({
      key: options.requestStateKey ?? randomBytes(32),
      // A person may take a while to answer; a question older than this is asked again.
      ttlSeconds: 15 * 60,
      bind: (ctx) => `${ctx.mcpReq.method}\0${principal}`,
    });
  }

  get hiddenTools(): ReadonlySet<string> {
    return this.#hidden;
  }

  /**
   * Shows exactly these tools. Called once, before the tool list is first served. `whyHidden` says
   * which setting would expose a tool that is left out; a call to it answers TOOL_NOT_EXPOSED with it.
   */
  expose(names: ReadonlySet<string>, whyHidden?: (tool: CatalogueTool) => string): void {
    this.#hidden = new Set(this.catalogue.filter((tool) => !names.has(tool.name)).map((tool) => tool.name));
    if (whyHidden) this.#whyHidden = whyHidden;
    this.#listed = undefined;
    this.#exposed = true;
    for (const follow of this.#awaitingExposure.splice(0)) follow();
  }

  exposes(name: string): boolean {
    return !this.#hidden.has(name) && this.catalogue.some((tool) => tool.name === name);
  }

  /** Whether the data requests are resources here: only with the tools that send and list them. */
  #requestsExposed(): boolean {
    return this.exposes("send_request") || this.exposes("list_requests");
  }

  /**
   * What a 2026-07-28 subscriptions/listen stream of this principal may honor (src/subscriptions/):
   * the list changes its capabilities declare, updates of its data requests, and notifications/tasks
   * for its tasks (the tasks extension), each the task as tasks/get gives it when the notice is written.
   */
  listenPolicy(): ListenPolicy {
    const tasks = this.tasks;
    return {
      // As newServer declares them: the lists follow the domains, fixed for the principal's life.
      listChanged: { tools: true, prompts: true, resources: true },
      honorsResource: (uri) => requestCodeOf(uri) !== undefined && this.#requestsExposed(),
      ...(tasks
        ? {
            // A task this principal cannot see (gone, or someone else's id) is not written at all.
            taskNotice: (taskId: string) => detailedTask(tasks, taskId).catch(() => undefined),
          }
        : {}),
      serverInfo: { name: PACKAGE_NAME, title: "Raytio", version: VERSION },
    };
  }

  /** The exposed tools' entries in registry order, each without pointers to hidden tools. */
  listedTools(): Tool[] {
    this.#listed ??= exposedEntries(
      this.catalogue.map((tool) => tool.entry),
      this.#hidden,
    );
    return this.#listed;
  }

  /**
   * Something the person should know that no request asked about (a sign-in that failed at start).
   * A 2026-07-28 client hears it on its next tool call, at the log level that request asks for;
   * 2025-era connections get it as a logging message at once (src/main.ts).
   */
  noticeForNextCall(message: string): void {
    this.#notice = message;
  }

  /** Every tool definition by name, loading the tool modules on first use. */
  definitions(): Promise<ReadonlyMap<string, AnyTool>> {
    this.#definitions ??= (async () => {
      const tools = this.#options.tools ?? (await loadToolRuntime()).TOOLS;
      const wrap = this.#options.wrapTool ?? ((tool: AnyTool) => tool);
      return new Map(tools.map((tool) => [tool.name, wrap(tool)]));
    })();
    return this.#definitions;
  }

  async definition(name: string): Promise<AnyTool | undefined> {
    return (await this.definitions()).get(name);
  }

  /** The context a tool runs with, bound to a signal that ends the work. */
  async contextFor(
    signal: AbortSignal,
    progress: ToolContext["progress"] = async () => undefined,
  ): Promise<ToolContext> {
    const { toolContext } = await loadToolRuntime();
    return toolContext(await this.#options.services(), { signal, hiddenTools: this.#hidden, progress });
  }

  async callTool(
    name: string,
    args: unknown,
    ctx: ServerContext,
    /** Whether the client can show a form, for tools that ask the person first. */
    canAsk: () => boolean = () => false,
  ): Promise<CallToolResult | InputRequiredResult> {
    const known = this.catalogue.find((tool) => tool.name === name);
    // As the SDK's own tools/call answers an unknown name.
    if (!known) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Tool ${name} not found`);
    const {
      confirmationStep,
      errorResult,
      executeTool,
      failedResult,
      parseArguments,
      recordCall,
      toRaytioError,
    } = await loadToolRuntime();
    if (this.#hidden.has(name)) {
      return errorResult(
        new RaytioError(
          "TOOL_NOT_EXPOSED",
          `${name} exists but this server does not expose it: ${this.#whyHidden(known)}`,
          { details: { tool: name, domain: known.domain } },
        ),
      );
    }
    const notice = this.#notice;
    // Only a 2026-07-28 request that asked for errors hears it; the notice waits for one that does.
    const threshold = (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[LOG_LEVEL_META_KEY];
    if (notice !== undefined && typeof threshold === "string") {
      if (isLevelShown("error", threshold as LoggingLevel)) {
        this.#notice = undefined;
        await ctx.mcpReq.log("error", notice, "raytio").catch(() => undefined);
      }
    }
    const tool = await this.definition(name);
    if (!tool) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Tool ${name} not found`);
    const progressToken = ctx.mcpReq._meta?.progressToken;
    const context = await this.contextFor(ctx.mcpReq.signal, async (progress, total, message) => {
      if (progressToken === undefined) return;
      await ctx.mcpReq.notify({
        method: "notifications/progress",
        params: {
          progressToken,
          progress,
          ...(total === undefined ? {} : { total }),
          ...(message ? { message } : {}),
        },
      });
    });
    if (tool.confirmation) {
      // Arguments the tool would refuse are refused by executeTool below, before anyone is asked.
      const valid = validArguments(() => parseArguments(tool, args, this.#hidden));
      if (valid.ok) {
        let step: Awaited<ReturnType<typeof confirmationStep>>;
        try {
          step = await confirmationStep(tool, valid.value, context, {
            policy: context.config.confirm,
            canAsk: canAsk(),
            responses: ctx.mcpReq.inputResponses,
            state: ctx.mcpReq.requestState<ConfirmState>(),
            mint: (state) => this.#stateCodec.mint(state, ctx),
          });
        } catch (error) {
          // Describing the act failed (e.g. the form is not there): a failed act, said and recorded as a
          // call that failed while acting would be.
          const failure = toRaytioError(error, tool.name, context.logger);
          await recordCall(tool, context, { args: valid.value, failure });
          return failedResult(tool, failure, context);
        }
        context.audit.confirmed(step.outcome);
        if (step.kind === "answer") {
          // A refusal is an act that did not happen, and on record as such; a question is not an act.
          if (step.refusal) await recordCall(tool, context, { args: valid.value, failure: step.refusal });
          return step.result;
        }
      }
    }
    return executeTool(tool, args, context);
  }

  /**
   * An MCP server instance for one connection (stdio), session (2025-era HTTP) or request (2026-07-28
   * HTTP). The SDK answers server/discover and initialize from what is declared here.
   */
  newServer(era: "legacy" | "modern"): McpServer {
    const tasks = this.tasks;
    const server = new McpServer(
      { name: PACKAGE_NAME, title: "Raytio", version: VERSION },
      {
        capabilities: {
          tools: { listChanged: true },
          // 2026-07-28: a data request's updates reach a subscriptions/listen stream (src/subscriptions/);
          // the 2025 era's resources/subscribe is not offered.
          resources: { listChanged: true, ...(era === "modern" ? { subscribe: true } : {}) },
          prompts: { listChanged: true },
          // 2025 era: lets the server tell the person why calls will fail (e.g. a sign-in that failed at
          // start). 2026-07-28: messages within a request, at the level the request asks for.
          logging: {},
          // 2025-11-25 tasks are a capability of their own; 2026-07-28 moved them into an extension.
          ...(tasks && era === "legacy"
            ? { tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } }
            : {}),
          ...(tasks && era === "modern" ? { extensions: { [TASKS_EXTENSION]: {} } } : {}),
        },
        instructions: INSTRUCTIONS,
        requestState: { verify: (state, ctx) => this.#stateCodec.verify(state, ctx) },
        cacheHints: {
          "tools/list": LIST_CACHE,
          "prompts/list": LIST_CACHE,
          "resources/list": LIST_CACHE,
          "resources/templates/list": LIST_CACHE,
        },
      },
    );
    server.server.setRequestHandler("tools/list", () => {
      const tools = this.listedTools();
      this.#options.onListed?.(tools.length, era);
      return { tools };
    });
    const extension = tasks && era === "modern" ? this.#taskExtensionRouting(tasks) : undefined;
    server.server.setRequestHandler("tools/call", async (request, ctx) => {
      const args = request.params.arguments ?? {};
      if (extension) {
        const task = await callAsTask(extension, request.params.name, args, ctx);
        // A CreateTaskResult is not a CallToolResult; the SDK passes it on as the handler gives it.
        if (task) return task as CallToolResult;
      }
      return this.callTool(request.params.name, args, ctx, () => {
        const declared = (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[
          CLIENT_CAPABILITIES_META_KEY
        ] as ClientCapabilities | undefined;
        return supportsFormElicitation(declared ?? server.server.getClientCapabilities());
      });
    });
    if (tasks && era === "modern") registerTaskExtension(server, tasks);
    if (tasks && era === "legacy") {
      registerLegacyTasks(server, {
        tasks,
        tool: (name) => this.definition(name),
        hiddenTools: () => this.#hidden,
        validate: async (tool, args) => (await loadToolRuntime()).parseArguments(tool, args, this.#hidden),
        callWithoutTask: (name, args, ctx) => this.callTool(name, args, ctx),
      });
    }

    // Resources and prompts follow the tools: each is offered only when the tools it serves are exposed.
    const schemaResources = registerSchemaResources(server);
    const requestResources = registerRequestResources(server, {
      api: async () => (await this.#options.services()).api,
      hiddenTools: () => this.#hidden,
    });
    // The SDK lists every registered template, enabled or not; a principal is shown those it can read.
    const templates = [
      { name: "raytio-schemas", handle: schemaResources },
      { name: "raytio-requests", handle: requestResources },
    ];
    server.server.setRequestHandler("resources/templates/list", () => ({
      resourceTemplates: templates
        .filter(({ handle }) => handle.enabled)
        .map(({ name, handle }) => ({
          name,
          uriTemplate: handle.resourceTemplate.uriTemplate.toString(),
          ...handle.metadata,
        })),
    }));
    const prompts = PROMPTS.map((prompt) => ({ prompt, handle: prompt.register(server) }));
    const follow = () => {
      schemaResources.enabled = this.exposes("list_schemas");
      requestResources.enabled = this.#requestsExposed();
      for (const { prompt, handle } of prompts)
        handle.enabled = prompt.requiredTools.every((tool) => this.exposes(tool));
    };
    follow();
    // A stdio connection opens before the account's roles are known; its lists are held until then.
    if (!this.#exposed) this.#awaitingExposure.push(follow);
    return server;
  }

  #taskExtensionRouting(tasks: TaskService): TaskExtensionRouting {
    return {
      tasks,
      tool: (name) => this.definition(name),
      hiddenTools: () => this.#hidden,
      validate: async (tool, args) => (await loadToolRuntime()).parseArguments(tool, args, this.#hidden),
      refusal: async (error) => (await loadToolRuntime()).errorResult(error),
    };
  }

  /** For serveStdio and createMcpHandler: one factory serves both eras. */
  factory(): McpServerFactory {
    return ({ era }) => this.newServer(era);
  }
}
