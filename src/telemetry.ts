/**
 * What the server counts, as events, for whoever is listening: the HTTP transport installs a
 * Prometheus view of them (src/metrics.ts) when MCP_METRICS_PORT is set; otherwise nothing listens and
 * each event costs one call to an empty function. Kept free of any metrics library so the stdio start-up
 * never loads one.
 */
export interface Telemetry {
  /** A tool call ended: `outcome` is "ok" or the stable error code of its result. */
  toolCall(tool: string, outcome: string, seconds: number): void;
  /** A task entered `state` (created as working; completed, failed or cancelled at the end). */
  taskEntered(state: string): void;
  /** A sign-in on the authorization page ended: "ok" or the error code that refused it. */
  signIn(outcome: string): void;
  /** A request or connection was refused by the limit named. */
  rateLimited(limit: string): void;
  /** A state-store (Redis) operation failed. */
  storeError(operation: string): void;
  /** An HTTP request was answered. */
  httpRequest(route: string, method: string, status: number, seconds: number): void;
}

const NOTHING: Telemetry = {
  toolCall() {},
  taskEntered() {},
  signIn() {},
  rateLimited() {},
  storeError() {},
  httpRequest() {},
};

let listener: Telemetry = NOTHING;

export function telemetry(): Telemetry {
  return listener;
}

/** Installs `next` as the listener; the returned function puts the previous one back. */
export function setTelemetry(next: Telemetry): () => void {
  const previous = listener;
  listener = next;
  return () => {
    listener = previous;
  };
}
