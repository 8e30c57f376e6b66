import { z } from "zod";
import type { RaytioApiClient } from "../raytio/api-client.js";
import { RPCS, rpcPath } from "../raytio/paths.js";

/**
 * A set-returning function with one output column may come back as bare values or as objects,
 * depending on how the API declares it; both mean the same list of role names.
 */
export const userGroupSchema = z.union([
  z.string(),
  z.object({ group_name: z.string() }).transform((row) => row.group_name),
]);
export const userGroupsSchema = z.array(userGroupSchema);

/** The signed-in account's backend roles (its Raytio groups), as the API names them. */
export async function accountRoles(api: RaytioApiClient): Promise<string[]> {
  const response = await api.post(rpcPath(RPCS.userGroups), {
    body: {},
    // A read-only function: safe to retry even though it is a POST.
    idempotent: true,
    schema: userGroupsSchema,
  });
  return response.data;
}
