import type { PGlite, Transaction } from "@electric-sql/pglite";
import { generateKeyPair, lockPrivateKey } from "../../src/crypto/maxcryptor.js";
import { ACCOUNTS, DEMO_CUSTOMER, OTHER_CUSTOMER } from "../accounts.js";

export interface SeedOptions {
  /** RSA modulus for seeded keys. 2048 keeps a fresh sandbox quick; the spec allows 2048+. */
  keyBits: number;
  /** PBKDF2 iterations for seeded password envelopes; the server reads them from the envelope. */
  pbkdf2Iterations: number;
}

/** Deterministic PRNG so every fresh sandbox holds the same demo data (mulberry32). */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(next: () => number, items: readonly T[]): T {
  const item = items[Math.floor(next() * items.length)];
  if (item === undefined) throw new Error("pick from an empty list");
  return item;
}

/** Seeding runs as the table owner, outside row-level security, the way a platform migration would. */
export async function seedFoundation(db: PGlite, options: SeedOptions): Promise<void> {
  await db.transaction(async (tx) => {
    for (const account of ACCOUNTS) {
      await tx.query(
        "insert into api.fnd_user (id, customer_id, email, display_name) values ($1, $2, $3, $4)",
        [account.sub, account.customerId, account.email, account.displayName],
      );
      for (const group of account.groups) {
        await tx.query("insert into api.fnd_user_group (user_id, group_name) values ($1, $2)", [
          account.sub,
          group,
        ]);
      }
    }
  });

  // Only accounts that can use DSM need an encryption key pair.
  const keyed = ACCOUNTS.filter((account) =>
    account.groups.some((group) => group.startsWith("DATA_SHARING_")),
  );
  const keys = await Promise.all(
    keyed.map(async (account) => {
      const pair = await generateKeyPair({ bits: options.keyBits });
      const envelope = await lockPrivateKey(pair.privateKey, account.encryptionPassword, {
        iterations: options.pbkdf2Iterations,
      });
      return { account, publicJwk: pair.publicJwk, envelope };
    }),
  );
  // Access applications (with their keys sealed to their owners) are seeded by seed-dsm.ts.
  await db.transaction(async (tx) => {
    for (const { account, publicJwk, envelope } of keys) {
      await tx.query("insert into api.fnd_user_key (user_id, public_key, private_key) values ($1, $2, $3)", [
        account.sub,
        JSON.stringify(publicJwk),
        JSON.stringify(envelope),
      ]);
    }
  });
}

const WORK_VERBS = [
  "Review",
  "Update",
  "Draft",
  "Migrate",
  "Fix",
  "Plan",
  "Audit",
  "Document",
  "Test",
  "Ship",
];
const WORK_OBJECTS = [
  "onboarding checklist",
  "right-to-work checks",
  "supplier contract",
  "billing export",
  "identity verification flow",
  "privacy impact assessment",
  "access application for contractors",
  "quarterly board report",
  "data retention policy",
  "customer due diligence form",
];
const STATUSES = ["NEW", "IN_PROGRESS", "BLOCKED", "IN_REVIEW", "DONE", "CANCELLED"];

export async function seedWorkItems(tx: Transaction): Promise<void> {
  const next = random(7);
  const agent = ACCOUNTS[0];
  if (!agent) throw new Error("no agent account");
  const people = await tx.query<{ id: string }>(
    "select id from api.prm_party where customer_id = $1 and party_type = 'PERSON' order by display_name",
    [DEMO_CUSTOMER],
  );
  const epics: string[] = [];
  for (let index = 0; index < 300; index += 1) {
    const isEpic = index < 8;
    const status = pick(next, STATUSES);
    const due = new Date(Date.UTC(2026, 9, 1) + Math.floor(next() * 120) * 86_400_000)
      .toISOString()
      .slice(0, 10);
    const result = await tx.query<{ id: string }>(
      `insert into api.ppm_work_item
         (customer_id, title, description, status, priority, type, parent_id, assignee_party_id, due_date, tags, created_by, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now() - ($12 || ' hours')::interval, now() - ($13 || ' hours')::interval)
       returning id`,
      [
        DEMO_CUSTOMER,
        `${pick(next, WORK_VERBS)} ${pick(next, WORK_OBJECTS)}${isEpic ? " programme" : ` #${index}`}`,
        next() < 0.7 ? "Seeded sandbox work item. Acceptance: the owner confirms it is complete." : null,
        status,
        pick(next, ["LOW", "MEDIUM", "MEDIUM", "HIGH", "URGENT"]),
        isEpic ? "EPIC" : pick(next, ["TASK", "TASK", "BUG", "FEATURE"]),
        isEpic || epics.length === 0 || next() < 0.4 ? null : pick(next, epics),
        next() < 0.8 ? (people.rows[Math.floor(next() * people.rows.length)]?.id ?? null) : null,
        next() < 0.85 ? due : null,
        [pick(next, ["compliance", "onboarding", "finance", "platform", "customer"])],
        agent.sub,
        String(2000 - index * 5),
        String(1000 - index * 3),
      ],
    );
    const id = result.rows[0]?.id;
    if (isEpic && id) epics.push(id);
  }
  await tx.query(
    "insert into api.ppm_work_item (customer_id, title, status, created_by) values ($1, 'Other customer confidential item', 'NEW', 'other')",
    [OTHER_CUSTOMER],
  );
}
