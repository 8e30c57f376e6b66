import { z } from "zod";
import { RaytioError } from "../errors.js";
import type { Page } from "../paging.js";
import type { ApiResponse, RaytioApiClient } from "../raytio/api-client.js";
import { columnsOf, fetchPage } from "../raytio/pages.js";
import { RPCS, rpcPath, TABLES, tablePath } from "../raytio/paths.js";
import { query } from "../raytio/postgrest.js";
import { buildPostgrestQuery, type WorkItemFilters } from "./filters.js";
import {
  type Activity,
  activityRowSchema,
  type WorkItem,
  workItemRowSchema,
  workItemStatusRowSchema,
} from "./projection.js";
import {
  type ActivityKind,
  statusToBackend,
  type WORK_ITEM_PRIORITIES,
  type WORK_ITEM_TYPES,
  type WorkItemStatus,
} from "./status.js";
import { movedMeanwhile, planTransition, type TransitionIntent } from "./transitions.js";

/**
 * PPM's one door to the backend: every path, column, filter encoding, RPC argument and enum case the
 * work-item tools depend on is here, and tools speak only in work items, activities and intents.
 * Single rows are read as arrays rather than with PostgREST's single-object mode, so "no row" is an
 * ordinary answer this module turns into PPM_NOT_FOUND instead of a generic 406.
 */

const WORK_ITEM_COLUMNS = columnsOf(workItemRowSchema);
const ACTIVITY_COLUMNS = columnsOf(activityRowSchema);

/** Row-level security makes "no such id" and "another customer's id" look the same, on purpose. */
export function workItemNotFound(id: string): RaytioError {
  return new RaytioError(
    "PPM_NOT_FOUND",
    `Work item ${id} was not found: no work item has this id, or row-level security hides it from this account (for example, it belongs to another customer). Check the id with list_work_items.`,
    { details: { id } },
  );
}

export const linkRowSchema = z.object({ id: z.string(), parent_id: z.string().nullable() });
type LinkRow = z.infer<typeof linkRowSchema>;

/** Parent chains deeper than this are refused rather than walked further (real hierarchies are 2-4). */
export const MAX_PARENT_DEPTH = 20;

type Priority = (typeof WORK_ITEM_PRIORITIES)[number];
type ItemType = (typeof WORK_ITEM_TYPES)[number];

export interface NewWorkItem {
  title: string;
  description?: string | undefined;
  priority: Priority;
  type: ItemType;
  parent_id?: string | undefined;
  assignee_party_id?: string | undefined;
  due_date?: string | undefined;
  tags?: string[] | undefined;
}

export interface WorkItemChanges {
  title?: string | undefined;
  description?: string | null | undefined;
  priority?: Priority | undefined;
  type?: ItemType | undefined;
  parent_id?: string | null | undefined;
  assignee_party_id?: string | null | undefined;
  due_date?: string | null | undefined;
  tags?: string[] | undefined;
}

export interface ActivityFilters {
  work_item_id: string;
  kind?: readonly ActivityKind[] | undefined;
  since?: string | undefined;
}

export interface PageRequest {
  limit: number;
  cursor: string | undefined;
}

export class PpmData {
  constructor(
    private readonly api: RaytioApiClient,
    private readonly signal: AbortSignal,
  ) {}

  async getWorkItem(id: string): Promise<WorkItem> {
    const response = await this.api.get(tablePath(TABLES.workItem), {
      query: query().select(WORK_ITEM_COLUMNS).eq("id", id),
      schema: z.array(workItemRowSchema),
      signal: this.signal,
    });
    const item = response.data[0];
    if (!item) throw workItemNotFound(id);
    return item;
  }

  /** The item's current status, reading nothing else; doubles as the existence check before a write. */
  async getStatus(id: string): Promise<WorkItemStatus> {
    const response = await this.api.get(tablePath(TABLES.workItem), {
      query: query().select(columnsOf(workItemStatusRowSchema)).eq("id", id),
      schema: z.array(workItemStatusRowSchema),
      signal: this.signal,
    });
    const row = response.data[0];
    if (!row) throw workItemNotFound(id);
    return row.status;
  }

