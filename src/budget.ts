/**
 * The response budget keeps every tool result under a client's limit (Claude Code refuses results
 * over 25,000 tokens). Sizes are measured as this project measures tokens everywhere: bytes / 4.
 */
export const BYTES_PER_TOKEN = 4;
/** Room for the summary line, the untrusted-data fence and the JSON text twin's framing. */
const FRAMING_BYTES = 600;
const MIN_KEPT_CHARS = 200;
const TRUNCATION_MARK = "… [truncated]";

export function budgetBytes(maxTokens: number): number {
  return Math.max(1_000, maxTokens * BYTES_PER_TOKEN - FRAMING_BYTES);
}

export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), "utf8");
}

/** How many leading items fit in `limitBytes` once serialised together with the rest of the page. */
export function itemsThatFit(items: readonly unknown[], limitBytes: number, overheadBytes: number): number {
  let used = overheadBytes + 2;
  for (let index = 0; index < items.length; index += 1) {
    used += jsonBytes(items[index]) + 1;
    if (used > limitBytes) return index;
  }
  return items.length;
}

interface StringSlot {
  holder: Record<string, unknown> | unknown[];
  key: string | number;
  length: number;
}

function collectStrings(value: unknown, slots: StringSlot[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      if (typeof item === "string") slots.push({ holder: value, key: index, length: item.length });
      else collectStrings(item, slots);
    });
  } else if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      if (typeof item === "string")
        slots.push({ holder: value as Record<string, unknown>, key, length: item.length });
      else collectStrings(item, slots);
    }
  }
}

/**
 * Shortens the longest strings until the value fits, keeping every field and every array element, so
 * the result still matches its schema. Returns whether anything was cut. Mutates `value`.
 */
export function shortenLongStrings(value: Record<string, unknown>, limitBytes: number): boolean {
  let cut = false;
  for (let round = 0; round < 64 && jsonBytes(value) > limitBytes; round += 1) {
    const slots: StringSlot[] = [];
    collectStrings(value, slots);
    const longest = slots.sort((a, b) => b.length - a.length)[0];
    if (!longest || longest.length <= MIN_KEPT_CHARS) break;
    const current = (longest.holder as Record<string | number, unknown>)[longest.key] as string;
    const excess = jsonBytes(value) - limitBytes;
    const keep = Math.max(MIN_KEPT_CHARS, Math.min(Math.floor(current.length / 2), current.length - excess));
    (longest.holder as Record<string | number, unknown>)[longest.key] =
      `${current.slice(0, keep)}${TRUNCATION_MARK}`;
    cut = true;
  }
  return cut;
}
