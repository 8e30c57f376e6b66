import { z } from "zod";
import type { Page } from "../paging.js";
import type { RaytioApiClient } from "../raytio/api-client.js";
import { columnsOf, fetchPage } from "../raytio/pages.js";
import { TABLES, type TableName, tablePath } from "../raytio/paths.js";
import { containsPattern, query } from "../raytio/postgrest.js";
import { ASSIGNMENT_TABLES, type EntityFields, hasEnabled, KIND_SPECS, toApiBody } from "./entities.js";
import { type WrmErrorContext, wrmCall, wrmNotFound, wrmValidation } from "./errors.js";
import {
  type AgentRun,
  artifactReceiptSchema,
  artifactSchema,
  assignmentRowSchema,
  ENTITY_ROWS,
  type EntityRow,
  memoryReceiptRowSchema,
  memoryRowSchema,
  type RunArtifact,
  type RunStep,
  runListRowSchema,
  runRowSchema,
  stepReceiptRowSchema,
  stepRowSchema,
  type WrmEntity,
  workerListRowSchema,
} from "./projection.js";
import {
  type AssignmentKind,
  type ConfigKind,
  type EntityKind,
  type FINISHED_RUN_STATUSES,
  kindLabel,
  type MemoryKind,
  type RunStatus,
  type StepKind,
  toApi,
  type WorkerStatus,
  withArticle,
} from "./types.js";

/**
 * WRM's one door to the backend: tables, column projections, filter encoding, enum case and which
 * constraint a refused write broke. Tools speak in workers, entities, role memories and runs.
 */

/** A role is rarely held by more workers than this; beyond it the filter would be a very long URL. */
const MAX_ROLE_HOLDERS = 500;
/** More assignments than this on one worker would be a configuration problem, not a page to read. */
const MAX_ASSIGNMENTS = 500;

const idRows = z.array(z.object({ worker_id: z.string() }));

export interface PageRequest {
  limit: number;
  cursor: string | undefined;
}

export interface WorkerFilters {
  status?: readonly WorkerStatus[] | undefined;
  text?: string | undefined;
  model_stack_id?: string | undefined;
  role_id?: string | undefined;
}

export interface EntityFilters {
  kind: ConfigKind;
  text?: string | undefined;
  mcp_server_id?: string | undefined;
  enabled?: boolean | undefined;
}

export interface MemoryFilters {
  role_id: string;
  kind?: MemoryKind | undefined;
  text?: string | undefined;
  source_run_id?: string | undefined;
}

export interface RunFilters {
  worker_id?: string | undefined;
  work_item_id?: string | undefined;
  status?: readonly RunStatus[] | undefined;
  started_after?: string | undefined;
  started_before?: string | undefined;
}

type MemoryReceipt = z.output<typeof memoryReceiptRowSchema>;
type StepReceipt = z.output<typeof stepReceiptRowSchema>;
type ArtifactReceipt = z.output<typeof artifactReceiptSchema>;

export class WrmData {
  constructor(
    private readonly api: RaytioApiClient,
    private readonly signal: AbortSignal,
  ) {}

  async listWorkers(
    filters: WorkerFilters,
    page: PageRequest,
  ): Promise<Page<z.output<typeof workerListRowSchema>>> {
    let holders: string[] | undefined;
    if (filters.role_id) {
      const assigned = await this.api.get(tablePath(TABLES.workerAssignment), {
        query: query()
          .select("worker_id")
          .eq("kind", "ROLE")
          .eq("target_id", filters.role_id)
          .order("worker_id")
          .limit(MAX_ROLE_HOLDERS),
        schema: z.array(z.object({ worker_id: z.string() })),
        signal: this.signal,
      });
      holders = assigned.data.map((row) => row.worker_id);
    }
    return fetchPage(this.api, tablePath(TABLES.worker), {
      filters,
      limit: page.limit,
      cursor: page.cursor,
      row: workerListRowSchema,
      signal: this.signal,
      build: ({ offset, limit: rows }) => {
        const q = query().select(columnsOf(workerListRowSchema));
        if (filters.status) q.in("status", filters.status.map(toApi));
        if (filters.model_stack_id) q.eq("model_stack_id", filters.model_stack_id);
        // An empty in-list matches nothing, which is exactly right for a role nobody holds.
        if (holders) q.in("id", holders);
        if (filters.text) {
          const pattern = containsPattern(filters.text);
          q.where({
            op: "or",
            conditions: [
              { column: "name", op: "ilike", pattern },
              { column: "purpose", op: "ilike", pattern },
            ],
          });
        }
        return q.order("name").order("id").offset(offset).limit(rows);
      },
    });
  }

