import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair as generateKeyPairCallback,
  KeyObject,
  pbkdf2 as pbkdf2Callback,
  randomBytes,
} from "node:crypto";
import { inspect, promisify } from "node:util";
import { RaytioError } from "../errors.js";
import { encodeBase64 } from "./base64.js";
import {
  type DataEnvelope,
  GCM_IV_BYTES,
  GCM_TAG_BYTES,
  type KdfHash,
  MAX_PBKDF2_ITERATIONS,
  type ParsedDataEnvelope,
  type ParsedPasswordEnvelope,
  type ParsedSealedValue,
  type PasswordEnvelope,
  parseDataEnvelope,
  parsePasswordEnvelope,
  parseSealedValue,
  type SealedValue,
} from "./envelopes.js";
import {
  DEK_BYTES,
  type KeyWithId,
  keyIdOf,
  keyIdOfNumbers,
  publicJwkNumbers,
  rememberKeyId,
  unwrapDek,
  WADEK_ALG,
  wrapDek,
} from "./wadek.js";

/**
 * Maxcryptor v1 as fixed by docs/crypto.md: user and application RSA key pairs, password envelopes
 * for a user's private key, sealed values (a fresh AES-256-GCM data key per value, wrapped to the
 * recipient with RSA-OAEP-256) and the AgentKeyring that opens shared records the way
 * `poll_and_retrieve` needs. Only node:crypto is used. Private keys exist only as KeyObjects in memory.
 */

export type { DataEnvelope, KdfHash, PasswordEnvelope, SealedValue } from "./envelopes.js";
export { type KeyWithId, keyIdOf } from "./wadek.js";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export const DEFAULT_RSA_BITS = 4096;
export const MIN_RSA_BITS = 2048;
export const DEFAULT_PBKDF2_ITERATIONS = 600_000;
export const DEFAULT_KDF_HASH: KdfHash = "SHA-256";
export const SALT_BYTES = 16;
const AES_KEY_BYTES = 32;

const pbkdf2 = promisify(pbkdf2Callback);
const generateRsaKeyPair = promisify(generateKeyPairCallback);

// ---------------------------------------------------------------------------------------------- keys

export interface PublicJwk {
  kty: "RSA";
  alg: typeof WADEK_ALG;
  use: "enc";
  kid: string;
  n: string;
  e: string;
}

export interface RsaKeyPair {
  publicJwk: PublicJwk;
  publicKey: KeyObject;
  privateKey: KeyObject;
  kid: string;
}

/** A public key to seal to: a JWK as the API serves it, or a KeyObject (a private one stands for its public half). */
export type Recipient = PublicJwk | KeyObject;

/** The public JWK for an RSA key, with `alg`, `use` and the thumbprint `kid` the spec requires. */
export function publicJwkOf(key: KeyObject): PublicJwk {
  const { n, e } = publicJwkNumbers(key);
  return { kty: "RSA", alg: WADEK_ALG, use: "enc", kid: keyIdOf(key), n, e };
}

/** Generates an RSA-OAEP key pair (4096 bits unless `bits` says otherwise; at least 2048). */
export async function generateKeyPair(options: { bits?: number } = {}): Promise<RsaKeyPair> {
  const bits = options.bits ?? DEFAULT_RSA_BITS;
  if (!Number.isInteger(bits) || bits < MIN_RSA_BITS || bits % 8 !== 0) {
    throw new RaytioError(
      "VALIDATION",
      `RSA keys must be a whole number of bytes and at least ${MIN_RSA_BITS} bits.`,
      {
        details: { field: "bits" },
      },
    );
  }
  const { publicKey, privateKey } = await generateRsaKeyPair("rsa", {
    modulusLength: bits,
    publicExponent: 0x10001,
  });
  const publicJwk = publicJwkOf(publicKey);
  rememberKeyId(privateKey, publicJwk.kid);
  return { publicJwk, publicKey, privateKey, kid: publicJwk.kid };
}

