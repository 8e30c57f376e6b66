import { z } from "zod";
import type { RaytioApiClient } from "../raytio/api-client.js";
import { type TableName, tablePath } from "../raytio/paths.js";
import { query } from "../raytio/postgrest.js";
import { wrmNotFound } from "./errors.js";

/** Throws WRM_NOT_FOUND unless this account can see the row. */
export async function requireVisible(
  api: RaytioApiClient,
  table: TableName,
  id: string,
  subject: string,
  signal: AbortSignal,
): Promise<void> {
  const found = await api.get(tablePath(table), {
    query: query().select("id").eq("id", id),
    schema: z.array(z.object({ id: z.string() })),
    signal,
  });
  if (found.data.length === 0) throw wrmNotFound(subject);
}
