/**
 * Relationship kinds as the model sees them, their wire values, and which party types each kind may
 * link. A relationship reads "from_party <kind> to_party", e.g. a person employee_of an organisation.
 * The API enforces the same type rules; checking them here first gives a message naming legal values.
 */
export const RELATIONSHIP_KINDS = ["member_of", "employee_of", "customer_of", "supplier_of"] as const;
export type RelationshipKind = (typeof RELATIONSHIP_KINDS)[number];

type PartyType = "organisation" | "group" | "person";

export const KIND_RULES: Record<RelationshipKind, { from: readonly PartyType[]; to: readonly PartyType[] }> =
  {
    member_of: { from: ["person", "organisation", "group"], to: ["group", "organisation"] },
    employee_of: { from: ["person"], to: ["organisation"] },
    customer_of: { from: ["person", "organisation"], to: ["person", "organisation"] },
    supplier_of: { from: ["person", "organisation"], to: ["person", "organisation"] },
  };

export function kindToBackend(kind: RelationshipKind): string {
  return kind.toUpperCase();
}

export function kindFromBackend(value: string): RelationshipKind | undefined {
  const lowered = value.toLowerCase();
  return (RELATIONSHIP_KINDS as readonly string[]).includes(lowered)
    ? (lowered as RelationshipKind)
    : undefined;
}

/** Today as YYYY-MM-DD in UTC, the calendar the API's `current_date` uses. */
export function today(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/**
 * end_date is the day a relationship ended, so it is active from start_date (inclusive) until
 * end_date (exclusive). ISO dates compare correctly as strings.
 */
export function isActive(startDate: string | null, endDate: string | null, on: string = today()): boolean {
  return (startDate === null || startDate <= on) && (endDate === null || endDate > on);
}

/** Open: not ended yet (current or starting in the future). At most one open relationship per pair and kind. */
export function isOpen(endDate: string | null, on: string = today()): boolean {
  return endDate === null || endDate > on;
}
