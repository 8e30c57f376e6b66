import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const SKIP = new Set([".git", "node_modules", "dist", "coverage", "bench"]);
const TEXT = /\.(ts|mts|mjs|js|json|md|sql|yml|yaml|sh|env|example|txt)$|^run$/;
/** A path that climbs out of the repository to a sibling folder, as a user's clone does not have one. */
const OUTSIDE = /\.\.\/(?:\.\.\/)*shared\/|\bshared\/(?:spec|seeds|notes)\//;

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (TEXT.test(entry.name)) yield path;
  }
}

describe("the repository is self-contained", () => {
  it("no file reads or cites a path outside it (a user's clone has nothing beside it)", () => {
    const offenders: string[] = [];
    for (const file of files(REPO)) {
      readFileSync(file, "utf8")
        .split("\n")
        .forEach((line, index) => {
          if (OUTSIDE.test(line)) offenders.push(`${relative(REPO, file)}:${index + 1}: ${line.trim()}`);
        });
    }
    expect(offenders).toEqual([]);
  });
});
