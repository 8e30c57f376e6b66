import { z } from "zod";
import { RaytioError } from "../errors.js";
import type { Page } from "../paging.js";
import type { RaytioApiClient } from "../raytio/api-client.js";
import { columnsOf, fetchPage } from "../raytio/pages.js";
import { RPCS, rpcPath, TABLES, tablePath } from "../raytio/paths.js";
import { type Condition, containsPattern, type PostgrestQuery, query } from "../raytio/postgrest.js";
import {
  findSubmissionForRequest,
  requireApplication,
  requireForm,
  requireFormByShortLink,
  requireRequest,
  requireSubmission,
  type SubmissionWithRecords,
} from "./lookups.js";
import {
  type AccessApplication,
  accessApplicationListItemSchema,
  accessApplicationSchema,
  type Form,
  type FormPage,
  formListItemSchema,
  formSchema,
  type Request,
  requestRowSchema,
  requestView,
  type Submission,
  submissionRowSchema,
} from "./projection.js";
import type { DsmServices, UserKeyRow } from "./services.js";
import { type ReceiverStatus, type RequestStatus, type SubmissionStatus, statusToBackend } from "./status.js";

/**
 * DSM's one door to the backend: tables, the create-application RPC and its arguments, column
 * projections, filter encoding and status case. Tools speak in access applications, forms, requests
 * and submissions; the per-process keyring (DsmServices) is reached through here too, so no tool
 * needs the API client.
 */

const MAX_FORMS = 20;

export interface PageRequest {
  limit: number;
  cursor: string | undefined;
}

/**
 * `expired` is not stored: it is a pending request whose expiry has passed. Several statuses are
 * alternatives, so they are one `or` tree.
 */
function whereStatus(q: PostgrestQuery, statuses: readonly RequestStatus[]): void {
  const now = new Date().toISOString();
  const conditions = statuses.map((status): Condition => {
    if (status === "pending" || status === "expired") {
      return {
        op: "and",
        conditions: [
          { column: "status", op: "eq", value: "PENDING" },
          { column: "expires_at", op: status === "pending" ? "gt" : "lte", value: now },
        ],
      };
    }
    return { column: "status", op: "eq", value: statusToBackend(status) };
  });
  const [only] = conditions;
  q.where(conditions.length === 1 && only ? only : { op: "or", conditions });
}

export class DsmData {
  constructor(
    private readonly api: RaytioApiClient,
    private readonly services: DsmServices,
    private readonly signal: AbortSignal,
    /** Told before a submission is opened, so the call's audit record says it decrypted. */
    private readonly beforeOpening: () => void = () => undefined,
  ) {}

  /** RSA size for new application keys (see DsmServices.keyBits). */
  get keyBits(): number {
    return this.services.keyBits;
  }

  /** Fails before any waiting or fetching when the encryption password is not configured. */
  /**
   * Waits for the proof that the encryption password opens the agent's key (DsmServices): a DSM write
   * awaits it so a wrong password is refused before anything a person would answer is created.
   */
  proveEncryptionPassword(): Promise<void> {
    return this.services.proveEncryptionPassword(this.api);
  }

  requireEncryptionPassword(): void {
    this.services.requireEncryptionPassword();
  }

  listApplications(
    filters: { name?: string | undefined },
    page: PageRequest,
  ): Promise<Page<z.output<typeof accessApplicationListItemSchema>>> {
    return fetchPage(this.api, tablePath(TABLES.accessApplication), {
      filters,
      limit: page.limit,
      cursor: page.cursor,
      row: accessApplicationListItemSchema,
      signal: this.signal,
      build: ({ offset, limit: rows }) => {
        const q = query().select(columnsOf(accessApplicationListItemSchema));
        if (filters.name) q.where({ column: "name", op: "ilike", pattern: containsPattern(filters.name) });
        return q.order("created_at", "desc").order("id").offset(offset).limit(rows);
      },
    });
  }

  getApplication(id: string): Promise<AccessApplication> {
    return requireApplication(this.api, id, this.signal);
  }

  /** An application, its newest forms, and whether this account holds a sealed copy of its key. */
  async applicationDetail(id: string): Promise<{
    application: AccessApplication;
    forms: z.output<typeof formListItemSchema>[];
    formsTotal: number | null;
    canDecrypt: boolean;
  }> {
    const [application, forms, keys] = await Promise.all([
      requireApplication(this.api, id, this.signal),
      this.api.get(tablePath(TABLES.form), {
        query: query()
          .select(columnsOf(formListItemSchema))
          .eq("application_id", id)
          .order("created_at", "desc")
          .order("id")
          .limit(MAX_FORMS),
        prefer: ["count=exact"],
        schema: z.array(formListItemSchema),
        signal: this.signal,
      }),
      // Only whether a sealed copy exists for this account: the key itself is not fetched.
      this.api.get(tablePath(TABLES.accessApplicationKey), {
        query: query().select("application_id").eq("application_id", id).limit(1),
        schema: z.array(z.object({ application_id: z.string() })),
        signal: this.signal,
      }),
    ]);
    return {
      application,
      forms: forms.data,
      formsTotal: forms.total ?? null,
      canDecrypt: keys.data.length > 0,
    };
  }

  /** The agent's own key row (public JWK and password envelope), cached for the process. */
  userKey(): Promise<UserKeyRow> {
    return this.services.userKey(this.api);
  }

