import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startSandbox } from "../sandbox/sandbox.js";

declare module "vitest" {
  export interface ProvidedContext {
    sandboxSnapshot: string;
    /** Where spawned servers write their audit logs unless a test names its own (never the real home). */
    auditDirectory: string;
  }
}

/**
 * Creates and seeds one sandbox database for the whole run and saves it as a snapshot; every test file
 * then starts its own isolated sandbox from it in a fraction of the time a fresh seed takes.
 */
export default async function setup(project: TestProject) {
  const dir = mkdtempSync(path.join(tmpdir(), "raytio-test-snapshot-"));
  const sandbox = await startSandbox({ keyBits: 2048, pbkdf2Iterations: 1_000 });
  const snapshot = await sandbox.dumpDatabase();
  await sandbox.stop();
  const file = path.join(dir, "sandbox.tar");
  writeFileSync(file, Buffer.from(await snapshot.arrayBuffer()));
  project.provide("sandboxSnapshot", file);
  project.provide("auditDirectory", dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
