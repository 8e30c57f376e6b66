/**
 * Crypto benchmark (not a test): what opening shared records costs with production-sized parameters.
 *
 *   npm run bench:crypto                  # readable table
 *   npm run bench:crypto -- --json        # the same numbers as JSON
 *   npm run bench:crypto -- --records 5000
 *
 * Measures PBKDF2-SHA-256 at 600,000 iterations (bare and through a user-key envelope), the first
 * record a fresh AgentKeyring opens (PBKDF2 + application key + record), records per second after the
 * first for one application with a 4096-bit key, and how a record open compares with a bare
 * AES-256-GCM decrypt of the same bytes (the rest is the per-record RSA-OAEP-4096 unwrap the format
 * requires, since every record has its own data key).
 */
import {
  constants,
  createDecipheriv,
  type KeyObject,
  pbkdf2 as pbkdf2Callback,
  privateDecrypt,
  randomBytes,
} from "node:crypto";
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { parseSealedValue } from "../src/crypto/envelopes.js";
import {
  AgentKeyring,
  DEFAULT_PBKDF2_ITERATIONS,
  encryptData,
  generateKeyPair,
  lockPrivateKey,
  openPasswordEnvelope,
  type SealedValue,
  sealPrivateKey,
} from "../src/crypto/maxcryptor.js";
import { wrapDek } from "../src/crypto/wadek.js";

const pbkdf2 = promisify(pbkdf2Callback);

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  const value = index === -1 ? undefined : Number(process.argv[index + 1]);
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : fallback;
}

const json = process.argv.includes("--json");
const recordCount = option("--records", 1000);
const pbkdf2Runs = option("--pbkdf2-runs", 3);
const PASSWORD = "bench password, not a secret";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function round(value: number, digits = 2): number {
  return Number(value.toFixed(digits));
}

async function time<T>(run: () => Promise<T> | T): Promise<[T, number]> {
  const start = performance.now();
  const result = await run();
  return [result, performance.now() - start];
}

function progress(message: string): void {
  if (!json) process.stderr.write(`${message}\n`);
}

progress("generating two 4096-bit RSA key pairs…");
const [[user, app], keygenMs] = await time(() =>
  Promise.all([generateKeyPair({ bits: 4096 }), generateKeyPair({ bits: 4096 })]),
);

progress(`PBKDF2-SHA-256 × ${DEFAULT_PBKDF2_ITERATIONS.toLocaleString("en")} (${pbkdf2Runs} runs)…`);
const bareKdfMs: number[] = [];
for (let i = 0; i < pbkdf2Runs; i++) {
  const [, ms] = await time(() => pbkdf2(PASSWORD, randomBytes(16), DEFAULT_PBKDF2_ITERATIONS, 32, "sha256"));
  bareKdfMs.push(ms);
}
const userEnvelope = await lockPrivateKey(user.privateKey, PASSWORD);
const envelopeOpenMs: number[] = [];
for (let i = 0; i < pbkdf2Runs; i++) {
  const [, ms] = await time(() => openPasswordEnvelope(userEnvelope, PASSWORD));
  envelopeOpenMs.push(ms);
}

progress(`sealing ${recordCount.toLocaleString("en")} records to the application…`);
const sealedAppKey = sealPrivateKey(app.privateKey, user.publicJwk);
const appRecipient = { key: app.publicKey, kid: app.kid };
// Sealed by hand rather than with sealValue so the bench keeps each DEK for the bare-AES comparison.
const records = Array.from({ length: recordCount }, (_, i) => {
  const dek = randomBytes(32);
  const value = {
    given_name: "Aroha",
    family_name: `Ngata-${i}`,
    email: `aroha.${i}@example.org`,
    phone: "+64 21 555 0199",
    address: { street: "1 Queen Street", city: "Auckland", postcode: "1010", country: "NZ" },
    verified: true,
  };
  const sealed: SealedValue = {
    encrypted_data: encryptData(Buffer.from(JSON.stringify(value), "utf8"), dek),
    encrypted_key: wrapDek(dek, appRecipient),
  };
  return { record: { n_id: `rec-${i}`, ...sealed }, dek };
});
const plaintextBytes = Buffer.from(records[0]?.record.encrypted_data.ct ?? "", "base64").length - 16;

progress("opening records…");
const keyring = new AgentKeyring({ encryptionPassword: PASSWORD });
const open = (record: unknown) =>
  keyring.openRecord({
    userKey: userEnvelope,
    applicationId: "bench-app",
    applicationKey: sealedAppKey,
    record,
  });