/** PKCS#8 DER bytes of a private key: what password envelopes and sealed application keys carry. */
export function exportPrivateKey(privateKey: KeyObject): Buffer {
  if (privateKey.type !== "private") {
    throw new RaytioError("VALIDATION", "Expected a private key.", { details: { field: "privateKey" } });
  }
  return privateKey.export({ format: "der", type: "pkcs8" });
}

/** Loads PKCS#8 DER bytes as an RSA private KeyObject; `label` names the key in errors. */
export function importPrivateKey(der: Uint8Array, label = "Private key"): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({
      key: Buffer.from(der.buffer, der.byteOffset, der.byteLength),
      format: "der",
      type: "pkcs8",
    });
  } catch {
    throw new RaytioError("UNSUPPORTED_ENVELOPE", `${label}: the plaintext is not a PKCS#8 private key.`);
  }
  if (key.asymmetricKeyType !== "rsa") {
    throw new RaytioError("UNSUPPORTED_ENVELOPE", `${label}: only RSA private keys are supported.`);
  }
  return key;
}

/** Validates a public JWK (kty RSA; alg/use as the spec says if present; kid must be its thumbprint). */
export function importPublicJwk(jwk: unknown): KeyWithId {
  if (typeof jwk !== "object" || jwk === null) {
    throw new RaytioError("UNSUPPORTED_ENVELOPE", "Public key is not a JWK object.", {
      details: { field: "jwk" },
    });
  }
  const { kty, alg, use, kid, n, e } = jwk as Record<string, unknown>;
  const reject = (field: string, what: string) =>
    new RaytioError("UNSUPPORTED_ENVELOPE", `Public key: ${what}.`, { details: { field: `jwk.${field}` } });
  if (kty !== "RSA") throw reject("kty", 'unsupported jwk.kty (supported: "RSA")');
  if (alg !== undefined && alg !== WADEK_ALG)
    throw reject("alg", `unsupported jwk.alg (supported: "${WADEK_ALG}")`);
  if (use !== undefined && use !== "enc") throw reject("use", 'unsupported jwk.use (supported: "enc")');
  if (typeof n !== "string" || typeof e !== "string")
    throw reject("n", "jwk.n and jwk.e must be base64url strings");
  let key: KeyObject;
  try {
    key = createPublicKey({ key: { kty: "RSA", n, e }, format: "jwk" });
  } catch {
    throw reject("n", "jwk.n and jwk.e are not a valid RSA public key");
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) throw reject("n", `the modulus must be at least ${MIN_RSA_BITS} bits`);
  const thumbprint = keyIdOfNumbers({ n, e });
  if (kid !== undefined && kid !== thumbprint) {
    throw new RaytioError("WRONG_KEY", "Public key: jwk.kid is not the RFC 7638 thumbprint of the key.", {
      details: { field: "jwk.kid", expectedKid: thumbprint },
    });
  }
  rememberKeyId(key, thumbprint);
  return { key, kid: thumbprint };
}

function recipientKey(recipient: Recipient): KeyWithId {
  if (recipient instanceof KeyObject) {
    const key = recipient.type === "private" ? createPublicKey(recipient) : recipient;
    return { key, kid: keyIdOf(recipient) };
  }
  return importPublicJwk(recipient);
}

function privateKeyWithId(privateKey: KeyObject): KeyWithId {
  if (privateKey.type !== "private") {
    throw new RaytioError("VALIDATION", "Expected a private key.", { details: { field: "privateKey" } });
  }
  return { key: privateKey, kid: keyIdOf(privateKey) };
}

// ------------------------------------------------------------------------------------------- AES-GCM

function gcmEncrypt(
  key: Uint8Array,
  plaintext: Uint8Array,
  aad: string | undefined,
): { iv: string; ct: string } {
  const iv = randomBytes(GCM_IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: GCM_TAG_BYTES });
  if (aad !== undefined) cipher.setAAD(Buffer.from(aad, "utf8"));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { iv: encodeBase64(iv), ct: encodeBase64(ct) };
}