  listEntities(filters: EntityFilters, page: PageRequest): Promise<Page<EntityRow>> {
    const spec = KIND_SPECS[filters.kind];
    const row: z.ZodType<EntityRow> = ENTITY_ROWS[filters.kind].list;
    if (filters.mcp_server_id && filters.kind !== "mcp_tool") {
      throw wrmValidation("mcp_server_id filters only kind mcp_tool.");
    }
    if (filters.enabled !== undefined && !hasEnabled(filters.kind)) {
      throw wrmValidation(
        `enabled filters only kinds mcp_server, mcp_tool and guardrail, not ${filters.kind}.`,
      );
    }
    return fetchPage(this.api, tablePath(spec.table), {
      filters,
      limit: page.limit,
      cursor: page.cursor,
      row,
      signal: this.signal,
      build: ({ offset, limit: rows }) => {
        const q = query().select(columnsOf(row));
        if (filters.mcp_server_id) q.eq("mcp_server_id", filters.mcp_server_id);
        if (filters.enabled !== undefined) q.eq("enabled", filters.enabled);
        if (filters.text) {
          const pattern = containsPattern(filters.text);
          q.where({ op: "or", conditions: spec.search.map((column) => ({ column, op: "ilike", pattern })) });
        }
        return q.order("name").order("id").offset(offset).limit(rows);
      },
    });
  }

  /** One entity in full; a worker comes with its assigned roles, MCP tools and guardrails. */
  async getEntity(kind: EntityKind, id: string): Promise<WrmEntity> {
    const spec = KIND_SPECS[kind];
    const row: z.ZodType<EntityRow> = ENTITY_ROWS[kind].get;
    const [found, assignments] = await Promise.all([
      wrmCall(
        this.api.get(tablePath(spec.table), {
          query: query().select(columnsOf(row)).eq("id", id),
          single: true,
          schema: row,
          signal: this.signal,
        }),
        { subject: `${kindLabel(kind)} ${id}` },
      ),
      kind === "worker"
        ? this.api.get(tablePath(TABLES.workerAssignment), {
            query: query()
              .select(columnsOf(assignmentRowSchema))
              .eq("worker_id", id)
              .order("kind")
              .order("target_name")
              .limit(MAX_ASSIGNMENTS),
            schema: z.array(assignmentRowSchema),
            signal: this.signal,
          })
        : undefined,
    ]);
    const entity: WrmEntity = found.data;
    if (assignments) {
      const of = (which: string) =>
        assignments.data
          .filter((row) => row.kind === which)
          .map((row) => ({ id: row.target_id, name: row.target_name }));
      entity.roles = of("ROLE");
      entity.mcp_tools = of("MCP_TOOL");
      entity.guardrails = of("GUARDRAIL");
    }
    return entity;
  }

  /** Creates the entity (no id) or changes the fields given (id). */
  async saveEntity(id: string | undefined, entity: EntityFields): Promise<EntityRow> {
    const spec = KIND_SPECS[entity.kind];
    const row: z.ZodType<EntityRow> = ENTITY_ROWS[entity.kind].get;
    const body = toApiBody(entity);
    const label = kindLabel(entity.kind);
    const errors: WrmErrorContext = {
      subject: `${label} ${id}`,
      duplicate: `${capitalize(withArticle(label))} named ${JSON.stringify(entity.name ?? "")}`,
      references: {
        model_stack_fk: `model stack ${entity.kind === "worker" ? entity.model_stack_id : ""}`,
        server_fk: `MCP server ${entity.kind === "mcp_tool" ? entity.mcp_server_id : ""}`,
      },
    };
    if (id === undefined) {
      const created = await wrmCall(
        this.api.post(tablePath(spec.table), {
          query: query().select(columnsOf(row)),
          body,
          prefer: ["return=representation"],
          single: true,
          schema: row,
          signal: this.signal,
        }),
        errors,
      );
      return created.data;
    }
    if (Object.keys(body).length === 0) {
      throw wrmValidation(
        `Nothing to update: give at least one field of the ${kindLabel(entity.kind)} besides kind.`,
      );
    }
    const updated = await wrmCall(
      this.api.patch(tablePath(spec.table), {
        query: query().select(columnsOf(row)).eq("id", id),
        body,
        prefer: ["return=representation"],
        single: true,
        schema: row,
        signal: this.signal,
      }),
      errors,
    );
    return updated.data;
  }

