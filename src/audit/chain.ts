import { createHash } from "node:crypto";
import { z } from "zod";

/**
 * The audit log's line format. Each line is one JSON object ending in its own hash:
 *
 *   {"audit":1,"seq":7,…,"prev":"<hash of line 6>","hash":"<sha256 of everything before ,"hash">"}
 *
 * The hash covers the exact bytes of the line without its hash field, and those bytes include the
 * previous line's hash, so the file is one chain: an edited line no longer matches its own hash (the
 * last line included), and a removed, inserted or reordered line no longer follows its predecessor.
 * The first line follows GENESIS, so cutting lines off the top shows too. Hashing the bytes as
 * written, rather than re-serialising parsed JSON, means an edit that keeps the meaning (a reordered
 * key, `1.0` for `1`) shows as well.
 */
export const GENESIS = "0".repeat(64);

/** Where a chain stands: the sequence number and hash of its last line (0 and GENESIS when empty). */
export interface ChainHead {
  seq: number;
  hash: string;
}

export const EMPTY_CHAIN: ChainHead = { seq: 0, hash: GENESIS };

const HASH_SUFFIX = /,"hash":"([0-9a-f]{64})"}$/;

const chainFieldsSchema = z.looseObject({
  audit: z.literal(1),
  seq: z.number().int().positive(),
  prev: z.string().regex(/^[0-9a-f]{64}$/),
});

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/**
 * The line (without its newline) that follows `head` for a record. `fields` must not use the chain's
 * own keys; they are written first and last so a reader sees the sequence number at once.
 */
export function chainLine(
  head: ChainHead,
  fields: Record<string, unknown>,
): { line: string; head: ChainHead } {
  const seq = head.seq + 1;
  const body = JSON.stringify({ audit: 1, seq, ...fields, prev: head.hash });
  const hash = sha256(body);
  return { line: `${body.slice(0, -1)},"hash":"${hash}"}`, head: { seq, hash } };
}

/** Why one line does not belong to the chain, or undefined when it does. */
export type LineCheck = { ok: true; head: ChainHead; prev: string } | { ok: false; reason: string };

/** Checks a line on its own: its hash matches its content and it carries the chain's fields. */
export function checkLine(line: string): LineCheck {
  const suffix = HASH_SUFFIX.exec(line);
  if (!suffix?.[1]) return { ok: false, reason: "it does not end with its hash" };
  const body = `${line.slice(0, suffix.index)}}`;
  if (sha256(body) !== suffix[1])
    return { ok: false, reason: "its content does not match its hash (edited)" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, reason: "it is not JSON" };
  }
  const fields = chainFieldsSchema.safeParse(parsed);
  if (!fields.success) return { ok: false, reason: "it lacks the audit, seq or prev field" };
  return { ok: true, head: { seq: fields.data.seq, hash: suffix[1] }, prev: fields.data.prev };
}

/** Checks a line as the successor of `head`: its own hash, then its link to the line before. */
export function checkSuccessor(head: ChainHead, line: string): LineCheck {
  const checked = checkLine(line);
  if (!checked.ok) return checked;
  if (checked.prev !== head.hash)
    return {
      ok: false,
      reason:
        head.seq === 0
          ? "it does not start a chain (lines before it were removed)"
          : "it does not follow the line before it (a line was removed, inserted or moved)",
    };
  if (checked.head.seq !== head.seq + 1)
    return { ok: false, reason: `its seq is ${checked.head.seq}, expected ${head.seq + 1}` };
  return checked;
}

/** The outcome of checking a whole file: whole, or broken at one line (1-based, as an editor numbers it). */
export type ChainReport =
  | { ok: true; records: number; head: ChainHead }
  | { ok: false; line: number; reason: string };

/** Checks lines as read from a file, in order, without their newlines. */
export async function verifyLines(lines: AsyncIterable<string> | Iterable<string>): Promise<ChainReport> {
  let head = EMPTY_CHAIN;
  let number = 0;
  for await (const line of lines) {
    number += 1;
    const checked = checkSuccessor(head, line);
    if (!checked.ok) return { ok: false, line: number, reason: checked.reason };
    head = checked.head;
  }
  return { ok: true, records: number, head };
}