  /**
   * Creates the application and stores its private key sealed to this account, in one RPC so an
   * application never exists without its key.
   */
  async createApplication(application: {
    name: string;
    description: string | undefined;
    schemas: string[];
    publicKey: unknown;
    sealedPrivateKey: unknown;
  }): Promise<AccessApplication> {
    const response = await this.api.post(rpcPath(RPCS.dsmCreateAccessApplication), {
      query: query().select(columnsOf(accessApplicationSchema)),
      body: {
        name: application.name,
        description: application.description ?? null,
        schemas: application.schemas,
        public_key: application.publicKey,
        sealed_private_key: application.sealedPrivateKey,
      },
      schema: accessApplicationSchema,
      signal: this.signal,
    });
    return response.data;
  }

  async createForm(form: {
    applicationId: string;
    name: string;
    reference: string | undefined;
    recipientEmail: string | undefined;
    pages: FormPage[];
  }): Promise<Form> {
    const response = await this.api.post(tablePath(TABLES.form), {
      query: query().select(columnsOf(formSchema)),
      body: {
        application_id: form.applicationId,
        name: form.name,
        reference: form.reference ?? null,
        recipient_email: form.recipientEmail ?? null,
        pages: form.pages,
      },
      prefer: ["return=representation"],
      schema: z.array(formSchema),
      signal: this.signal,
    });
    const created = response.data[0];
    if (!created) throw new RaytioError("API_ERROR", "The Raytio API created the form but returned no row.");
    return created;
  }

  formByShortLink(shortLinkKey: string): Promise<Form> {
    return requireFormByShortLink(this.api, shortLinkKey, this.signal);
  }

  form(id: string): Promise<Form> {
    return requireForm(this.api, id, this.signal);
  }

  listRequests(
    filters: { application_id?: string | undefined; status?: readonly RequestStatus[] | undefined },
    page: PageRequest,
  ): Promise<Page<Request>> {
    return fetchPage(this.api, tablePath(TABLES.request), {
      filters,
      limit: page.limit,
      cursor: page.cursor,
      row: requestRowSchema.transform((row) => requestView(row)),
      signal: this.signal,
      build: ({ offset, limit: rows }) => {
        const q = query().select(columnsOf(requestRowSchema));
        if (filters.application_id) q.eq("application_id", filters.application_id);
        if (filters.status) whereStatus(q, filters.status);
        return q.order("created_at", "desc").order("id").offset(offset).limit(rows);
      },
    });
  }

  async sendRequest(request: {
    formId: string;
    recipientEmail: string;
    message: string | undefined;
    expiresAt: string;
  }): Promise<Request> {
    const response = await this.api.post(tablePath(TABLES.request), {
      query: query().select(columnsOf(requestRowSchema)),
      body: {
        form_id: request.formId,
        recipient_email: request.recipientEmail,
        message: request.message ?? null,
        expires_at: request.expiresAt,
      },
      prefer: ["return=representation"],
      schema: z.array(requestRowSchema),
      signal: this.signal,
    });
    const row = response.data[0];
    if (!row) throw new RaytioError("API_ERROR", "The Raytio API created the request but returned no row.");
    return requestView(row);
  }

  /** A request as tools see it: its status derived, so a pending one past its expiry says expired. */
  async request(requestShortCode: string): Promise<Request> {
    return requestView(await requireRequest(this.api, requestShortCode, this.signal));
  }

  listSubmissions(
    filters: { application_id?: string | undefined; status?: readonly SubmissionStatus[] | undefined },
    page: PageRequest,
  ): Promise<Page<Submission>> {
    return fetchPage(this.api, tablePath(TABLES.submission), {
      filters,
      limit: page.limit,
      cursor: page.cursor,
      row: submissionRowSchema,
      signal: this.signal,
      build: ({ offset, limit: rows }) => {
        const q = query().select(columnsOf(submissionRowSchema));
        if (filters.application_id) q.eq("application_id", filters.application_id);
        if (filters.status) q.in("status", filters.status.map(statusToBackend));
        return q.order("submitted_at", "desc").order("id").offset(offset).limit(rows);
      },
    });
  }

  submission(id: string): Promise<Submission> {
    return requireSubmission(this.api, id, this.signal);
  }

  /**
   * Sets the status (and message) only while the status is still `from`, so a concurrent review is
   * not overwritten; answers undefined when it had moved.
   */
  async setSubmissionStatus(
    id: string,
    from: SubmissionStatus,
    to: ReceiverStatus,
    message: string | undefined,
  ): Promise<Submission | undefined> {
    const body: Record<string, unknown> = { status: statusToBackend(to) };
    if (message !== undefined) body.status_message = message;
    const response = await this.api.patch(tablePath(TABLES.submission), {
      query: query().select(columnsOf(submissionRowSchema)).eq("id", id).eq("status", statusToBackend(from)),
      body,
      prefer: ["return=representation"],
      schema: z.array(submissionRowSchema),
      signal: this.signal,
    });
    return response.data[0];
  }

  /** The submission answering a request, with its sealed records (never shown as they are). */
  submissionForRequest(requestShortCode: string): Promise<SubmissionWithRecords | undefined> {
    return findSubmissionForRequest(this.api, requestShortCode, this.signal);
  }

  /** Opens a submission's records with this account's keys (see DsmServices.openRecords). */
  openRecords(
    applicationId: string,
    records: readonly unknown[],
  ): Promise<Array<{ schema: string; value: unknown }>> {
    this.beforeOpening();
    return this.services.openRecords(this.api, applicationId, records);
  }
}