function gcmDecrypt(
  key: Uint8Array,
  sealed: Pick<ParsedDataEnvelope, "iv" | "ciphertext" | "tag" | "aad">,
  failure: () => RaytioError,
): Buffer {
  let partial: Buffer | undefined;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, sealed.iv, { authTagLength: GCM_TAG_BYTES });
    decipher.setAuthTag(sealed.tag);
    if (sealed.aad !== undefined) decipher.setAAD(Buffer.from(sealed.aad, "utf8"));
    partial = decipher.update(sealed.ciphertext);
    return Buffer.concat([partial, decipher.final()]);
  } catch {
    // update() hands out plaintext before the tag is checked; none of it may outlive a failed check.
    partial?.fill(0);
    throw failure();
  }
}

// ---------------------------------------------------------------------------------- password envelopes

export interface PasswordEnvelopeOptions {
  /** PBKDF2 iterations for a new envelope; 600,000 unless a test needs speed. */
  iterations?: number;
  hash?: KdfHash;
}

let pbkdf2Derivations = 0;

/** How many PBKDF2 derivations this process has run (the expensive step the AgentKeyring exists to avoid). */
export function pbkdf2DerivationCount(): number {
  return pbkdf2Derivations;
}

const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function passwordBytes(password: string): Buffer {
  if (typeof password !== "string" || LONE_SURROGATE.test(password)) {
    // UTF-8 would turn a lone surrogate into U+FFFD, so distinct passwords would derive the same key.
    throw new RaytioError("VALIDATION", "The encryption password must be a well-formed Unicode string.", {
      details: { field: "password" },
    });
  }
  // Spec: NFC, so that the same password typed on different keyboards/OSes derives the same key.
  return Buffer.from(password.normalize("NFC"), "utf8");
}

async function deriveKey(
  password: Uint8Array,
  kdf: Pick<ParsedPasswordEnvelope, "hash" | "iterations" | "salt">,
) {
  pbkdf2Derivations += 1;
  // The async form runs on the libuv pool: 600k iterations take long enough to stall every other request.
  return pbkdf2(
    password,
    kdf.salt,
    kdf.iterations,
    AES_KEY_BYTES,
    kdf.hash === "SHA-512" ? "sha512" : "sha256",
  );
}

const USER_KEY_LABEL = "User key";
const userKeyFailure = () =>
  new RaytioError(
    "DECRYPTION_FAILED",
    `${USER_KEY_LABEL}: AES-GCM authentication failed, so the encryption password is wrong or the key envelope ` +
      "was altered (check RAYTIO_AGENT_ENCRYPTION_PASSWORD).",
    { details: { step: "user_key" } },
  );

/** Locks `plaintext` (normally PKCS#8 bytes) under a password: PBKDF2 → AES-256-GCM. */
export async function createPasswordEnvelope(
  plaintext: Uint8Array,
  password: string,
  options: PasswordEnvelopeOptions = {},
): Promise<PasswordEnvelope> {
  const iterations = options.iterations ?? DEFAULT_PBKDF2_ITERATIONS;
  const hash = options.hash ?? DEFAULT_KDF_HASH;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) {
    throw new RaytioError(
      "VALIDATION",
      `PBKDF2 iterations must be a whole number from 1 to ${MAX_PBKDF2_ITERATIONS}.`,
      {
        details: { field: "iterations" },
      },
    );
  }
  if (hash !== "SHA-256" && hash !== "SHA-512") {
    throw new RaytioError("VALIDATION", "Unsupported kdf.hash (supported: SHA-256, SHA-512).", {
      details: { field: "kdf.hash" },
    });
  }
  if (password === "") {
    throw new RaytioError("VALIDATION", "The encryption password must not be empty.", {
      details: { field: "password" },
    });
  }
  const secret = passwordBytes(password);
  const salt = randomBytes(SALT_BYTES);
  const key = await deriveKey(secret, { hash, iterations, salt });
  try {
    const { iv, ct } = gcmEncrypt(key, plaintext, undefined);
    return {
      v: 1,
      kind: "password",
      kdf: { alg: "PBKDF2", hash, iterations, salt: encodeBase64(salt) },
      enc: "A256GCM",
      iv,
      ct,
    };
  } finally {
    key.fill(0);
    secret.fill(0);
  }
}

