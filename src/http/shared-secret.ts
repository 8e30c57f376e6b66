import { randomBytes } from "node:crypto";
import type { StateStore } from "./store.js";

/** Practically forever: the secret is replaced only by deleting its key (rotation). */
const LIFETIME_MS = 100 * 365 * 24 * 60 * 60 * 1000;

/**
 * A secret every replica sharing the store agrees on, made by whichever asks first: each offers a random
 * one and the store keeps the first offer (an atomic claim), so all of them read back the same bytes.
 * Used where one replica must verify what another sealed (the state of a confirmation round trip).
 */
export async function sharedSecret(store: StateStore, name: string): Promise<Uint8Array> {
  const key = `mcp:secret:${name}`;
  await store.claim(key, randomBytes(32).toString("base64url"), LIFETIME_MS);
  const value = await store.get(key);
  if (!value) throw new Error(`The shared secret ${name} could not be read back from the store`);
  return Buffer.from(value, "base64url");
}