  /** Assigns or removes; answers whether anything changed, so repeating a call is harmless. */
  async assign(
    workerId: string,
    kind: AssignmentKind,
    targetId: string,
    assigned: boolean,
  ): Promise<boolean> {
    const link = ASSIGNMENT_TABLES[kind];
    const label = kindLabel(kind);
    if (assigned) {
      const inserted = await wrmCall(
        this.api.post(tablePath(link.table), {
          query: query().select("worker_id"),
          body: { worker_id: workerId, [link.column]: targetId },
          // An existing assignment is left as it is, so repeating the call changes nothing.
          prefer: ["return=representation", "resolution=ignore-duplicates"],
          schema: idRows,
          signal: this.signal,
        }),
        { references: { worker_fk: `worker ${workerId}`, target_fk: `${label} ${targetId}` } },
      );
      return inserted.data.length > 0;
    }
    const removed = await this.api.delete(tablePath(link.table), {
      query: query().select("worker_id").eq("worker_id", workerId).eq(link.column, targetId),
      prefer: ["return=representation"],
      schema: idRows,
      signal: this.signal,
    });
    if (removed.data.length > 0) return true;
    // Nothing to remove: say so only if both ends exist, so a mistyped id is not reported as done.
    await Promise.all([
      this.requireVisible(TABLES.worker, workerId, `worker ${workerId}`),
      this.requireVisible(link.target, targetId, `${label} ${targetId}`),
    ]);
    return false;
  }

  listRoleMemories(
    filters: MemoryFilters,
    page: PageRequest,
  ): Promise<Page<z.output<typeof memoryRowSchema>>> {
    return fetchPage(this.api, tablePath(TABLES.roleMemory), {
      filters,
      limit: page.limit,
      cursor: page.cursor,
      row: memoryRowSchema,
      signal: this.signal,
      build: ({ offset, limit: rows }) => {
        const q = query().select(columnsOf(memoryRowSchema)).eq("role_id", filters.role_id);
        if (filters.kind) q.eq("kind", toApi(filters.kind));
        if (filters.source_run_id) q.eq("source_run_id", filters.source_run_id);
        if (filters.text) q.where({ column: "content", op: "ilike", pattern: containsPattern(filters.text) });
        return q.order("created_at", "desc").order("id").offset(offset).limit(rows);
      },
    });
  }

  async addRoleMemory(memory: {
    role_id: string;
    kind: MemoryKind;
    content: string;
    source_run_id?: string | undefined;
  }): Promise<MemoryReceipt> {
    const response = await wrmCall(
      this.api.post(tablePath(TABLES.roleMemory), {
        query: query().select(columnsOf(memoryReceiptRowSchema)),
        body: {
          role_id: memory.role_id,
          kind: toApi(memory.kind),
          content: memory.content,
          source_run_id: memory.source_run_id ?? null,
        },
        prefer: ["return=representation"],
        single: true,
        schema: memoryReceiptRowSchema,
        signal: this.signal,
      }),
      {
        references: {
          role_fk: `role ${memory.role_id}`,
          run_fk: `agent run ${memory.source_run_id ?? ""}`,
        },
      },
    );
    return response.data;
  }

  listRuns(filters: RunFilters, page: PageRequest): Promise<Page<z.output<typeof runListRowSchema>>> {
    return fetchPage(this.api, tablePath(TABLES.agentRun), {
      filters,
      limit: page.limit,
      cursor: page.cursor,
      row: runListRowSchema,
      signal: this.signal,
      build: ({ offset, limit: rows }) => {
        const q = query().select(columnsOf(runListRowSchema));
        if (filters.worker_id) q.eq("worker_id", filters.worker_id);
        if (filters.work_item_id) q.eq("work_item_id", filters.work_item_id);
        if (filters.status) q.in("status", filters.status.map(toApi));
        if (filters.started_after) q.where({ column: "started_at", op: "gte", value: filters.started_after });
        if (filters.started_before)
          q.where({ column: "started_at", op: "lt", value: filters.started_before });
        return q.order("started_at", "desc").order("id").offset(offset).limit(rows);
      },
    });
  }

  async startRun(run: {
    worker_id: string;
    goal?: string | undefined;
    work_item_id?: string | undefined;
  }): Promise<AgentRun> {
    const response = await wrmCall(
      this.api.post(tablePath(TABLES.agentRun), {
        query: query().select(columnsOf(runRowSchema)),
        body: { worker_id: run.worker_id, goal: run.goal ?? null, work_item_id: run.work_item_id ?? null },
        prefer: ["return=representation"],
        single: true,
        schema: runRowSchema,
        signal: this.signal,
      }),
      {
        references: {
          worker_fk: `worker ${run.worker_id}`,
          work_item_fk: `work item ${run.work_item_id ?? ""}`,
        },
      },
    );
    return response.data;
  }

