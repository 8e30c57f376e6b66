/**
 * What one principal's `subscriptions/listen` streams (2026-07-28) may hear about: a data request of
 * theirs changed, or a task of theirs changed status. An event names the thing and carries none of its
 * data; the replica holding the stream reads the current state itself (the request's status, the task as
 * tasks/get gives it) when it writes the notification. So nothing read from Raytio, and nothing
 * decrypted, ever travels through the feed, which over HTTP is a Redis channel shared by every replica.
 */
export type ChangeEvent =
  /** notifications/resources/updated for this URI (e.g. raytio://requests/{short_code}). */
  | { kind: "resource_updated"; uri: string }
  /** notifications/tasks for this task (io.modelcontextprotocol/tasks), with the task read again. */
  | { kind: "task_status"; taskId: string };

/** One principal's change events: the stdio process's, or one person and client's over HTTP. */
export interface ChangeFeed {
  publish(event: ChangeEvent): Promise<void>;
  /** Hears every event published for this principal, on any replica; returns the unsubscribe. */
  subscribe(listener: (event: ChangeEvent) => void): () => void;
}

/** The feed of a process that serves alone (stdio): its events never leave it. */
export class MemoryChangeFeed implements ChangeFeed {
  readonly #listeners = new Set<(event: ChangeEvent) => void>();

  async publish(event: ChangeEvent): Promise<void> {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch {
        // One stream failing to write must not keep the event from the others.
      }
    }
  }

  subscribe(listener: (event: ChangeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
