import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Tool } from "@modelcontextprotocol/server";
import { describe, expect, it } from "vitest";
import { modelTokens, modelVisible } from "./tool-list-size.js";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(file);
    else if (entry.name.endsWith(".ts")) yield file;
  }
}

describe("tool list size", () => {
  const tool: Tool = {
    name: "list_things",
    title: "List things",
    description: "List things.",
    inputSchema: { type: "object", properties: { limit: { type: "integer" } } },
    outputSchema: { type: "object", properties: { items: { type: "array" } } },
    annotations: { title: "List things", readOnlyHint: true },
  };

  it("counts only what a model is shown: name, description and input schema", () => {
    expect(modelVisible(tool)).toEqual({
      name: tool.name,
      description: tool.description,
      inputSchema: tool.inputSchema,
    });
    expect(modelTokens([tool])).toBe(modelTokens([{ ...tool, outputSchema: undefined, annotations: {} }]));
  });

  it("counts tokens with a real tokenizer, not bytes / 4", () => {
    // Common long words are one token each, far fewer than a quarter of their bytes.
    const wordy = { ...tool, description: " internationalization".repeat(40) };
    const bytes = Buffer.byteLength(JSON.stringify([modelVisible(wordy)]));
    expect(modelTokens([wordy])).toBeGreaterThan(40);
    expect(modelTokens([wordy])).toBeLessThan(bytes / 6);
  });

  it("keeps the tokenizer out of src/, so the bundle built from src/index.ts never holds it", () => {
    const importers = [...sourceFiles(SRC)].filter((file) =>
      readFileSync(file, "utf8").includes("gpt-tokenizer"),
    );
    expect(importers).toEqual([]);
  });
});
