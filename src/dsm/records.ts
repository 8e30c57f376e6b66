import { z } from "zod";
import type { JsonValue } from "../crypto/maxcryptor.js";
import { RaytioError } from "../errors.js";
import { getSystemSchema } from "../schemas/loader.js";
import type { FormPage } from "./projection.js";

/**
 * The record format of a DSM submission, shared by the server (which opens records) and the sandbox's
 * stand-in for the person's browser (which seals them). One record per schema instance: the spec's
 * shared record (`n_id`, `encrypted_data`, `encrypted_key`, docs/crypto.md) plus the schema it
 * belongs to and the fields that schema leaves unencrypted (Raytio encryption docs: only `encrypt: true`
 * fields are end-to-end encrypted). The sealed value holds a JSON object of the encrypted fields.
 */
export const sharedRecordSchema = z.object({
  n_id: z.string().min(1),
  schema_name: z.string().min(1),
  properties: z.record(z.string(), z.unknown()).optional(),
  encrypted_data: z.unknown().optional(),
  encrypted_key: z.unknown().optional(),
});
export type SharedRecord = z.infer<typeof sharedRecordSchema>;

/**
 * The GCM additional data every sealed record carries. It binds the ciphertext to its schema and record
 * id, so whoever stores it cannot present one record's ciphertext as another schema's value.
 */
export function recordAad(schemaName: string, nId: string): string {
  return `raytio-dsm/v1:${schemaName}:${nId}`;
}

/** Checks the binding before any decryption; an envelope without aad (older clients) is accepted. */
export function assertRecordBinding(record: SharedRecord): void {
  const aad = (record.encrypted_data as { aad?: unknown } | null | undefined)?.aad;
  if (aad === undefined || aad === recordAad(record.schema_name, record.n_id)) return;
  throw new RaytioError(
    "DECRYPTION_FAILED",
    `Record ${record.n_id.slice(0, 100)}: its ciphertext is bound to another schema or record (aad mismatch), so it was not opened.`,
    { details: { step: "record", recordId: record.n_id } },
  );
}

export function isSealed(record: SharedRecord): boolean {
  return record.encrypted_data !== undefined || record.encrypted_key !== undefined;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * One schema instance's value: its plaintext fields and its decrypted fields, in the order the schema
 * declares them (unknown fields after). `opened` is undefined for a record with nothing encrypted.
 */
export function recordValue(record: SharedRecord, opened: JsonValue | undefined): unknown {
  const plain = record.properties ?? {};
  if (opened !== undefined && !isPlainObject(opened)) {
    if (Object.keys(plain).length === 0) return opened;
    throw new RaytioError(
      "UNSUPPORTED_ENVELOPE",
      `Record ${record.n_id.slice(0, 100)}: the encrypted part is not a JSON object, so it cannot be merged with the plaintext fields.`,
      { details: { step: "record", recordId: record.n_id } },
    );
  }
  const merged: Record<string, unknown> = { ...plain, ...(opened ?? {}) };
  const declared = Object.keys(getSystemSchema(record.schema_name)?.properties ?? {});
  const ordered: Record<string, unknown> = {};
  for (const key of declared) if (Object.hasOwn(merged, key)) ordered[key] = merged[key];
  for (const [key, value] of Object.entries(merged)) if (!Object.hasOwn(ordered, key)) ordered[key] = value;
  return ordered;
}

/**
 * Groups instance values by schema: a schema on an allow-multiple page always gives an array (so the
 * shape does not depend on how many instances the person entered), any other schema a single value.
 */
export function groupBySchema(
  values: ReadonlyArray<{ schema: string; value: unknown }>,
  pages: readonly FormPage[],
): Record<string, unknown> {
  const multiple = new Set(pages.filter((page) => page.allow_multiple).flatMap((page) => page.schemas));
  const grouped = new Map<string, unknown[]>();
  for (const { schema, value } of values) {
    const list = grouped.get(schema) ?? [];
    list.push(value);
    grouped.set(schema, list);
  }
  const data: Record<string, unknown> = {};
  for (const [schema, list] of grouped) {
    data[schema] = multiple.has(schema) || list.length > 1 ? list : list[0];
  }
  return data;
}