async function openParsedPasswordEnvelope(
  parsed: ParsedPasswordEnvelope,
  password: Uint8Array,
): Promise<Buffer> {
  const key = await deriveKey(password, parsed);
  try {
    return gcmDecrypt(key, { ...parsed, aad: undefined }, userKeyFailure);
  } finally {
    key.fill(0);
  }
}

/** Opens a `password` envelope with every parameter read from the envelope itself; returns the plaintext. */
export async function openPasswordEnvelope(envelope: unknown, password: string): Promise<Buffer> {
  const parsed = withStep(() => parsePasswordEnvelope(envelope), { label: USER_KEY_LABEL, step: "user_key" });
  const secret = passwordBytes(password);
  try {
    return await openParsedPasswordEnvelope(parsed, secret);
  } finally {
    secret.fill(0);
  }
}

/** A user's private key as its `password` envelope. */
export async function lockPrivateKey(
  privateKey: KeyObject,
  password: string,
  options: PasswordEnvelopeOptions = {},
): Promise<PasswordEnvelope> {
  const der = exportPrivateKey(privateKey);
  try {
    return await createPasswordEnvelope(der, password, options);
  } finally {
    der.fill(0);
  }
}

/** Opens a user's private key from its `password` envelope. */
export async function unlockPrivateKey(envelope: unknown, password: string): Promise<KeyObject> {
  const der = await openPasswordEnvelope(envelope, password);
  try {
    return importPrivateKey(der, USER_KEY_LABEL);
  } finally {
    der.fill(0);
  }
}

// ------------------------------------------------------------------------------- data and sealed values

interface Step {
  /** Starts every message, e.g. "Record 123"; tells the reader which step of the chain failed. */
  label: string;
  step: "user_key" | "application_key" | "record" | "value";
  details?: Record<string, unknown>;
}

/** Re-labels a RaytioError with the step it happened in, so parse errors also say which object was bad. */
function withStep<T>(run: () => T, step: Step): T {
  try {
    return run();
  } catch (error) {
    if (!(error instanceof RaytioError)) throw error;
    const message = error.message.startsWith(step.label) ? error.message : `${step.label}: ${error.message}`;
    throw new RaytioError(error.code, message, {
      details: { ...error.details, step: step.step, ...step.details },
    });
  }
}

const VALUE_STEP: Step = { label: "Sealed value", step: "value" };

export interface DataOptions {
  /** Additional authenticated data: bound to the ciphertext, stored in clear in the envelope. */
  aad?: string;
}

/** Encrypts `plaintext` under a 32-byte data key as a `data` envelope with a fresh random IV. */
export function encryptData(plaintext: Uint8Array, dek: Uint8Array, options: DataOptions = {}): DataEnvelope {
  if (dek.length !== DEK_BYTES)
    throw new RaytioError("INTERNAL_ERROR", `A data key must be ${DEK_BYTES} bytes.`);
  const { iv, ct } = gcmEncrypt(dek, plaintext, options.aad);
  const envelope: DataEnvelope = { v: 1, kind: "data", enc: "A256GCM", iv, ct };
  if (options.aad !== undefined) envelope.aad = options.aad;
  return envelope;
}

function decryptParsedData(data: ParsedDataEnvelope, dek: Uint8Array, step: Step): Buffer {
  return gcmDecrypt(
    dek,
    data,
    () =>
      new RaytioError(
        "DECRYPTION_FAILED",
        `${step.label}: AES-GCM authentication failed; the ciphertext, IV, tag or aad was altered or the data key is wrong.`,
        { details: { step: step.step, ...step.details } },
      ),
  );
}

