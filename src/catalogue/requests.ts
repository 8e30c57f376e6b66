import {
  type McpServer,
  type RegisteredResourceTemplate,
  ResourceTemplate,
} from "@modelcontextprotocol/server";
import { RaytioError } from "../errors.js";
import type { RaytioApiClient } from "../raytio/api-client.js";
import { withoutHiddenMentions } from "../tools/core/mentions.js";

export const REQUEST_URI_TEMPLATE = "raytio://requests/{short_code}";
const REQUEST_URI = /^raytio:\/\/requests\/([A-Za-z0-9_-]{6,64})$/;

export function requestUri(shortCode: string): string {
  return `raytio://requests/${shortCode}`;
}

/** The short code a request URI names, or undefined for any other URI. */
export function requestCodeOf(uri: string): string | undefined {
  return REQUEST_URI.exec(uri)?.[1];
}

export interface RequestResourceSource {
  api(): Promise<RaytioApiClient>;
  /** Tools this principal does not expose: the text never points to them. */
  hiddenTools(): ReadonlySet<string>;
}

/**
 * Each data request the principal sent, as a resource a 2026-07-28 client can subscribe to on its
 * subscriptions/listen stream and read again when told it changed. Reading gives the request's status
 * only, read as list_requests reads it: never the submission, so nothing decrypted (and nothing the
 * person typed) is ever in it. Not listed: a person may have sent thousands, and list_requests pages them.
 */
export function registerRequestResources(
  server: McpServer,
  source: RequestResourceSource,
): RegisteredResourceTemplate {
  return server.registerResource(
    "raytio-requests",
    new ResourceTemplate(REQUEST_URI_TEMPLATE, { list: undefined }),
    {
      title: "Raytio data requests",
      description:
        "The status of a data request you sent (send_request): pending, submitted, expired or cancelled. Subscribe to it on subscriptions/listen to hear when the person answers; the data itself is decrypted only by poll_and_retrieve.",
      mimeType: "application/json",
    },
    async (uri, _variables, ctx) => {
      const code = requestCodeOf(uri.href);
      // The template matches any path segment; the short code's own shape is checked before any lookup.
      if (code === undefined)
        throw new RaytioError(
          "VALIDATION",
          `${uri.href} is not a data request: expected raytio://requests/<request_short_code>.`,
        );
      // Loaded on the first read, like the tools: the handshake never parses the DSM module.
      const [{ requireRequest }, { requestStatus }] = await Promise.all([
        import("../dsm/lookups.js"),
        import("../dsm/status.js"),
      ]);
      const row = await requireRequest(await source.api(), code, ctx.mcpReq.signal);
      const status = requestStatus(row.status, row.expires_at);
      const next =
        status === "submitted"
          ? `Answered. Call poll_and_retrieve with request_short_code ${code} to decrypt it.`
          : status === "pending"
            ? "Waiting for the person to answer."
            : status === "cancelled"
              ? "Cancelled; nothing was shared."
              : "Expired before it was answered.";
      const view = {
        request_short_code: row.request_short_code,
        status,
        expires_at: row.expires_at,
        created_at: row.created_at,
        application_id: row.application_id,
        form_id: row.form_id,
        next: withoutHiddenMentions(next, source.hiddenTools()),
      };
      return {
        contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(view, null, 2) }],
      };
    },
  );
}
