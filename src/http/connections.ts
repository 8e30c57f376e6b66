import type { Server } from "node:http";
import type { Logger } from "../logger.js";

/** How often Node looks for requests past their timeouts: well within the shortest one allowed. */
export function timeoutCheckIntervalMs(headersTimeoutSeconds: number): number {
  return Math.min(5_000, Math.max(250, (headersTimeoutSeconds * 1000) / 4));
}

/**
 * Caps the connections one peer address holds open at once, so a single host cannot exhaust the
 * server with idle or slow connections. A connection over the cap is closed before any byte is read.
 */
export function capConnectionsPerAddress(server: Server, max: number, logger: Logger): void {
  const open = new Map<string, number>();
  const capped = new Set<string>();
  server.on("connection", (socket) => {
    const address = socket.remoteAddress ?? "unknown";
    const count = open.get(address) ?? 0;
    if (count >= max) {
      // One line per episode, not one per refused connection: a flood must not flood the log too.
      if (!capped.has(address)) {
        capped.add(address);
        logger.warn("Refusing connections over the per-address cap", { ip: address, max });
      }
      socket.destroy();
      return;
    }
    open.set(address, count + 1);
    socket.once("close", () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
      capped.delete(address);
    });
  });
}
