/**
 * What one audit record says. A record is written for every call of a tool that is not read-only (a
 * consequential act) and for every call that opened encrypted data, whatever its outcome. It holds
 * identifiers only: never an argument a person wrote (messages, names, notes), a decrypted value, a
 * password or a token. Which arguments are identifiers is decided by their schemas (./targets.ts).
 */

/**
 * What became of the question a person is asked before an act that reaches someone else: they
 * accepted, declined or cancelled it; it was not asked (the tool asks nothing for this call, or
 * RAYTIO_CONFIRM=never); or the client could not show it. The confirmation step reports it through
 * AuditCall.confirmed; an act the person declined or cancelled is recorded with outcome `declined`.
 */
export const CONFIRMATIONS = ["accepted", "declined", "cancelled", "not_asked", "unavailable"] as const;
export type Confirmation = (typeof CONFIRMATIONS)[number];

export type AuditOutcome = "done" | "declined" | "failed";

/** One identifier, or every identifier found at one path inside a list. */
export type AuditValue = string | string[];

/** Who acted: the Raytio user id (null when sign-in never succeeded) and the MCP client. */
export interface AuditActor {
  user: string | null;
  /** The OAuth client id over HTTP; `stdio` for a stdio server. */
  client: string;
}

export interface AuditEntry extends AuditActor {
  time: string;
  tool: string;
  /** `write` for a tool not annotated read-only; `read` for a read that opened encrypted data. */
  act: "write" | "read";
  /** True when the call opened (decrypted) a submission, whether or not that succeeded. */
  decrypted: boolean;
  /** Identifiers among the arguments, by argument path. */
  targets: Record<string, AuditValue>;
  /** Identifiers in the result (what the act created or changed); empty unless the outcome is done. */
  result: Record<string, AuditValue>;
  outcome: AuditOutcome;
  /** The stable error code of a failed or declined act. */
  code?: string;
  confirmation: Confirmation;
}

/** Where records go: a file, stderr, or nowhere. Appends are serialised so the chain never forks. */
export interface AuditLog {
  /** A path, `stderr` or `off`, for the start log. */
  readonly destination: string;
  append(entry: AuditEntry): Promise<void>;
}

/** What a transport gives every tool call: where records go and who is acting. */
export interface AuditTrail {
  log: AuditLog;
  actor(): AuditActor;
}

/**
 * Facts about one tool call that only the code running it learns: whether it opened encrypted data
 * and what the person answered when asked to confirm. Built per call; the record is written from it
 * once the call has an outcome.
 */
export class AuditCall {
  #confirmation: Confirmation = "not_asked";
  #decrypted = false;

  constructor(readonly trail: AuditTrail) {}

  /** The confirmation step's seam: the person's answer (or that the client cannot ask). */
  confirmed(answer: Confirmation): void {
    this.#confirmation = answer;
  }

  /** Called before a submission is opened, so a failed decryption is recorded too. */
  decrypting(): void {
    this.#decrypted = true;
  }

  get confirmation(): Confirmation {
    return this.#confirmation;
  }

  get decrypted(): boolean {
    return this.#decrypted;
  }
}
