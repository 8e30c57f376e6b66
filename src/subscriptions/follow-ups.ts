import { requestUri } from "../catalogue/requests.js";
import type { RaytioApiClient } from "../raytio/api-client.js";
import type { AnyTool, ToolContext } from "../tools/core/tool.js";
import type { ChangeFeed } from "./feed.js";

export interface ChangeFollowUps {
  /** The principal's feed: its listen streams hear it, on every replica. */
  feed: ChangeFeed;
  api(): Promise<RaytioApiClient>;
  /**
   * Runs a watch for as long as its owner lives (the stdio process, or an HTTP principal until it is
   * evicted or the replica closes); the signal ends it with the owner.
   */
  watch(start: (signal: AbortSignal) => Promise<void>): void;
}

/**
 * A tool that declares a follow-up (send_request: watch for the person's answer) gets it here, for
 * 2026-07-28 clients: once the request is answered, cancelled or expires, the principal's feed says
 * that `raytio://requests/<code>` changed, and any listen stream subscribed to that URI is told. The
 * event names the request only; a client reads its status with resources/read.
 */
export function withChangeFollowUps(tool: AnyTool, followUps: ChangeFollowUps): AnyTool {
  return whenRequestSent(tool, (code, context) =>
    followUps.watch(async (signal) => {
      const { watchDsmRequest } = await import("./dsm-watch.js");
      await watchDsmRequest({
        api: await followUps.api(),
        logger: context.logger,
        code,
        intervalMs: context.config.pollIntervalSeconds * 1000,
        signal,
        hiddenTools: context.hiddenTools,
        onSettled: () => followUps.feed.publish({ kind: "resource_updated", uri: requestUri(code) }),
      });
    }),
  );
}

/**
 * The tool, calling `sent` with the short code after each call that sent a data request someone will
 * answer (its follow-up says to watch it); every other tool is returned as it is. Both eras' notices
 * start here: the 2025 sessions' logging messages and the 2026-07-28 change feed.
 */
export function whenRequestSent(
  tool: AnyTool,
  sent: (requestShortCode: string, context: ToolContext) => void,
): AnyTool {
  const followUp = tool.followUp;
  if (!followUp) return tool;
  return {
    ...tool,
    handler: async (input, context) => {
      const output = await tool.handler(input, context);
      const next = followUp(output);
      if (next?.kind === "watch_dsm_request") sent(next.requestShortCode, context);
      return output;
    },
  };
}
