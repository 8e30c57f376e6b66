// The README's fenced code blocks, found by the headings above them: test/readme.test.ts runs the
// ones it covers, and CI (.ci/run) runs "Run the tests" with this as a command, so both follow the
// README as it is written rather than a copy of it. Plain JavaScript: CI runs it before `npm ci`.
//
// Usage: node scripts/readme-blocks.mjs "<heading>"   prints the shell blocks under that heading
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const SHELL_LANGUAGES = ["sh", "bash", "shell"];

/** Every fenced block, with the headings above it (outermost first) and its line number. */
export function readmeBlocks(markdown) {
  const lines = markdown.split("\n");
  const headings = [];
  const blocks = [];
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] ?? "";
    const heading = /^(#{1,6}) (.+?)\s*$/.exec(line);
    if (heading) {
      const level = heading[1].length;
      while (headings.length > 0 && headings[headings.length - 1].level >= level) headings.pop();
      headings.push({ level, text: heading[2] });
      continue;
    }
    const fence = /^(\s*)(`{3,})([\w-]*)\s*$/.exec(line);
    if (!fence) continue;
    const [, indent, ticks, lang] = fence;
    const body = [];
    let end = index + 1;
    for (; end < lines.length && (lines[end] ?? "").trim() !== ticks; end += 1) {
      const text = lines[end] ?? "";
      body.push(text.startsWith(indent) ? text.slice(indent.length) : text.trimStart());
    }
    blocks.push({
      headings: headings.map((entry) => entry.text),
      lang,
      text: body.join("\n"),
      line: index + 1,
    });
    index = end;
  }
  return blocks;
}

/** The blocks in `languages` under the heading named exactly `heading`, at any depth below it. */
export function blocksUnder(markdown, heading, languages = SHELL_LANGUAGES) {
  return readmeBlocks(markdown).filter(
    (block) => block.headings.includes(heading) && languages.includes(block.lang),
  );
}

/**
 * A shell block's commands: continuation lines joined, one entry per command, with the comment that
 * follows it on its line (e.g. "keeps running; Ctrl+C stops it"). Whole-line comments are dropped.
 */
export function commandsOf(block) {
  const commands = [];
  let pending = "";
  for (const raw of block.text.split("\n")) {
    const line = pending ? `${pending} ${raw.trim()}` : raw.trim();
    if (line.endsWith("\\")) {
      pending = line.slice(0, -1).trim();
      continue;
    }
    pending = "";
    if (line === "" || line.startsWith("#")) continue;
    // A comment starts at " # " outside quotes; the README's commands keep "#" out of their quotes.
    const comment = / +# /.exec(line);
    commands.push(
      comment
        ? {
            command: line.slice(0, comment.index).trim(),
            comment: line.slice(comment.index).replace(/^ +# /, ""),
          }
        : { command: line, comment: "" },
    );
  }
  return commands;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const heading = process.argv[2] ?? "";
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const blocks = blocksUnder(readme, heading);
  if (blocks.length === 0) {
    console.error(`README.md has no shell block under a heading "${heading}"`);
    process.exit(1);
  }
  process.stdout.write(`${blocks.map((block) => block.text).join("\n")}\n`);
}