/** Decrypts a `data` envelope with its data key. */
export function decryptData(envelope: unknown, dek: Uint8Array): Buffer {
  const parsed = withStep(() => parseDataEnvelope(envelope), VALUE_STEP);
  if (dek.length !== DEK_BYTES)
    throw new RaytioError("INTERNAL_ERROR", `A data key must be ${DEK_BYTES} bytes.`);
  return decryptParsedData(parsed, dek, VALUE_STEP);
}

/** Seals raw bytes to a recipient: fresh DEK and IV, `{encrypted_data, encrypted_key}`. */
export function sealBytes(bytes: Uint8Array, recipient: Recipient, options: DataOptions = {}): SealedValue {
  const to = recipientKey(recipient);
  const dek = randomBytes(DEK_BYTES);
  try {
    return { encrypted_data: encryptData(bytes, dek, options), encrypted_key: wrapDek(dek, to) };
  } finally {
    dek.fill(0);
  }
}

/** Seals a JSON value (its UTF-8 JSON text is the plaintext) to a recipient. */
export function sealValue(value: JsonValue, recipient: Recipient, options: DataOptions = {}): SealedValue {
  const text = JSON.stringify(value);
  if (typeof text !== "string") {
    throw new RaytioError("VALIDATION", "Only JSON values can be sealed.", { details: { field: "value" } });
  }
  const bytes = Buffer.from(text, "utf8");
  try {
    return sealBytes(bytes, recipient, options);
  } finally {
    bytes.fill(0);
  }
}

/** Seals a private key (its PKCS#8 bytes, raw) to a recipient: how application keys are stored and shared. */
export function sealPrivateKey(privateKey: KeyObject, recipient: Recipient): SealedValue {
  const der = exportPrivateKey(privateKey);
  try {
    return sealBytes(der, recipient);
  } finally {
    der.fill(0);
  }
}

