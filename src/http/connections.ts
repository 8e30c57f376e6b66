import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "../logger.js";
import { telemetry } from "../telemetry.js";
import { rateLimitKey } from "./client-address.js";

/** How often Node looks for requests past their timeouts: well within the shortest one allowed. */
export function timeoutCheckIntervalMs(headersTimeoutSeconds: number): number {
  return Math.min(5_000, Math.max(250, (headersTimeoutSeconds * 1000) / 4));
}

/**
 * Caps the connections one peer address holds open at once, so a single host cannot exhaust the
 * server with idle or slow connections. A connection over the cap is closed before any byte is read.
 * IPv6 peers count by their /64 (one host holds a whole /64), IPv4-mapped ones as their IPv4 address.
 */
export function capConnectionsPerAddress(server: Server, max: number, logger: Logger): void {
  const open = new Map<string, number>();
  const capped = new Set<string>();
  server.on("connection", (socket: Socket) => {
    const address = rateLimitKey(socket.remoteAddress ?? "unknown");
    const count = open.get(address) ?? 0;
    if (count >= max) {
      telemetry().rateLimited("connections_per_address");
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

/**
 * Closes a connection that has not sent a complete request head in time. Node's own headersTimeout
 * starts counting only once a request has begun, so a connection that sends nothing, or a byte or two
 * ("G"), would otherwise stay open for good and hold a slot of the per-address cap (or, behind a proxy
 * where there is no cap, a socket). The clock starts at connect, and again each time the connection
 * goes back to waiting for a request: then it is `keepAliveMs` (Node closes a keep-alive connection idle
 * that long) plus `headersMs`, so a client using keep-alive as Node allows is never cut by this.
 */
export function closeConnectionsWithoutRequest(
  server: Server,
  options: { headersMs: number; keepAliveMs: number },
): void {
  const waiting = new WeakMap<Socket, NodeJS.Timeout>();
  const active = new WeakMap<Socket, number>();
  /** Bytes the connection had sent when it last went back to waiting for a request. */
  const readBefore = new WeakMap<Socket, number>();
  const arm = (socket: Socket, ms: number) => {
    clearTimeout(waiting.get(socket));
    const timer = setTimeout(() => {
      // Part of a request arrived: it is answered as Node answers a late one (408); nothing, just closed.
      const started = socket.bytesRead > (readBefore.get(socket) ?? 0);
      if (started && socket.writable)
        socket.write("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", () =>
          socket.destroy(),
        );
      else socket.destroy();
    }, ms);
    timer.unref();
    waiting.set(socket, timer);
  };
  server.on("connection", (socket: Socket) => {
    arm(socket, options.headersMs);
    socket.once("close", () => clearTimeout(waiting.get(socket)));
  });
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    clearTimeout(waiting.get(socket));
    active.set(socket, (active.get(socket) ?? 0) + 1);
    res.once("close", () => {
      const left = (active.get(socket) ?? 1) - 1;
      active.set(socket, left);
      if (left === 0 && !socket.destroyed) {
        readBefore.set(socket, socket.bytesRead);
        arm(socket, options.keepAliveMs + options.headersMs);
      }
    });
  });
}
