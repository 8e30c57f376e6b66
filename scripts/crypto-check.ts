/**
 * Runs a Maxcryptor v1 vectors file (the format at the end of docs/crypto.md) through this
 * project's own code:
 *
 *   npm run crypto:check -- FILE
 *
 * One line per case: the id, `ok` or `FAIL`, and for a failure an error code only. Decrypted values,
 * passwords and key material are never printed, because vectors files may be built from real data.
 * The last line is `N passed, N failed`. Exit status 1 on any failure or if FILE cannot be read.
 */
import { readFile } from "node:fs/promises";
import { isDeepStrictEqual } from "node:util";
import { AgentKeyring } from "../src/crypto/maxcryptor.js";
import { isRaytioError } from "../src/errors.js";

interface CheckedCase {
  id: string;
  outcome: "ok" | "FAIL";
  /** Why a case failed: an error code, or a pseudo-code when no error was thrown. */
  code?: string;
}

function printableId(id: unknown, index: number): string {
  if (typeof id !== "string" || id === "") return `#${index + 1}`;
  return /^[\w.:@/+-]{1,120}$/.test(id) ? id : JSON.stringify(id.slice(0, 120));
}

async function checkCase(raw: unknown, index: number): Promise<CheckedCase> {
  const c = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const id = printableId(c.id, index);
  const expected = c.expect as { ok?: unknown; value?: unknown; error?: unknown } | undefined;
  const wellFormed =
    typeof c.password === "string" &&
    typeof expected === "object" &&
    expected !== null &&
    (expected.ok === true
      ? "value" in expected
      : expected.ok === false && typeof expected.error === "string");
  if (!wellFormed) return { id, outcome: "FAIL", code: "INVALID_CASE" };

  // A fresh keyring per case: cases must not pass because an earlier one left a key in a cache.
  const keyring = new AgentKeyring({ encryptionPassword: c.password as string });
  try {
    const value = await keyring.openRecord({
      userKey: c.user_private_key,
      applicationId: `case-${index + 1}`,
      applicationKey: c.application_private_key,
      record: c.record,
    });
    if (expected.ok !== true) return { id, outcome: "FAIL", code: "UNEXPECTED_SUCCESS" };
    return isDeepStrictEqual(value, expected.value)
      ? { id, outcome: "ok" }
      : { id, outcome: "FAIL", code: "VALUE_MISMATCH" };
  } catch (error) {
    const code = isRaytioError(error) ? error.code : "INTERNAL_ERROR";
    if (expected.ok === false && code === expected.error) return { id, outcome: "ok" };
    const wanted =
      expected.ok === false && /^[A-Z_]{1,40}$/.test(String(expected.error))
        ? ` (expected ${expected.error})`
        : "";
    return { id, outcome: "FAIL", code: `${code}${wanted}` };
  }
}

async function main(): Promise<number> {
  const file = process.argv[2];
  if (file === undefined || process.argv.length > 3) {
    console.error("usage: npm run crypto:check -- FILE");
    return 1;
  }

  let vectors: unknown;
  try {
    vectors = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    const reason =
      error instanceof SyntaxError
        ? "not valid JSON"
        : ((error as NodeJS.ErrnoException).code ?? "unreadable");
    console.error(`crypto:check: cannot read ${file}: ${reason}`);
    return 1;
  }
  const { spec, cases } = (typeof vectors === "object" && vectors !== null ? vectors : {}) as Record<
    string,
    unknown
  >;
  if (spec !== "maxcryptor-v1" || !Array.isArray(cases)) {
    console.error(
      `crypto:check: ${file} is not a maxcryptor-v1 vectors file ({ "spec": "maxcryptor-v1", "cases": [...] })`,
    );
    return 1;
  }

  const results: CheckedCase[] = [];
  for (const [index, raw] of cases.entries()) results.push(await checkCase(raw, index));

  const width = Math.max(0, ...results.map((result) => result.id.length));
  for (const result of results) {
    console.log([result.id.padEnd(width), result.outcome, result.code].filter(Boolean).join("  ").trimEnd());
  }
  const failed = results.filter((result) => result.outcome === "FAIL").length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  if (results.length === 0) console.error(`crypto:check: ${file} has no cases`);
  return failed > 0 || results.length === 0 ? 1 : 0;
}

process.exitCode = await main();
