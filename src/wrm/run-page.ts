import { jsonBytes } from "../budget.js";

/**
 * Cutting a run down to one response: long texts are clipped to `maxChars` (marked, with how much was
 * cut), then steps and artifacts are kept in order while they fit the byte budget. Whatever was left
 * out is reached again through `from_step` / `from_artifact`, which works because both are numbered
 * 1, 2, 3… without gaps.
 */
export const CLIP_MARK = "… [truncated";

export function clipText(text: string | null, maxChars: number): { text: string | null; cut: boolean } {
  if (text === null || text.length <= maxChars) return { text, cut: false };
  return { text: `${text.slice(0, maxChars)}${CLIP_MARK} ${text.length - maxChars} chars]`, cut: true };
}

/** Clips the named fields of each item; `cut[i]` counts the fields cut in item i. */
export function clipFields<T extends Record<string, unknown>>(
  items: readonly T[],
  fields: readonly (keyof T & string)[],
  maxChars: number,
): { items: T[]; cut: number[] } {
  const cut: number[] = [];
  const clipped = items.map((item) => {
    const copy: Record<string, unknown> = { ...item };
    let count = 0;
    for (const field of fields) {
      const value = copy[field];
      if (typeof value !== "string") continue;
      const result = clipText(value, maxChars);
      copy[field] = result.text;
      if (result.cut) count += 1;
    }
    cut.push(count);
    return copy as T;
  });
  return { items: clipped, cut };
}

/** Fields cut among the first `kept` items. */
export function clippedAmong(cut: readonly number[], kept: number): number {
  return cut.slice(0, kept).reduce((sum, count) => sum + count, 0);
}

/**
 * The leading items whose JSON fits in `budget` bytes. With `atLeastOne`, the first item is kept even
 * when it alone is over budget, so a caller paging through always makes progress.
 */
export function leadingWithin<T>(
  items: readonly T[],
  budget: number,
  atLeastOne: boolean,
): { kept: T[]; used: number } {
  const kept: T[] = [];
  let used = 0;
  for (const item of items) {
    const size = jsonBytes(item) + 1;
    if (used + size > budget && !(atLeastOne && kept.length === 0)) break;
    kept.push(item);
    used += size;
  }
  return { kept, used };
}

/** Where the next call should start, or null when nothing from `from` on was left out. */
export function nextFrom(
  requested: number,
  from: number,
  kept: readonly { seq: number }[],
  fetchedMore: boolean,
  pageLength: number,
  lastSeqInRun: number,
): number | null {
  if (requested === 0) return from <= lastSeqInRun ? from : null;
  const last = kept.at(-1);
  if (last === undefined) return pageLength > 0 || fetchedMore ? from : null;
  return kept.length < pageLength || fetchedMore ? last.seq + 1 : null;
}
