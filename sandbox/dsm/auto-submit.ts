import { createHash } from "node:crypto";
import type { PGlite } from "@electric-sql/pglite";
import { formPageSchema } from "../../src/dsm/projection.js";
import { random } from "../db/seed.js";
import { fakeFormData } from "./fake-data.js";
import { SubmitError, submitAnswer } from "./recipient.js";

/**
 * What the sandbox's person answers when no one says what: realistic fake data for the request's form,
 * the same for the same request. An unknown code gives an empty answer, which submitAnswer refuses.
 */
export async function fakeAnswer(db: PGlite, code: string): Promise<Record<string, unknown>> {
  const request = await db.query<{ pages: unknown; recipient_email: string }>(
    "select f.pages, r.recipient_email from api.dsm_request r join api.dsm_form f on f.id = r.form_id where r.request_short_code = $1",
    [code],
  );
  const row = request.rows[0];
  const pages = formPageSchema.array().parse(row?.pages ?? []);
  const seed = createHash("sha256").update(code).digest().readUInt32BE(0);
  return fakeFormData(pages, random(seed), row?.recipient_email);
}

/**
 * Plays the person who answers every new request: `delaySeconds` after a request is created it is
 * answered with fake data for its form, so a demo completes by itself. Only requests created after the
 * sandbox started count as new; seeded ones keep their state.
 */
export class AutoSubmitter {
  #delaySeconds: number | undefined;
  readonly #seen = new Set<string>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #startedAt = new Date();
  #scanning: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: PGlite,
    private readonly log: (line: string) => void,
    delaySeconds: number | undefined,
  ) {
    this.#delaySeconds = delaySeconds;
  }

  get delaySeconds(): number | undefined {
    return this.#delaySeconds;
  }

  /** undefined turns it off; requests already scheduled are still answered. */
  setDelay(seconds: number | undefined): void {
    this.#delaySeconds = seconds;
  }

  /** Looks for requests it has not seen yet; called after every successful request insert. */
  scan(): Promise<void> {
    if (this.#delaySeconds === undefined) return this.#scanning;
    const delay = this.#delaySeconds;
    this.#scanning = this.#scanning
      .then(() => this.#schedule(delay))
      .catch((error: unknown) => {
        this.log(`auto-submit: scan failed: ${String(error)}`);
      });
    return this.#scanning;
  }

  async #schedule(delay: number): Promise<void> {
    const fresh = await this.db.query<{ request_short_code: string }>(
      "select request_short_code from api.dsm_request where status = 'PENDING' and created_at >= $1 order by created_at",
      [this.#startedAt.toISOString()],
    );
    for (const { request_short_code: code } of fresh.rows) {
      if (this.#seen.has(code)) continue;
      this.#seen.add(code);
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        void this.#answer(code);
      }, delay * 1000);
      this.#timers.add(timer);
    }
  }

  async #answer(code: string): Promise<void> {
    try {
      const result = await submitAnswer(this.db, code, await fakeAnswer(this.db, code));
      this.log(`auto-submit: answered request ${code} with ${result.records} encrypted records`);
    } catch (error) {
      const why = error instanceof SubmitError ? error.message : String(error);
      this.log(`auto-submit: request ${code} not answered: ${why}`);
    }
  }

  stop(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
