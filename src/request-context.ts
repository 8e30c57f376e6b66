import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";

/**
 * What the process knows about the request it is serving right now: one HTTP request, or one JSON-RPC
 * request over stdio. It follows the work through every await (AsyncLocalStorage), so a log line written
 * deep inside a tool call carries the id of the request that caused it without each caller passing it
 * down, and the access log learns who made the request once the bearer token has been checked.
 */
export interface RequestContext {
  readonly requestId: string;
  /** The OAuth client, once known (HTTP). */
  clientId?: string;
  /** The person's Raytio subject, once known (HTTP); logged only as a hash. */
  subject?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** 16 hex characters: enough to tell requests apart in a day of logs, short enough to read. */
export function newRequestId(): string {
  return randomBytes(8).toString("hex");
}

export function runInRequest<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

/** Records who the current request acts for, for its access-log line. */
export function noteRequester(who: { clientId?: string; subject?: string }): void {
  const context = storage.getStore();
  if (!context) return;
  if (who.clientId !== undefined) context.clientId = who.clientId;
  if (who.subject !== undefined) context.subject = who.subject;
}
