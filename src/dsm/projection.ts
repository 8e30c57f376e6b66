import { z } from "zod";
import { auditTarget } from "../audit/targets.js";
import { thirdParty } from "../untrusted-text.js";
import {
  REQUEST_STATUSES,
  requestStatus,
  SUBMISSION_STATUSES,
  submissionStatusFromBackend,
} from "./status.js";

/**
 * Row schemas double as projections: their keys are the columns selected, only the ones tools show, so
 * the API never sends more than a model will read.
 */
export const accessApplicationListItemSchema = z.object({
  id: z.string(),
  name: thirdParty(z.string()),
  description: thirdParty(z.string()).nullable(),
  schemas: thirdParty(z.array(z.string())),
  created_at: z.string(),
});

export const accessApplicationSchema = accessApplicationListItemSchema.extend({ updated_at: z.string() });
export type AccessApplication = z.infer<typeof accessApplicationSchema>;

// ------------------------------------------------------------------------------------------------ forms

export const PAGE_FILTERS = ["oneOf", "anyOf"] as const;

/** A form page as stored in `dsm_form.pages` (Raytio's access application link pages). */
export const formPageSchema = z.object({
  name: thirdParty(z.string()),
  description: thirdParty(z.string()).nullable(),
  schemas: thirdParty(z.array(z.string())),
  optional: z.boolean(),
  allow_multiple: z.boolean(),
  filter: z.enum(PAGE_FILTERS).nullable(),
});
export type FormPage = z.infer<typeof formPageSchema>;

export const formSchema = z.object({
  id: z.string(),
  application_id: z.string(),
  name: thirdParty(z.string()),
  reference: thirdParty(z.string()).nullable(),
  recipient_email: thirdParty(z.string()).nullable(),
  short_link_key: z.string(),
  pages: z.array(formPageSchema),
  created_at: z.string(),
});
export type Form = z.infer<typeof formSchema>;

export const formListItemSchema = z.object({
  short_link_key: z.string(),
  name: thirdParty(z.string()),
  reference: thirdParty(z.string()).nullable(),
  created_at: z.string(),
});

// --------------------------------------------------------------------------------------------- requests

export const requestRowSchema = z.object({
  id: z.string(),
  request_short_code: z.string(),
  application_id: z.string(),
  form_id: z.string(),
  recipient_email: z.string(),
  status: z.string(),
  expires_at: z.string(),
  created_at: z.string(),
});
export type RequestRow = z.infer<typeof requestRowSchema>;

/** What tools show for a request: the status is derived, so an expired request says so. */
export const requestSchema = z.object({
  // The request and the person it reaches are what an audit record of send_request names.
  request_short_code: auditTarget(z.string()),
  application_id: z.string(),
  form_id: z.string(),
  recipient_email: thirdParty(auditTarget(z.string())),
  status: z.enum(REQUEST_STATUSES),
  expires_at: z.string(),
  created_at: z.string(),
});
export type Request = z.infer<typeof requestSchema>;

export function requestView(row: RequestRow, now: number = Date.now()): Request {
  return {
    request_short_code: row.request_short_code,
    application_id: row.application_id,
    form_id: row.form_id,
    recipient_email: row.recipient_email,
    status: requestStatus(row.status, row.expires_at, now),
    expires_at: row.expires_at,
    created_at: row.created_at,
  };
}

// ------------------------------------------------------------------------------------------ submissions

export const submissionRowSchema = z.object({
  id: z.string(),
  request_short_code: z.string(),
  application_id: z.string(),
  status: z.string().transform(submissionStatusFromBackend),
  status_message: z.string().nullable(),
  confirmation_code: z.string(),
  reference: z.string().nullable(),
  shared_by: z.string(),
  submitted_at: z.string(),
  updated_at: z.string(),
});

export const submissionSchema = z.object({
  id: z.string(),
  request_short_code: z.string(),
  application_id: z.string(),
  status: z.enum(SUBMISSION_STATUSES),
  status_message: thirdParty(z.string()).nullable(),
  confirmation_code: z.string(),
  reference: thirdParty(z.string()).nullable(),
  shared_by: thirdParty(z.string()),
  submitted_at: z.string(),
  updated_at: z.string(),
});
export type Submission = z.infer<typeof submissionSchema>;
