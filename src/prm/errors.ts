import { isRaytioError, RaytioError } from "../errors.js";

/**
 * Row-level security makes another customer's row look exactly like a missing one, so say both.
 * `missing` maps the input field to the id that could not be found, e.g. `{ party_id: "…" }`.
 */
export function partyNotFound(missing: Record<string, string>): RaytioError {
  const which = Object.entries(missing)
    .map(([field, id]) => `${field} ${id}`)
    .join(", ");
  return new RaytioError(
    "PRM_NOT_FOUND",
    `No party for ${which}: it may not exist, or it may belong to another customer. Find parties with search_parties.`,
    { details: missing },
  );
}

export function relationshipNotFound(id: string): RaytioError {
  return new RaytioError(
    "PRM_NOT_FOUND",
    `No relationship ${id}: it may not exist, or it may belong to another customer. get_party lists a party's relationships with their ids.`,
    { details: { relationship_id: id } },
  );
}

/**
 * Turns the API's single-object NOT_FOUND into the domain's error; any other failure passes unchanged.
 * Used as `.catch(notFoundAs(() => partyNotFound([id])))`, so tools still throw rather than stringify.
 */
export function notFoundAs(make: () => RaytioError): (error: unknown) => never {
  return (error) => {
    if (isRaytioError(error) && error.code === "NOT_FOUND") throw make();
    throw error;
  };
}

/** The PostgreSQL error code the API reported for a refused request, when there was one. */
export function apiCode(error: unknown): string | undefined {
  if (!isRaytioError(error) || error.code !== "API_ERROR") return undefined;
  const code = error.details?.apiCode;
  return typeof code === "string" ? code : undefined;
}
