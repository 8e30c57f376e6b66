import { RaytioError } from "../errors.js";

/** Resolves after `ms`, or rejects with CANCELLED as soon as the client cancels the call. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(cancelled());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function cancelled(): RaytioError {
  return new RaytioError("CANCELLED", "The request was cancelled by the client.");
}

export type PollState<T> = { done: true; value: T } | { done: false; expiresAt: number };

export interface PollOptions<T> {
  /** One look at the remote state; throws to stop (e.g. REQUEST_EXPIRED). */
  check(): Promise<PollState<T>>;
  waitMs: number;
  intervalMs: number;
  signal: AbortSignal;
  /** Called before each pause with the time waited so far (progress notifications). */
  onWaiting(elapsedMs: number): Promise<void>;
  now?: () => number;
}

export type PollOutcome<T> = { done: true; value: T; waitedMs: number } | { done: false; waitedMs: number };

/**
 * Checks, then pauses for the interval, until the check says done, the wait is used up, or the client
 * cancels. A pause never runs past the deadline or far past the remote expiry, so an expiry is
 * reported promptly rather than one interval late.
 */
export async function pollUntil<T>(options: PollOptions<T>): Promise<PollOutcome<T>> {
  const now = options.now ?? Date.now;
  const started = now();
  for (;;) {
    if (options.signal.aborted) throw cancelled();
    const state = await options.check();
    const elapsed = now() - started;
    if (state.done) return { done: true, value: state.value, waitedMs: elapsed };
    const remaining = options.waitMs - elapsed;
    if (remaining <= 0) return { done: false, waitedMs: elapsed };
    await options.onWaiting(elapsed);
    const untilExpiry = state.expiresAt - now() + 50;
    await sleep(Math.max(10, Math.min(options.intervalMs, remaining, untilExpiry)), options.signal);
  }
}