  listWorkItems(filters: WorkItemFilters, page: PageRequest): Promise<Page<WorkItem>> {
    return fetchPage(this.api, tablePath(TABLES.workItem), {
      filters,
      limit: page.limit,
      cursor: page.cursor,
      row: workItemRowSchema,
      signal: this.signal,
      build: (range) => buildPostgrestQuery(filters, range),
    });
  }

  async createWorkItem(item: NewWorkItem): Promise<WorkItem> {
    await this.checkReferences(item);
    const response = await this.api.post(tablePath(TABLES.workItem), {
      query: query().select(WORK_ITEM_COLUMNS),
      body: {
        title: item.title,
        description: item.description ?? null,
        priority: item.priority.toUpperCase(),
        type: item.type.toUpperCase(),
        parent_id: item.parent_id ?? null,
        assignee_party_id: item.assignee_party_id ?? null,
        due_date: item.due_date ?? null,
        tags: item.tags ?? [],
      },
      prefer: ["return=representation"],
      single: true,
      schema: workItemRowSchema,
      signal: this.signal,
    });
    return response.data;
  }

  /** Changes only the fields given; the status is not among them (see transition). */
  async updateWorkItem(id: string, changes: WorkItemChanges): Promise<WorkItem> {
    await this.checkReferences({
      id,
      parent_id: changes.parent_id,
      assignee_party_id: changes.assignee_party_id,
    });
    const body: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(changes)) if (value !== undefined) body[field] = value;
    if (changes.priority) body.priority = changes.priority.toUpperCase();
    if (changes.type) body.type = changes.type.toUpperCase();
    const response = await this.api.patch(tablePath(TABLES.workItem), {
      query: query().select(WORK_ITEM_COLUMNS).eq("id", id),
      body,
      prefer: ["return=representation"],
      schema: z.array(workItemRowSchema),
      signal: this.signal,
    });
    const item = response.data[0];
    if (!item) throw workItemNotFound(id);
    return item;
  }

  /**
   * Moves an item by intent from the status it has now (or, with `expectedStatus`, only from that
   * one). The status change and its STATUS_CHANGE activity are one RPC, so they commit together; it
   * changes the row only while it is still in the planned `from` status.
   */
  async transition(
    id: string,
    intent: TransitionIntent,
    expectedStatus: WorkItemStatus | undefined,
    reason: string | undefined,
  ): Promise<{ workItem: WorkItem; from: WorkItemStatus }> {
    const current = await this.getStatus(id);
    if (expectedStatus !== undefined && expectedStatus !== current) {
      throw movedMeanwhile(intent, expectedStatus, current, id);
    }
    const planned = planTransition(current, intent, reason, id);
    const response = await this.api.post(rpcPath(RPCS.ppmTransitionWorkItem), {
      query: query().select(WORK_ITEM_COLUMNS),
      body: {
        p_id: id,
        p_from: statusToBackend(planned.from),
        p_to: statusToBackend(planned.to),
        p_reason: planned.reason ?? null,
      },
      schema: z.array(workItemRowSchema),
      signal: this.signal,
    });
    const moved = response.data[0];
    if (!moved) {
      // Nothing changed: the status is no longer the one read above (re-read it), or the item is no
      // longer visible (the re-read answers PPM_NOT_FOUND).
      throw movedMeanwhile(intent, planned.from, await this.getStatus(id), id);
    }
    return { workItem: moved, from: planned.from };
  }

  /** The newest activities of an item and how many it has in all. */
  async recentActivities(
    workItemId: string,
    limit: number,
  ): Promise<{ items: Activity[]; total: number | null }> {
    const response = await this.api.get(tablePath(TABLES.activity), {
      query: query()
        .select(ACTIVITY_COLUMNS)
        .eq("work_item_id", workItemId)
        .order("created_at", "desc")
        .order("id", "desc")
        .limit(limit),
      prefer: ["count=exact"],
      schema: z.array(activityRowSchema),
      signal: this.signal,
    });
    return { items: response.data, total: response.total ?? null };
  }

  async listActivities(filters: ActivityFilters, page: PageRequest): Promise<Page<Activity>> {
    const result = await fetchPage(this.api, tablePath(TABLES.activity), {
      filters,
      limit: page.limit,
      cursor: page.cursor,
      row: activityRowSchema,
      signal: this.signal,
      build: ({ offset, limit: rows }) => {
        const q = query().select(ACTIVITY_COLUMNS).eq("work_item_id", filters.work_item_id);
        if (filters.kind && filters.kind.length > 0) {
          q.in(
            "kind",
            filters.kind.map((kind) => kind.toUpperCase()),
          );
        }
        if (filters.since) q.where({ column: "created_at", op: "gte", value: filters.since });
        return q.order("created_at", "desc").order("id", "desc").offset(offset).limit(rows);
      },
    });
    // An empty first page may mean the item is not visible at all: say so rather than "no activities".
    if (result.items.length === 0 && page.cursor === undefined) await this.getStatus(filters.work_item_id);
    return result;
  }

  /** Records a comment or a time entry as this account, now. */
  async addActivity(
    workItemId: string,
    activity: { kind: "comment" | "time_entry"; body: string | undefined; minutes: number | undefined },
  ): Promise<Activity> {
    // Checked first so another customer's id answers PPM_NOT_FOUND, not a refused insert.
    await this.getStatus(workItemId);
    const response = await this.api.post(tablePath(TABLES.activity), {
      query: query().select(ACTIVITY_COLUMNS),
      body: {
        work_item_id: workItemId,
        kind: activity.kind.toUpperCase(),
        body: activity.body ?? null,
        minutes: activity.minutes ?? null,
      },
      prefer: ["return=representation"],
      single: true,
      schema: activityRowSchema,
      signal: this.signal,
    });
    return response.data;
  }

  /**
   * Checks the references a create or update would write, so the model gets a PPM_VALIDATION that
   * says which id is wrong instead of a foreign-key error, and so another customer's id is never
   * accepted (foreign keys are checked past row-level security). The parent must be visible and must
   * not be the item itself or one of its descendants.
   */
  private async checkReferences(references: {
    id?: string;
    parent_id?: string | null | undefined;
    assignee_party_id?: string | null | undefined;
  }): Promise<void> {
    const { id, parent_id: parentId, assignee_party_id: partyId } = references;
    const checks: Promise<void>[] = [];
    if (partyId) {
      checks.push(
        this.api
          .get(tablePath(TABLES.party), {
            query: query().select("id").eq("id", partyId),
            schema: z.array(z.object({ id: z.string() })),
            signal: this.signal,
          })
          .then((response) => {
            if (response.data.length === 0) {
              throw new RaytioError(
                "PPM_VALIDATION",
                `assignee_party_id ${partyId} is not a party this account can see. Find the party with search_parties.`,
                { details: { field: "assignee_party_id", value: partyId } },
              );
            }
          }),
      );
    }
    if (parentId) checks.push(this.checkParent(id, parentId));
    await Promise.all(checks);
  }

  private async checkParent(id: string | undefined, parentId: string): Promise<void> {
    const refuse = (why: string) =>
      new RaytioError("PPM_VALIDATION", `parent_id ${parentId} ${why}`, {
        details: { field: "parent_id", value: parentId },
      });
    if (parentId === id) throw refuse("is the work item itself; an item cannot be its own parent.");
    let current: string | null = parentId;
    for (let depth = 0; current !== null; depth += 1) {
      if (depth === MAX_PARENT_DEPTH)
        throw refuse(`starts a parent chain deeper than ${MAX_PARENT_DEPTH} levels.`);
      const response: ApiResponse<LinkRow[]> = await this.api.get(tablePath(TABLES.workItem), {
        query: query().select(columnsOf(linkRowSchema)).eq("id", current),
        schema: z.array(linkRowSchema),
        signal: this.signal,
      });
      const row = response.data[0];
      if (!row) {
        if (current === parentId) {
          throw refuse("is not a work item this account can see. Find the parent with list_work_items.");
        }
        // An ancestor further up is hidden: nothing this account can see can form a cycle through it.
        return;
      }
      if (id !== undefined && row.parent_id === id) {
        throw refuse(
          `is below work item ${id} in the hierarchy, so making it the parent would create a cycle.`,
        );
      }
      current = row.parent_id;
    }
  }
}
