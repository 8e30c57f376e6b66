import { randomUUID } from "node:crypto";
import type { PGlite, Transaction } from "@electric-sql/pglite";
import { type JsonValue, type PublicJwk, sealValue } from "../../src/crypto/maxcryptor.js";
import { type FormPage, formPageSchema } from "../../src/dsm/projection.js";
import { recordAad, type SharedRecord } from "../../src/dsm/records.js";
import { encryptedFields, getSystemSchema } from "../../src/schemas/loader.js";

/**
 * The person's side of a data request, standing in for the Raytio web client in their browser: it
 * checks the answer against the form, encrypts every schema instance to the access application's public
 * key (fields the schema marks `encrypt: true`, plus any field the schema does not know, sealed as one
 * JSON object with a fresh data key; the rest stays readable, Raytio encryption docs) and stores the
 * submission. The server holding the records never sees an encrypted field in the clear.
 */

export class SubmitError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const isPlainObject = (value: unknown): value is Record<string, JsonValue> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Seals one schema instance exactly as the web client does. */
export function sealInstance(
  schemaName: string,
  value: Record<string, JsonValue>,
  publicKey: PublicJwk,
): SharedRecord {
  const nId = randomUUID();
  const known = new Set(Object.keys(getSystemSchema(schemaName)?.properties ?? {}));
  const encrypted = new Set(encryptedFields(schemaName) ?? []);
  const plain: Record<string, JsonValue> = {};
  const secret: Record<string, JsonValue> = {};
  for (const [field, fieldValue] of Object.entries(value)) {
    if (known.has(field) && !encrypted.has(field)) plain[field] = fieldValue;
    else secret[field] = fieldValue;
  }
  const record: SharedRecord = { n_id: nId, schema_name: schemaName, properties: plain };
  if (Object.keys(secret).length === 0) return record;
  return { ...record, ...sealValue(secret, publicKey, { aad: recordAad(schemaName, nId) }) };
}

/** Instances per schema, checked against the form's pages (Raytio's access application link rules). */
export function checkAnswer(
  pages: readonly FormPage[],
  data: unknown,
): Map<string, Record<string, JsonValue>[]> {
  if (!isPlainObject(data) || Object.keys(data).length === 0) {
    throw new SubmitError(
      400,
      'Body must be {"data": {"<schema name>": <object or array of objects>, ...}} with at least one schema.',
    );
  }
  const pageOf = new Map(pages.flatMap((page) => page.schemas.map((schema) => [schema, page] as const)));
  const unknown = Object.keys(data).filter((schema) => !pageOf.has(schema));
  if (unknown.length > 0) {
    throw new SubmitError(
      400,
      `The form does not ask for ${unknown.join(", ")}; it asks for ${[...pageOf.keys()].join(", ")}.`,
    );
  }
  const instances = new Map<string, Record<string, JsonValue>[]>();
  for (const [schema, value] of Object.entries(data)) {
    const page = pageOf.get(schema) as FormPage;
    const list = Array.isArray(value) ? value : [value];
    if (Array.isArray(value) && !page.allow_multiple) {
      throw new SubmitError(
        400,
        `${schema} is on page "${page.name}", which takes one instance, not an array.`,
      );
    }
    if (list.length === 0) continue;
    if (!list.every(isPlainObject))
      throw new SubmitError(400, `Every ${schema} instance must be a JSON object.`);
    instances.set(schema, list as Record<string, JsonValue>[]);
  }
  for (const page of pages) {
    const given = page.schemas.filter((schema) => instances.has(schema));
    if (given.length === 0) {
      if (page.optional) continue;
      throw new SubmitError(
        400,
        `Page "${page.name}" is required: answer ${page.filter === null ? "all" : "one"} of ${page.schemas.join(", ")}.`,
      );
    }
    if (page.filter === "oneOf" && given.length > 1) {
      throw new SubmitError(
        400,
        `Page "${page.name}" takes exactly one of ${page.schemas.join(", ")}, not ${given.join(" and ")}.`,
      );
    }
    if (page.filter === null && given.length < page.schemas.length) {
      const missing = page.schemas.filter((schema) => !instances.has(schema));
      throw new SubmitError(
        400,
        `Page "${page.name}" needs every schema it lists; missing ${missing.join(", ")}.`,
      );
    }
  }
  return instances;
}

interface PendingRequest {
  id: string;
  customer_id: string;
  request_short_code: string;
  status: string;
  expired: boolean;
  recipient_email: string;
  form_id: string;
  application_id: string;
  reference: string | null;
  pages: unknown;
  public_key: PublicJwk;
}

export interface SubmitResult {
  submission_id: string;
  confirmation_code: string;
  records: number;
}

async function lockRequest(tx: Transaction, code: string): Promise<PendingRequest> {
  const result = await tx.query<PendingRequest>(
    `select r.id, r.customer_id, r.request_short_code, r.status, r.expires_at <= now() as expired,
            r.recipient_email, r.form_id, r.application_id, f.reference, f.pages, a.public_key
       from api.dsm_request r
       join api.dsm_form f on f.id = r.form_id
       join api.dsm_access_application a on a.id = r.application_id
      where r.request_short_code = $1
      for update of r`,
    [code],
  );
  const request = result.rows[0];
  if (!request) throw new SubmitError(404, "No request has this short code.");
  if (request.status === "SUBMITTED") throw new SubmitError(409, "This request has already been answered.");
  if (request.status === "CANCELLED") throw new SubmitError(409, "This request was cancelled by its sender.");
  if (request.expired) throw new SubmitError(410, "This request has expired.");
  return request;
}

/** Answers a request: checks, seals and stores in one transaction, as the table owner (the platform). */
export async function submitAnswer(
  db: PGlite | Transaction,
  code: string,
  data: unknown,
): Promise<SubmitResult> {
  const run = async (tx: Transaction) => {
    const request = await lockRequest(tx, code);
    const pages = formPageSchema.array().parse(request.pages);
    const instances = checkAnswer(pages, data);
    const records = [...instances].flatMap(([schema, list]) =>
      list.map((value) => sealInstance(schema, value, request.public_key)),
    );
    const inserted = await tx.query<{ id: string; confirmation_code: string }>(
      `insert into api.dsm_submission
         (customer_id, request_id, request_short_code, application_id, form_id, reference, shared_by, records)
       values ($1, $2, $3, $4, $5, $6, $7, $8) returning id, confirmation_code`,
      [
        request.customer_id,
        request.id,
        request.request_short_code,
        request.application_id,
        request.form_id,
        request.reference,
        request.recipient_email,
        JSON.stringify(records),
      ],
    );
    await tx.query("update api.dsm_request set status = 'SUBMITTED' where id = $1", [request.id]);
    const row = inserted.rows[0];
    if (!row) throw new Error("submission insert returned no row");
    return { submission_id: row.id, confirmation_code: row.confirmation_code, records: records.length };
  };
  return "transaction" in db ? db.transaction(run) : run(db);
}