const [, firstRecordMs] = await time(() => open(records[0]?.record));
const [, restMs] = await time(async () => {
  for (const { record } of records.slice(1)) await open(record);
});
const stats = keyring.stats();
if (stats.pbkdf2Derivations !== 1 || stats.recordsOpened !== recordCount) {
  throw new Error(`unexpected keyring stats: ${JSON.stringify(stats)}`);
}
const perRecordMs = restMs / Math.max(1, recordCount - 1);

// The same ciphertexts through a bare AES-256-GCM decrypt, several passes since each one is microseconds.
const parsed = records.map(({ record, dek }) => ({ ...parseSealedValue(record), dek }));
const aesPasses: number[] = [];
for (let pass = 0; pass < 5; pass++) {
  const [, ms] = await time(() => {
    for (const { data, dek } of parsed) {
      const decipher = createDecipheriv("aes-256-gcm", dek, data.iv);
      decipher.setAuthTag(data.tag);
      Buffer.concat([decipher.update(data.ciphertext), decipher.final()]);
    }
  });
  aesPasses.push(ms / parsed.length);
}
const bareAesMs = median(aesPasses);

// And the RSA-OAEP-4096 unwrap alone, which is what the per-record time is mostly made of.
const appKey: KeyObject = app.privateKey;
const rsaSample = parsed.slice(0, Math.min(200, parsed.length));
const [, rsaTotalMs] = await time(() => {
  for (const { key } of rsaSample) {
    privateDecrypt(
      { key: appKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
      key.wrapped,
    );
  }
});
const bareRsaMs = rsaTotalMs / rsaSample.length;

const results = {
  node: process.version,
  cpu: cpus()[0]?.model ?? "unknown",
  cpus: cpus().length,
  rsaKeyBits: 4096,
  keygenTwoKeysMs: round(keygenMs),
  pbkdf2: {
    hash: "SHA-256",
    iterations: DEFAULT_PBKDF2_ITERATIONS,
    bareMedianMs: round(median(bareKdfMs)),
    userKeyEnvelopeOpenMedianMs: round(median(envelopeOpenMs)),
  },
  records: {
    count: recordCount,
    plaintextBytes,
    firstRecordMs: round(firstRecordMs),
    afterFirst: {
      totalMs: round(restMs),
      perRecordMs: round(perRecordMs, 4),
      recordsPerSecond: Math.round(1000 / perRecordMs),
    },
    pbkdf2Derivations: stats.pbkdf2Derivations,
    applicationKeysOpened: stats.applicationKeysOpened,
  },
  comparison: {
    bareAes256GcmDecryptMs: round(bareAesMs, 5),
    bareRsaOaep4096UnwrapMs: round(bareRsaMs, 4),
    recordOpenOverBareAes: round(perRecordMs / bareAesMs, 1),
    recordOpenOverBareRsaPlusAes: round(perRecordMs / (bareRsaMs + bareAesMs), 3),
  },
};

if (json) {
  console.log(JSON.stringify(results, null, 2));
} else {
  const rows: Array<[string, string]> = [
    ["node / cpu", `${results.node} / ${results.cpus} × ${results.cpu}`],
    ["generate two 4096-bit RSA key pairs", `${results.keygenTwoKeysMs} ms`],
    [
      `PBKDF2-SHA-256, ${DEFAULT_PBKDF2_ITERATIONS.toLocaleString("en")} iterations (bare)`,
      `${results.pbkdf2.bareMedianMs} ms`,
    ],
    ["open user-key password envelope (PBKDF2 + GCM)", `${results.pbkdf2.userKeyEnvelopeOpenMedianMs} ms`],
    ["first record, fresh keyring (PBKDF2 + app key + record)", `${results.records.firstRecordMs} ms`],
    [
      `records after the first (${(recordCount - 1).toLocaleString("en")}, one app, 4096-bit key)`,
      `${results.records.afterFirst.recordsPerSecond.toLocaleString("en")} records/s`,
    ],
    ["  per record", `${results.records.afterFirst.perRecordMs} ms`],
    [
      `bare AES-256-GCM decrypt (${plaintextBytes}-byte plaintext)`,
      `${results.comparison.bareAes256GcmDecryptMs} ms`,
    ],
    ["bare RSA-OAEP-4096 unwrap", `${results.comparison.bareRsaOaep4096UnwrapMs} ms`],
    ["record open ÷ bare AES-256-GCM decrypt", `${results.comparison.recordOpenOverBareAes}×`],
    ["record open ÷ (bare RSA unwrap + bare AES)", `${results.comparison.recordOpenOverBareRsaPlusAes}×`],
    ["PBKDF2 derivations for all records", `${results.records.pbkdf2Derivations}`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);
}
