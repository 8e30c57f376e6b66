import { z } from "zod";
import { RaytioError } from "../errors.js";
import type { RaytioApiClient } from "../raytio/api-client.js";
import { columnsOf } from "../raytio/pages.js";
import { TABLES, tablePath } from "../raytio/paths.js";
import { query } from "../raytio/postgrest.js";
import {
  type AccessApplication,
  accessApplicationSchema,
  type Form,
  formSchema,
  type RequestRow,
  requestRowSchema,
  type Submission,
  submissionRowSchema,
} from "./projection.js";

/**
 * Single-row reads shared by the DSM tools. Rows are read as arrays rather than in PostgREST's
 * single-object mode, so "no row" is an ordinary answer turned into DSM_NOT_FOUND here.
 */

/** Row-level security makes "no such id" and "another customer's id" look the same, on purpose. */
export function dsmNotFound(what: string, id: string, hint: string): RaytioError {
  return new RaytioError(
    "DSM_NOT_FOUND",
    `${what} ${id} was not found: it does not exist, or row-level security hides it from this account (for example, it belongs to another customer). ${hint}`,
    { details: { id } },
  );
}

async function firstRow<T>(
  api: RaytioApiClient,
  table: Parameters<typeof tablePath>[0],
  q: ReturnType<typeof query>,
  row: z.ZodType<T>,
  signal: AbortSignal,
): Promise<T | undefined> {
  const response = await api.get(tablePath(table), { query: q.limit(1), schema: z.array(row), signal });
  return response.data[0];
}

export async function requireApplication(
  api: RaytioApiClient,
  id: string,
  signal: AbortSignal,
): Promise<AccessApplication> {
  const application = await firstRow(
    api,
    TABLES.accessApplication,
    query().select(columnsOf(accessApplicationSchema)).eq("id", id),
    accessApplicationSchema,
    signal,
  );
  if (!application) throw dsmNotFound("Access application", id, "Find it with list_access_applications.");
  return application;
}

export async function requireFormByShortLink(
  api: RaytioApiClient,
  shortLinkKey: string,
  signal: AbortSignal,
): Promise<Form> {
  const form = await firstRow(
    api,
    TABLES.form,
    query().select(columnsOf(formSchema)).eq("short_link_key", shortLinkKey),
    formSchema,
    signal,
  );
  if (!form) {
    throw dsmNotFound(
      "Form",
      shortLinkKey,
      "Create one with create_form, or see an application's forms with get_access_application.",
    );
  }
  return form;
}

export async function requireForm(api: RaytioApiClient, id: string, signal: AbortSignal): Promise<Form> {
  const form = await firstRow(
    api,
    TABLES.form,
    query().select(columnsOf(formSchema)).eq("id", id),
    formSchema,
    signal,
  );
  if (!form) throw dsmNotFound("Form", id, "It may have been deleted.");
  return form;
}

export async function requireRequest(
  api: RaytioApiClient,
  requestShortCode: string,
  signal: AbortSignal,
): Promise<RequestRow> {
  const request = await firstRow(
    api,
    TABLES.request,
    query().select(columnsOf(requestRowSchema)).eq("request_short_code", requestShortCode),
    requestRowSchema,
    signal,
  );
  if (!request)
    throw dsmNotFound("Request", requestShortCode, "Check the request_short_code with list_requests.");
  return request;
}

export async function requireSubmission(
  api: RaytioApiClient,
  id: string,
  signal: AbortSignal,
): Promise<Submission> {
  const submission = await firstRow(
    api,
    TABLES.submission,
    query().select(columnsOf(submissionRowSchema)).eq("id", id),
    submissionRowSchema,
    signal,
  );
  if (!submission) throw dsmNotFound("Submission", id, "Check the id with list_submissions.");
  return submission;
}

export const submissionWithRecordsSchema = submissionRowSchema.extend({
  form_id: z.string(),
  records: z.array(z.unknown()),
});
export type SubmissionWithRecords = z.infer<typeof submissionWithRecordsSchema>;

/** The submission answering a request, with its sealed records (never shown as they are). */
export async function findSubmissionForRequest(
  api: RaytioApiClient,
  requestShortCode: string,
  signal: AbortSignal,
): Promise<SubmissionWithRecords | undefined> {
  return firstRow(
    api,
    TABLES.submission,
    query().select(columnsOf(submissionWithRecordsSchema)).eq("request_short_code", requestShortCode),
    submissionWithRecordsSchema,
    signal,
  );
}
