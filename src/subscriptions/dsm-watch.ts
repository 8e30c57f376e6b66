import type { LoggingLevel } from "@modelcontextprotocol/server";
import { requireRequest } from "../dsm/lookups.js";
import { sleep } from "../dsm/poll.js";
import { requestStatus } from "../dsm/status.js";
import { isRaytioError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { RaytioApiClient } from "../raytio/api-client.js";
import { withoutHiddenMentions } from "../tools/core/mentions.js";

/**
 * Watching a data request a principal sent until the person answers it. Used by both eras: a 2025-era
 * HTTP session hears a logging message (src/http/sessions.ts), a 2026-07-28 client a resource update on
 * its subscriptions/listen stream (src/subscriptions/follow-ups.ts).
 */
export interface DsmWatch {
  api: RaytioApiClient;
  logger: Logger;
  code: string;
  intervalMs: number;
  signal: AbortSignal;
  /** Tools this session does not expose: the message never points to them. */
  hiddenTools: ReadonlySet<string>;
  /** Called once, when the request is answered, cancelled or expires. */
  onSettled(event: { level: LoggingLevel; data: Record<string, unknown> }): Promise<void>;
}

/**
 * Follows one DSM request the session sent until the person answers it (or it is cancelled or
 * expires), then tells that session. It reads only the request's status, never the submission, so
 * nothing decrypted ever travels in a notification.
 */
export async function watchDsmRequest(watch: DsmWatch): Promise<void> {
  const { code, signal } = watch;
  let failures = 0;
  for (;;) {
    try {
      await sleep(watch.intervalMs * Math.min(2 ** failures, 16), signal);
      const row = await requireRequest(watch.api, code, signal);
      failures = 0;
      const status = requestStatus(row.status, row.expires_at);
      if (status === "pending") continue;
      const message = withoutHiddenMentions(
        status === "submitted"
          ? `Data request ${code} was answered. Call poll_and_retrieve with request_short_code ${code} to decrypt it.`
          : status === "cancelled"
            ? `Data request ${code} was cancelled; nothing was shared.`
            : `Data request ${code} expired at ${row.expires_at} before it was answered.`,
        watch.hiddenTools,
      );
      await watch.onSettled({
        level: status === "submitted" ? "notice" : "warning",
        data: { event: `dsm_request_${status}`, request_short_code: code, status, message },
      });
      return;
    } catch (error) {
      if (signal.aborted || (isRaytioError(error) && error.code === "CANCELLED")) return;
      if (isRaytioError(error) && (error.code === "DSM_NOT_FOUND" || error.code === "AUTH_FAILED")) {
        watch.logger.warn("Stopped watching a data request", { request: code, reason: error.code });
        return;
      }
      failures += 1;
    }
  }
}
