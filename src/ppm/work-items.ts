import { z } from "zod";
import { RaytioError } from "../errors.js";
import type { ApiResponse, RaytioApiClient } from "../raytio/api-client.js";
import { RPCS, rpcPath, TABLES, tablePath } from "../raytio/paths.js";
import { query } from "../raytio/postgrest.js";
import { WORK_ITEM_SELECT, type WorkItem, workItemRowSchema, workItemStatusRowSchema } from "./projection.js";
import { statusToBackend, type WorkItemStatus } from "./status.js";
import type { PlannedTransition } from "./transitions.js";

/**
 * Reads and writes of work items shared by the PPM tools. Single rows are read as arrays rather than
 * with PostgREST's single-object mode, so "no row" is an ordinary answer this module turns into
 * PPM_NOT_FOUND instead of a generic 406.
 */

/** Row-level security makes "no such id" and "another customer's id" look the same, on purpose. */
export function workItemNotFound(id: string): RaytioError {
  return new RaytioError(
    "PPM_NOT_FOUND",
    `Work item ${id} was not found: no work item has this id, or row-level security hides it from this account (for example, it belongs to another customer). Check the id with list_work_items.`,
    { details: { id } },
  );
}

export async function requireWorkItem(
  api: RaytioApiClient,
  id: string,
  signal: AbortSignal,
): Promise<WorkItem> {
  const response = await api.get(tablePath(TABLES.workItem), {
    query: query().select(WORK_ITEM_SELECT).eq("id", id),
    schema: z.array(workItemRowSchema),
    signal,
  });
  const item = response.data[0];
  if (!item) throw workItemNotFound(id);
  return item;
}

/** The item's current status, reading nothing else; doubles as the existence check before a write. */
export async function requireStatus(
  api: RaytioApiClient,
  id: string,
  signal: AbortSignal,
): Promise<WorkItemStatus> {
  const response = await api.get(tablePath(TABLES.workItem), {
    query: query().select("status").eq("id", id),
    schema: z.array(workItemStatusRowSchema),
    signal,
  });
  const row = response.data[0];
  if (!row) throw workItemNotFound(id);
  return row.status;
}

const linkRowSchema = z.object({ id: z.string(), parent_id: z.string().nullable() });
type LinkRow = z.infer<typeof linkRowSchema>;

/** Parent chains deeper than this are refused rather than walked further (real hierarchies are 2-4). */
export const MAX_PARENT_DEPTH = 20;

/**
 * Checks the references a create or update would write, so the model gets a PPM_VALIDATION that says
 * which id is wrong instead of a foreign-key error, and so another customer's id is never accepted
 * (foreign keys are checked past row-level security). The parent must be visible and must not be the
 * item itself or one of its descendants.
 */
export async function checkReferences(
  api: RaytioApiClient,
  references: { id?: string; parent_id?: string | null; assignee_party_id?: string | null },
  signal: AbortSignal,
): Promise<void> {
  const { id, parent_id: parentId, assignee_party_id: partyId } = references;
  const checks: Promise<void>[] = [];
  if (partyId) {
    checks.push(
      api
        .get(tablePath(TABLES.party), {
          query: query().select("id").eq("id", partyId),
          schema: z.array(z.object({ id: z.string() })),
          signal,
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
  if (parentId) checks.push(checkParent(api, id, parentId, signal));
  await Promise.all(checks);
}

async function checkParent(
  api: RaytioApiClient,
  id: string | undefined,
  parentId: string,
  signal: AbortSignal,
): Promise<void> {
  const refuse = (why: string) =>
    new RaytioError("PPM_VALIDATION", `parent_id ${parentId} ${why}`, {
      details: { field: "parent_id", value: parentId },
    });
  if (parentId === id) throw refuse("is the work item itself; an item cannot be its own parent.");
  let current: string | null = parentId;
  for (let depth = 0; current !== null; depth += 1) {
    if (depth === MAX_PARENT_DEPTH)
      throw refuse(`starts a parent chain deeper than ${MAX_PARENT_DEPTH} levels.`);
    const response: ApiResponse<LinkRow[]> = await api.get(tablePath(TABLES.workItem), {
      query: query().select(["id", "parent_id"]).eq("id", current),
      schema: z.array(linkRowSchema),
      signal,
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

/**
 * The status change and its STATUS_CHANGE activity are one RPC, so they commit together. The RPC
 * changes the row only while it is still in `from`; it answers no row when the item moved meanwhile (or
 * is hidden), and the caller re-reads to tell which.
 */
export async function applyTransition(
  api: RaytioApiClient,
  id: string,
  planned: PlannedTransition,
  signal: AbortSignal,
): Promise<WorkItem | undefined> {
  const response = await api.post(rpcPath(RPCS.ppmTransitionWorkItem), {
    query: query().select(WORK_ITEM_SELECT),
    body: {
      p_id: id,
      p_from: statusToBackend(planned.from),
      p_to: statusToBackend(planned.to),
      p_reason: planned.reason ?? null,
    },
    schema: z.array(workItemRowSchema),
    signal,
  });
  return response.data[0];
}
