import { z } from "zod";
import type { Config } from "../config.js";
import type { Credentials } from "../credentials.js";
import { AgentKeyring, type JsonValue, pbkdf2DerivationCount } from "../crypto/maxcryptor.js";
import { RaytioError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { RaytioApiClient } from "../raytio/api-client.js";
import { TABLES, tablePath } from "../raytio/paths.js";
import { query } from "../raytio/postgrest.js";
import {
  assertRecordBinding,
  isSealed,
  recordValue,
  type SharedRecord,
  sharedRecordSchema,
} from "./records.js";

export const userKeyRowSchema = z.object({
  user_id: z.string(),
  public_key: z.record(z.string(), z.unknown()),
  private_key: z.record(z.string(), z.unknown()),
});
export type UserKeyRow = z.infer<typeof userKeyRowSchema>;

export const applicationKeyRowSchema = z.object({ sealed_private_key: z.record(z.string(), z.unknown()) });

export const ENCRYPTION_PASSWORD_SETTING = "RAYTIO_AGENT_ENCRYPTION_PASSWORD";

/**
 * What the DSM tools share for the life of the process: one AgentKeyring (so the user key's PBKDF2 runs
 * once per process, docs/crypto.md "Opening a shared record"), the agent's key envelope and the sealed keys
 * of the applications it has opened. Keys exist only inside the keyring, as KeyObjects; what is cached
 * here is exactly what the API serves (public keys and ciphertext). Nothing here is ever sent anywhere
 * except the public key and sealed keys the tools write on purpose.
 */
export class DsmServices {
  readonly #config: Config;
  readonly #credentials: Credentials;
  readonly #logger: Logger;
  #keyring: AgentKeyring | undefined;
  #userKey: Promise<UserKeyRow> | undefined;
  readonly #applicationKeys = new Map<string, Promise<unknown>>();
  #derivationsLogged = 0;
  #passwordProof: Promise<void> | undefined;

  readonly #missingPasswordHint: string;

  constructor(options: {
    config: Config;
    /** Whose keys these are: only the encryption password is used, and only inside the keyring. */
    credentials: Credentials;
    logger: Logger;
    /** What to tell a person whose session has no encryption password (it differs between transports). */
    missingPasswordHint?: string;
  }) {
    this.#config = options.config;
    this.#credentials = options.credentials;
    this.#logger = options.logger;
    this.#missingPasswordHint =
      options.missingPasswordHint ??
      `Set ${ENCRYPTION_PASSWORD_SETTING} to the agent account's Raytio encryption password (in the environment or the config file) and restart the server.`;
  }

  /** RSA size for new application keys; anything below the default is said aloud, never silent. */
  get keyBits(): number {
    const bits = this.#config.dsmKeyBits;
    if (bits < 4096) {
      this.#logger.warn(
        `RAYTIO_DSM_KEY_BITS=${bits}: new access applications get ${bits}-bit keys (meant for tests).`,
      );
    }
    return bits;
  }

  /** Fails before any waiting or fetching when the encryption password is not configured. */
  requireEncryptionPassword(): void {
    if (this.#credentials.encryptionPassword) return;
    throw new RaytioError(
      "DSM_VALIDATION",
      `No encryption password is available, so submissions cannot be decrypted. ${this.#missingPasswordHint}`,
      { details: { setting: ENCRYPTION_PASSWORD_SETTING } },
    );
  }

  #keyringInstance(): AgentKeyring {
    this.requireEncryptionPassword();
    this.#keyring ??= new AgentKeyring({ encryptionPassword: this.#credentials.encryptionPassword ?? "" });
    return this.#keyring;
  }

  /**
   * The agent's own key row (public JWK and password envelope), fetched once per process. Shared
   * fetches run without the caller's signal so one cancelled call cannot fail another; a failure is
   * not cached.
   */
  userKey(api: RaytioApiClient): Promise<UserKeyRow> {
    if (!this.#userKey) {
      const fetching = api
        .get(tablePath(TABLES.userKey), {
          query: query().select(["user_id", "public_key", "private_key"]).limit(1),
          schema: z.array(userKeyRowSchema),
        })
        .then((response) => {
          const row = response.data[0];
          if (!row) {
            throw new RaytioError(
              "DSM_VALIDATION",
              "This account has no encryption key pair in Raytio, so it can neither own access applications nor decrypt submissions. Set up encryption for the account in Raytio first.",
            );
          }
          return row;
        });
      this.#userKey = fetching;
      fetching.catch(() => {
        if (this.#userKey === fetching) this.#userKey = undefined;
      });
    }
    return this.#userKey;
  }

  /** The application's private key sealed to this account, fetched once per application. */
  #sealedApplicationKey(api: RaytioApiClient, applicationId: string): Promise<unknown> {
    let cached = this.#applicationKeys.get(applicationId);
    if (!cached) {
      const fetching = api
        .get(tablePath(TABLES.accessApplicationKey), {
          query: query().select("sealed_private_key").eq("application_id", applicationId).limit(1),
          schema: z.array(applicationKeyRowSchema),
        })
        .then((response) => {
          const row = response.data[0];
          if (!row) {
            throw new RaytioError(
              "WRONG_KEY",
              `Application key (application ${applicationId}): this account holds no copy of the access application's private key, so it cannot decrypt the application's submissions. Ask the application's owner to share the application with this account.`,
              { details: { step: "application_key", applicationId } },
            );
          }
          return row.sealed_private_key;
        });
      cached = fetching;
      this.#applicationKeys.set(applicationId, fetching);
      fetching.catch(() => {
        if (this.#applicationKeys.get(applicationId) === fetching)
          this.#applicationKeys.delete(applicationId);
      });
    }
    return cached;
  }

  /**
   * Opens a submission's records (docs/crypto.md "Opening a shared record"): user key (PBKDF2 once per
   * process), application key (once per application), then each record. Returns each instance's value
   * with its schema, in record order.
   */
  async openRecords(
    api: RaytioApiClient,
    applicationId: string,
    records: readonly unknown[],
  ): Promise<Array<{ schema: string; value: unknown }>> {
    const keyring = this.#keyringInstance();
    const parsed = records.map((record, index) => {
      const result = sharedRecordSchema.safeParse(record);
      if (!result.success) {
        throw new RaytioError(
          "UNSUPPORTED_ENVELOPE",
          `Record ${index + 1} of the submission is not a shared record (n_id, schema_name, properties, encrypted_data, encrypted_key).`,
          { details: { step: "record", index } },
        );
      }
      return result.data;
    });
    const sealed = parsed.filter(isSealed);
    if (sealed.length === 0)
      return parsed.map((record) => ({ schema: record.schema_name, value: recordValue(record, undefined) }));

    const [user, applicationKey] = await Promise.all([
      this.userKey(api),
      this.#sealedApplicationKey(api, applicationId),
    ]);
    await this.#openUserKey(keyring, user.private_key);

    const values: Array<{ schema: string; value: unknown }> = [];
    for (const record of parsed) {
      values.push({
        schema: record.schema_name,
        value: recordValue(record, await this.#open(keyring, record, user, applicationId, applicationKey)),
      });
    }
    return values;
  }

  async #open(
    keyring: AgentKeyring,
    record: SharedRecord,
    user: UserKeyRow,
    applicationId: string,
    applicationKey: unknown,
  ): Promise<JsonValue | undefined> {
    if (!isSealed(record)) return undefined;
    assertRecordBinding(record);
    return keyring.openRecord({
      userKey: user.private_key,
      applicationId,
      applicationKey,
      record: {
        n_id: record.n_id,
        encrypted_data: record.encrypted_data,
        encrypted_key: record.encrypted_key,
      },
    });
  }

  /** Opens the agent's own private key (step 1 only): what --check runs to prove the encryption password. */
  async verifyEncryptionPassword(api: RaytioApiClient): Promise<void> {
    const keyring = this.#keyringInstance();
    const user = await this.userKey(api);
    await this.#openUserKey(keyring, user.private_key);
  }

  /**
   * Proves the encryption password once per process by opening the agent's own key, and shares the
   * outcome: the server starts it in the background at start-up, and every DSM write that creates
   * something a person will answer awaits it first, so a wrong password is refused (DECRYPTION_FAILED,
   * user-key step) before an application, form or request exists whose data could never be opened.
   * A wrong password stays the answer; a transient failure (network, sign-in) is tried again next time.
   * With no password configured there is nothing to prove (retrieval says what to set).
   */
  proveEncryptionPassword(api: RaytioApiClient): Promise<void> {
    if (!this.#credentials.encryptionPassword) return Promise.resolve();
    if (!this.#passwordProof) {
      const proving = this.verifyEncryptionPassword(api);
      this.#passwordProof = proving;
      proving.catch((error: unknown) => {
        const wrongPassword = error instanceof RaytioError && error.code === "DECRYPTION_FAILED";
        if (!wrongPassword && this.#passwordProof === proving) this.#passwordProof = undefined;
      });
    }
    return this.#passwordProof;
  }

  /**
   * Step 1 on its own, so every PBKDF2 run is logged once (debug, on stderr): the observable proof
   * that a second retrieval does not derive again. The count is the crypto module's own.
   */
  async #openUserKey(keyring: AgentKeyring, envelope: unknown): Promise<void> {
    try {
      await keyring.openUserKey(envelope);
    } finally {
      const total = pbkdf2DerivationCount();
      if (total > this.#derivationsLogged) {
        const iterations = (envelope as { kdf?: { iterations?: unknown } }).kdf?.iterations;
        this.#logger.debug("PBKDF2 derivation of the user key from the encryption password", {
          derivationsInProcess: total,
          iterations,
        });
        this.#derivationsLogged = total;
      }
    }
  }
}