  async finishRun(
    runId: string,
    outcome: {
      status: (typeof FINISHED_RUN_STATUSES)[number];
      error?: string | undefined;
      cost_usd?: number | undefined;
      input_tokens?: number | undefined;
      output_tokens?: number | undefined;
    },
  ): Promise<AgentRun> {
    const body: Record<string, unknown> = { status: toApi(outcome.status) };
    for (const field of ["error", "cost_usd", "input_tokens", "output_tokens"] as const) {
      if (outcome[field] !== undefined) body[field] = outcome[field];
    }
    const response = await wrmCall(
      this.api.patch(tablePath(TABLES.agentRun), {
        query: query().select(columnsOf(runRowSchema)).eq("id", runId),
        body,
        prefer: ["return=representation"],
        single: true,
        schema: runRowSchema,
        signal: this.signal,
      }),
      { subject: `agent run ${runId}` },
    );
    return response.data;
  }

  async appendStep(step: {
    run_id: string;
    kind: StepKind;
    tool_name?: string | undefined;
    mcp_tool_id?: string | undefined;
    input?: string | undefined;
    output?: string | undefined;
    started_at?: string | undefined;
    ended_at?: string | undefined;
  }): Promise<StepReceipt> {
    const body: Record<string, unknown> = {
      run_id: step.run_id,
      kind: toApi(step.kind),
      tool_name: step.tool_name ?? null,
      mcp_tool_id: step.mcp_tool_id ?? null,
      input: step.input ?? null,
      output: step.output ?? null,
      ended_at: step.ended_at ?? null,
    };
    // Omitted rather than null, so the API's default (now) applies.
    if (step.started_at) body.started_at = step.started_at;
    const response = await wrmCall(
      this.api.post(tablePath(TABLES.runStep), {
        query: query().select(columnsOf(stepReceiptRowSchema)),
        body,
        prefer: ["return=representation"],
        single: true,
        schema: stepReceiptRowSchema,
        signal: this.signal,
      }),
      {
        references: {
          run_fk: `agent run ${step.run_id}`,
          mcp_tool_fk: `MCP tool ${step.mcp_tool_id ?? ""}`,
        },
      },
    );
    return response.data;
  }

  async attachArtifact(artifact: {
    run_id: string;
    name: string;
    media_type: string;
    content?: string | undefined;
    uri?: string | undefined;
    step_seq?: number | undefined;
  }): Promise<ArtifactReceipt> {
    const response = await wrmCall(
      this.api.post(tablePath(TABLES.runArtifact), {
        query: query().select(columnsOf(artifactReceiptSchema)),
        body: {
          run_id: artifact.run_id,
          name: artifact.name,
          media_type: artifact.media_type,
          content: artifact.content ?? null,
          uri: artifact.uri ?? null,
          step_seq: artifact.step_seq ?? null,
        },
        prefer: ["return=representation"],
        single: true,
        schema: artifactReceiptSchema,
        signal: this.signal,
      }),
      {
        references: {
          run_fk: `agent run ${artifact.run_id}`,
          step_fk: `step ${artifact.step_seq ?? ""} of agent run ${artifact.run_id}`,
        },
      },
    );
    return response.data;
  }

  /**
   * A run with one window of its steps and one of its artifacts, by sequence number, each with one
   * extra row beyond its limit so the caller can tell whether more follow.
   */
  async readRun(
    runId: string,
    window: { fromStep: number; stepLimit: number; fromArtifact: number; artifactLimit: number },
  ): Promise<{ run: AgentRun; steps: RunStep[]; artifacts: RunArtifact[] }> {
    const ordered = async <T>(table: TableName, row: z.ZodType<T>, from: number, limit: number) => {
      if (limit === 0) return [];
      const response = await this.api.get(tablePath(table), {
        query: query()
          .select(columnsOf(row))
          .eq("run_id", runId)
          .where({ column: "seq", op: "gte", value: from })
          .order("seq")
          .limit(limit + 1),
        schema: z.array(row),
        signal: this.signal,
      });
      return response.data;
    };
    const [run, steps, artifacts] = await Promise.all([
      wrmCall(
        this.api.get(tablePath(TABLES.agentRun), {
          query: query().select(columnsOf(runRowSchema)).eq("id", runId),
          single: true,
          schema: runRowSchema,
          signal: this.signal,
        }),
        { subject: `agent run ${runId}` },
      ),
      ordered(TABLES.runStep, stepRowSchema, window.fromStep, window.stepLimit),
      ordered(TABLES.runArtifact, artifactSchema, window.fromArtifact, window.artifactLimit),
    ]);
    return { run: run.data, steps, artifacts };
  }

  /** Throws WRM_NOT_FOUND unless this account can see the row. */
  private async requireVisible(table: TableName, id: string, subject: string): Promise<void> {
    const found = await this.api.get(tablePath(table), {
      query: query().select("id").eq("id", id),
      schema: z.array(z.object({ id: z.string() })),
      signal: this.signal,
    });
    if (found.data.length === 0) throw wrmNotFound(subject);
  }
}

function capitalize(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}
