import { z } from "zod";
import { thirdParty } from "../untrusted-text.js";
import { isActive, kindFromBackend, RELATIONSHIP_KINDS, type RelationshipKind } from "./relationships.js";

export const PARTY_TYPES = ["organisation", "group", "person"] as const;
export type PartyType = (typeof PARTY_TYPES)[number];

export const CONTACT_POINT_TYPES = [
  "email",
  "phone",
  "mobile",
  "postal_address",
  "website",
  "other",
] as const;

/** Lower-cases a stored enum value, refusing one this server does not know (a contract mismatch). */
const lowerEnum = <T extends readonly [string, ...string[]]>(values: T) =>
  z.string().transform((value, context) => {
    const lowered = value.toLowerCase();
    if ((values as readonly string[]).includes(lowered)) return lowered as T[number];
    context.addIssue({ code: "custom", message: `unexpected value ${value}` });
    return z.NEVER;
  });

const partyType = lowerEnum(PARTY_TYPES);
const tags = z
  .array(z.string())
  .nullable()
  .transform((value) => value ?? []);

/** List results carry only what a model needs to pick a party: contact details are personal data. */
export const partyListRowSchema = z
  .object({ id: z.string(), party_type: partyType, display_name: z.string(), tags })
  .transform((row) => ({ id: row.id, type: row.party_type, name: row.display_name, tags: row.tags }));

export const partyListItemSchema = z.object({
  id: z.string(),
  type: z.enum(PARTY_TYPES),
  name: thirdParty(z.string()),
  tags: thirdParty(z.array(z.string())),
});

const contactPointSchema = z.object({
  type: z.enum(CONTACT_POINT_TYPES),
  value: thirdParty(z.string()),
  label: thirdParty(z.string()).optional(),
});

/** Everything get_party, create_party and update_party show: the full record, personal data included. */
export const partyDetailRowSchema = z
  .object({
    id: z.string(),
    party_type: partyType,
    display_name: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    contact_points: z
      .array(
        z.object({ type: lowerEnum(CONTACT_POINT_TYPES), value: z.string(), label: z.string().nullish() }),
      )
      .nullable(),
    // References are free-form JSON on the API; tools show them as text.
    external_refs: z.record(z.string(), z.unknown()).nullable(),
    tags,
    notes: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .transform((row) => ({
    id: row.id,
    type: row.party_type,
    name: row.display_name,
    email: row.email,
    phone: row.phone,
    contact_points: (row.contact_points ?? []).map((point) => ({
      type: point.type,
      value: point.value,
      ...(point.label ? { label: point.label } : {}),
    })),
    external_refs: Object.fromEntries(
      Object.entries(row.external_refs ?? {}).map(([key, value]) => [
        key,
        typeof value === "string" ? value : JSON.stringify(value),
      ]),
    ),
    tags: row.tags,
    notes: row.notes,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }));

export const partyDetailSchema = z.object({
  id: z.string(),
  type: z.enum(PARTY_TYPES),
  name: thirdParty(z.string()),
  email: thirdParty(z.string()).nullable(),
  phone: thirdParty(z.string()).nullable(),
  contact_points: z.array(contactPointSchema),
  external_refs: thirdParty(z.record(z.string(), z.string())),
  tags: thirdParty(z.array(z.string())),
  notes: thirdParty(z.string()).nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

/** The few fields a relationship check needs about each end. */
export const partyRefRowSchema = z
  .object({ id: z.string(), party_type: partyType, display_name: z.string() })
  .transform((row) => ({ id: row.id, type: row.party_type, name: row.display_name }));

export const partyRefSchema = z.object({
  id: z.string(),
  type: z.enum(PARTY_TYPES),
  name: thirdParty(z.string()),
});
export type PartyRef = z.infer<typeof partyRefSchema>;

// Relationships ------------------------------------------------------------------------------------

const backendKind = z.string().transform((value, context): RelationshipKind => {
  const kind = kindFromBackend(value);
  if (kind) return kind;
  context.addIssue({ code: "custom", message: `unexpected relationship kind ${value}` });
  return z.NEVER;
});

export const relationshipRowSchema = z
  .object({
    id: z.string(),
    kind: backendKind,
    from_party_id: z.string(),
    to_party_id: z.string(),
    start_date: z.string().nullable(),
    end_date: z.string().nullable(),
  })
  .transform((row) => ({ ...row, active: isActive(row.start_date, row.end_date) }));

export const relationshipSchema = z.object({
  id: z.string(),
  kind: z.enum(RELATIONSHIP_KINDS),
  from_party_id: z.string(),
  to_party_id: z.string(),
  start_date: z.string().nullable(),
  end_date: z.string().nullable(),
  active: z.boolean(),
});

/** The rows of rpc/prm_party_relationships that get_party shows. */
export const partyRelationshipRowSchema = z
  .object({
    id: z.string(),
    kind: backendKind,
    from_party_id: z.string(),
    to_party_id: z.string(),
    start_date: z.string().nullable(),
    end_date: z.string().nullable(),
    other_party_id: z.string(),
    other_party_type: partyType,
    other_party_name: z.string(),
  })
  .transform((row) => ({
    id: row.id,
    kind: row.kind,
    from_party_id: row.from_party_id,
    to_party_id: row.to_party_id,
    other_party: { id: row.other_party_id, type: row.other_party_type, name: row.other_party_name },
    start_date: row.start_date,
    end_date: row.end_date,
    active: isActive(row.start_date, row.end_date),
  }));

export const partyRelationshipSchema = relationshipSchema.extend({ other_party: partyRefSchema });