function openParsedSealed(sealed: ParsedSealedValue, privateKey: KeyWithId, step: Step): Buffer {
  const dek = withStep(() => unwrapDek(sealed.key, privateKey, step.label), step);
  try {
    return decryptParsedData(sealed.data, dek, step);
  } finally {
    dek.fill(0);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function parseJsonPlaintext(bytes: Buffer, step: Step): JsonValue {
  try {
    return JSON.parse(utf8.decode(bytes)) as JsonValue;
  } catch {
    // Authentic but unreadable: the producer wrote something other than UTF-8 JSON.
    throw new RaytioError(
      "UNSUPPORTED_ENVELOPE",
      `${step.label}: the decrypted plaintext is not UTF-8 JSON.`,
      {
        details: { step: step.step, ...step.details },
      },
    );
  } finally {
    bytes.fill(0);
  }
}

export interface OpenOptions {
  /** Names what is being opened in error messages, e.g. "Record abc". Must not contain secrets. */
  label?: string;
}

function stepFor(options: OpenOptions): Step {
  return options.label === undefined ? VALUE_STEP : { label: options.label, step: "value" };
}

/** Opens a sealed value whose plaintext is raw bytes. */
export function openSealedBytes(sealed: unknown, privateKey: KeyObject, options: OpenOptions = {}): Buffer {
  const step = stepFor(options);
  const parsed = withStep(() => parseSealedValue(sealed), step);
  return openParsedSealed(parsed, privateKeyWithId(privateKey), step);
}

/** Opens a sealed JSON value. */
export function openSealedValue(
  sealed: unknown,
  privateKey: KeyObject,
  options: OpenOptions = {},
): JsonValue {
  const step = stepFor(options);
  return parseJsonPlaintext(openSealedBytes(sealed, privateKey, options), step);
}

/** Opens a sealed private key (PKCS#8 bytes), e.g. an application's key sealed to its owner. */
export function openSealedPrivateKey(
  sealed: unknown,
  privateKey: KeyObject,
  options: OpenOptions = {},
): KeyObject {
  const step = stepFor(options);
  const der = openSealedBytes(sealed, privateKey, options);
  try {
    return withStep(() => importPrivateKey(der, step.label), step);
  } finally {
    der.fill(0);
  }
}

// ------------------------------------------------------------------------------------------ the keyring

/** What `poll_and_retrieve` has in hand for one shared record. */
export interface SharedRecordInput {
  /** The user's private key as its `password` envelope. */
  userKey: unknown;
  /** The access application the record was shared with. */
  applicationId: string;
  /** The application's private key, sealed to the user's public key. */
  applicationKey: unknown;
  /** `{ n_id, encrypted_data, encrypted_key }`. */
  record: unknown;
}

export interface KeyringStats {
  /** PBKDF2 derivations this keyring ran: one per distinct user-key envelope, however many records. */
  pbkdf2Derivations: number;
  userKeysOpened: number;
  applicationKeysOpened: number;
  recordsOpened: number;
  cachedUserKeys: number;
  cachedApplicationKeys: number;
}

interface CachedApplicationKey {
  /** Digest of the sealed key and the user key id it was opened with; a different one is opened afresh. */
  source: string;
  key: Promise<KeyWithId>;
}

function digest(parts: ReadonlyArray<string | Uint8Array>): string {
  // Length-prefixed so that no two different part lists hash the same bytes.
  const hash = createHash("sha256");
  for (const part of parts) {
    const bytes = typeof part === "string" ? Buffer.from(part, "utf8") : part;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length).update(bytes);
  }
  return hash.digest("base64url");
}

function sealedDigest(sealed: ParsedSealedValue): string {
  const { data, key } = sealed;
  return digest([
    data.iv,
    data.ciphertext,
    data.tag,
    data.aad === undefined ? "-" : `+${data.aad}`,
    key.kid,
    key.wrapped,
  ]);
}

function clip(id: string): string {
  return id.length > 100 ? `${id.slice(0, 100)}…` : id;
}

/**
 * The agent's keys for the DSM flow of docs/crypto.md "Opening a shared record". One per process, built from
 * RAYTIO_AGENT_ENCRYPTION_PASSWORD:
 * - a user key is derived (PBKDF2) once per distinct envelope, cached by a digest of the envelope, never
 *   by the password; concurrent first calls share one derivation; a wrong password is remembered too,
 *   because it stays wrong until the process restarts with a new one;
 * - an application's key is unwrapped once and cached per application id for the life of the process;
 * - records are then one RSA-OAEP unwrap and one AES-GCM decrypt each.
 * Keys stay in memory as KeyObjects; the password is held as bytes in a private field and the keyring
 * prints as counts only.
 */
export class AgentKeyring {
  readonly #password: Buffer;
  readonly #userKeys = new Map<string, Promise<KeyWithId>>();
  readonly #applicationKeys = new Map<string, CachedApplicationKey>();
  readonly #stats = { pbkdf2Derivations: 0, userKeysOpened: 0, applicationKeysOpened: 0, recordsOpened: 0 };

  constructor(options: { encryptionPassword: string }) {
    this.#password = passwordBytes(options.encryptionPassword);
  }

  /** Step 1: the user's private key from its password envelope (PBKDF2 at most once per envelope). */
  async openUserKey(envelope: unknown): Promise<KeyObject> {
    return (await this.#userKey(envelope)).key;
  }

  /** Step 2: an application's private key, sealed to the user; cached per application id. */
  async openApplicationKey(applicationId: string, sealedKey: unknown, userKey: unknown): Promise<KeyObject> {
    return (await this.#applicationKey(applicationId, sealedKey, userKey)).key;
  }

  /** Step 3: a shared record's value. Steps 1 and 2 cost nothing after the first record. */
  async openRecord(input: SharedRecordInput): Promise<JsonValue> {
    const applicationKey = await this.#applicationKey(
      input.applicationId,
      input.applicationKey,
      input.userKey,
    );
    const nId = (input.record as { n_id?: unknown } | null)?.n_id;
    const step: Step = {
      label: typeof nId === "string" ? `Record ${clip(nId)}` : "Record",
      step: "record",
      details: typeof nId === "string" ? { recordId: nId, applicationId: input.applicationId } : {},
    };
    const parsed = withStep(() => parseSealedValue(input.record), step);
    const value = parseJsonPlaintext(openParsedSealed(parsed, applicationKey, step), step);
    this.#stats.recordsOpened += 1;
    return value;
  }

  /** Whether this process holds (or is opening) an application's key. */
  hasApplicationKey(applicationId: string): boolean {
    return this.#applicationKeys.has(applicationId);
  }

  stats(): KeyringStats {
    return {
      ...this.#stats,
      cachedUserKeys: this.#userKeys.size,
      cachedApplicationKeys: this.#applicationKeys.size,
    };
  }

  /** Drops every cached key (sign-out, password change); the next record derives again. */
  forget(): void {
    this.#userKeys.clear();
    this.#applicationKeys.clear();
  }

  toJSON(): KeyringStats {
    return this.stats();
  }

  [inspect.custom](): string {
    const { cachedUserKeys, cachedApplicationKeys } = this.stats();
    return `AgentKeyring { userKeys: ${cachedUserKeys}, applicationKeys: ${cachedApplicationKeys} }`;
  }

  #userKey(envelope: unknown): Promise<KeyWithId> {
    const step: Step = { label: USER_KEY_LABEL, step: "user_key" };
    let parsed: ParsedPasswordEnvelope;
    try {
      parsed = withStep(() => parsePasswordEnvelope(envelope), step);
    } catch (error) {
      return Promise.reject(error);
    }
    const id = digest([
      parsed.hash,
      String(parsed.iterations),
      parsed.salt,
      parsed.iv,
      parsed.ciphertext,
      parsed.tag,
    ]);
    const cached = this.#userKeys.get(id);
    if (cached !== undefined) return cached;

    const opening = (async () => {
      this.#stats.pbkdf2Derivations += 1;
      const der = await openParsedPasswordEnvelope(parsed, this.#password);
      try {
        const key = withStep(() => importPrivateKey(der, USER_KEY_LABEL), step);
        this.#stats.userKeysOpened += 1;
        return { key, kid: keyIdOf(key) };
      } finally {
        der.fill(0);
      }
    })();
    this.#userKeys.set(id, opening);
    opening.catch((error: unknown) => {
      // A failed authentication is deterministic for this password, so it stays cached and costs no
      // further PBKDF2; anything else may be transient and is tried again next time.
      if (!(error instanceof RaytioError && error.code === "DECRYPTION_FAILED")) this.#userKeys.delete(id);
    });
    return opening;
  }

  async #applicationKey(
    applicationId: string,
    sealedKey: unknown,
    userKeyEnvelope: unknown,
  ): Promise<KeyWithId> {
    if (typeof applicationId !== "string" || applicationId === "") {
      throw new RaytioError("VALIDATION", "An application id is required to open its key.", {
        details: { field: "applicationId" },
      });
    }
    const step: Step = {
      label: `Application key (application ${clip(applicationId)})`,
      step: "application_key",
      details: { applicationId },
    };
    // The user key is resolved every time (a cache hit after the first) so that a record is only ever
    // opened for a keyring whose password really opens the user envelope it was given.
    const userKey = await this.#userKey(userKeyEnvelope);
    const parsed = withStep(() => parseSealedValue(sealedKey), step);
    const source = `${userKey.kid}.${sealedDigest(parsed)}`;
    const cached = this.#applicationKeys.get(applicationId);
    if (cached !== undefined && cached.source === source) return cached.key;

    const opening = (async () => {
      const der = openParsedSealed(parsed, userKey, step);
      try {
        const key = withStep(() => importPrivateKey(der, step.label), step);
        this.#stats.applicationKeysOpened += 1;
        return { key, kid: keyIdOf(key) };
      } finally {
        der.fill(0);
      }
    })();
    const entry = { source, key: opening };
    this.#applicationKeys.set(applicationId, entry);
    opening.catch(() => {
      if (this.#applicationKeys.get(applicationId) === entry) this.#applicationKeys.delete(applicationId);
    });
    return opening;
  }
}
