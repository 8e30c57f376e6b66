import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { PGlite, Transaction } from "@electric-sql/pglite";
import { type SeedOptions, seedFoundation } from "./seed.js";
import { seedDsm } from "./seed-dsm.js";
import { seedPpm } from "./seed-ppm.js";
import { seedParties } from "./seed-prm.js";
import { seedWrm } from "./seed-wrm.js";

const DB_DIR = path.dirname(fileURLToPath(import.meta.url));

/**
 * Schema files run in name order (001_foundation.sql, then each domain's NNN_<domain>.sql); seeders
 * run after all of them, in the order listed, each in its own transaction, as the table owner.
 */
export type Seeder = (tx: Transaction, options: SeedOptions) => Promise<void>;

export const DOMAIN_SEEDERS: ReadonlyArray<[name: string, seed: Seeder]> = [
  ["prm", (tx) => seedParties(tx)],
  ["ppm", (tx) => seedPpm(tx)],
  ["wrm", (tx) => seedWrm(tx)],
  ["dsm", (tx, options) => seedDsm(tx, options)],
];

export async function migrateAndSeed(db: PGlite, options: SeedOptions): Promise<void> {
  const migrations = readdirSync(DB_DIR)
    .filter((name) => name.endsWith(".sql"))
    .sort();
  for (const migration of migrations) await db.exec(readFileSync(path.join(DB_DIR, migration), "utf8"));
  await seedFoundation(db, options);
  for (const [, seed] of DOMAIN_SEEDERS) await db.transaction((tx) => seed(tx, options));
}
