import type { LoggingLevel } from "@modelcontextprotocol/server";
import { z } from "zod";
import { isLevelShown, LOGGING_LEVELS as LEVELS } from "../logging-levels.js";
import { type DsmWatch, watchDsmRequest } from "../subscriptions/dsm-watch.js";
import type { StateStore } from "./store.js";

/**
 * Server events for MCP clients, addressed to one session. An event is published on the state store's
 * channel with its session id; every replica hears it and only the one holding that session (and its
 * open GET stream) delivers it. Nothing is ever broadcast to every session.
 */
export { type DsmWatch, isLevelShown, watchDsmRequest };

export const EVENTS_CHANNEL = "mcp:events";

export const sessionEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("log"),
    sessionId: z.string(),
    level: z.enum(LEVELS as [LoggingLevel, ...LoggingLevel[]]),
    logger: z.string(),
    data: z.unknown(),
  }),
  z.object({ type: z.literal("closed"), sessionId: z.string() }),
  /** A task's new status, for notifications/tasks/status on the session that created the task. */
  z.object({ type: z.literal("task"), sessionId: z.string(), task: z.record(z.string(), z.unknown()) }),
]);
export type SessionEvent = z.infer<typeof sessionEventSchema>;

export function publishEvent(store: StateStore, event: SessionEvent): Promise<void> {
  return store.publish(EVENTS_CHANNEL, JSON.stringify(event));
}
