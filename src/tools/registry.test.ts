import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, describe, expect, it } from "vitest";
import { toolListSizes } from "../../scripts/tool-list-size.js";
import { renderToolsDoc } from "../../scripts/tools-doc.js";
import { listToolsAsClientSeesThem } from "../server.js";
import { approximateTokens } from "./listing.js";
import { TOOLS } from "./registry.js";
import { prepareInputSchema } from "./schema-fallback.js";
import { BASE_DOMAINS } from "./tool.js";
import { entryForExposure, toolListEntry } from "./tool-list.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const MAX_DESCRIPTION_CHARS = 600;

let listed: Tool[];
beforeAll(async () => {
  listed = await listToolsAsClientSeesThem(TOOLS);
});

describe("tool registry", () => {
  it("has unique snake_case names within the MCP name limits", () => {
    const names = TOOLS.map((tool) => tool.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
    for (const name of names) expect(name.length).toBeLessThanOrEqual(64);
  });

  it("declares all four annotations explicitly on every tool, never read-only and destructive at once", () => {
    for (const tool of TOOLS) {
      for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const) {
        expect(typeof tool.annotations[hint], `${tool.name}.${hint}`).toBe("boolean");
      }
      expect(tool.annotations.readOnlyHint && tool.annotations.destructiveHint, tool.name).toBe(false);
    }
  });

  it("gives every tool a title, a domain and a description within budget", () => {
    for (const tool of TOOLS) {
      expect(tool.title.length, tool.name).toBeGreaterThan(3);
      expect(BASE_DOMAINS, tool.name).toContain(tool.domain);
      expect(tool.description.length, tool.name).toBeGreaterThan(20);
      expect(tool.description.length, tool.name).toBeLessThanOrEqual(MAX_DESCRIPTION_CHARS);
    }
  });

  it("registers every tool file in src/tools/<domain>/", () => {
    const files = BASE_DOMAINS.flatMap((domain) =>
      readdirSync(path.join(here, domain)).filter(
        (file) => file.endsWith(".ts") && !file.endsWith(".test.ts"),
      ),
    );
    const expected = files.map((file) => file.replace(/\.ts$/, "").replace(/-/g, "_")).sort();
    expect(TOOLS.map((tool) => tool.name).sort()).toEqual(expected);
  });

  it("lists tools in a deterministic order (by domain, then name)", () => {
    const order = TOOLS.map((tool) => `${tool.domain}/${tool.name}`);
    expect(order).toEqual([...order].sort());
    expect(listed.map((tool) => tool.name)).toEqual(TOOLS.map((tool) => tool.name));
  });

  it("converts every input and output schema to a plain object schema, with no root union", () => {
    for (const tool of listed) {
      for (const schema of [tool.inputSchema, tool.outputSchema]) {
        expect(schema?.type, tool.name).toBe("object");
        expect(schema && ("anyOf" in schema || "oneOf" in schema || "allOf" in schema), tool.name).toBe(
          false,
        );
      }
    }
  });

  it("lists every field offered as a JSON-encoded string because JSON Schema cannot express it", () => {
    const fallbacks = TOOLS.flatMap((tool) =>
      prepareInputSchema(tool.inputSchema).fallbacks.map((field) => `${tool.name}.${field}`),
    );
    // Update this list (and check docs/tools.md mentions it) when a tool needs such a field.
    expect(fallbacks).toEqual([]);
  });

  it("keeps every tool's texts meaningful when it is the only tool exposed, naming no other tool", () => {
    const names = new Set(TOOLS.map((tool) => tool.name));
    for (const tool of TOOLS) {
      const hidden = new Set([...names].filter((name) => name !== tool.name));
      const entry = entryForExposure(toolListEntry(tool), hidden);
      // The first sentence says what the tool does, so it survives (asides aside) whatever is hidden.
      const firstSentence = (tool.description.split(/(?<!\be\.g\.)(?<=\.)\s+/)[0] ?? "").replace(
        /\s*\([^()]*\)/g,
        "",
      );
      expect(entry.description?.replace(/\s*\([^()]*\)/g, "").startsWith(firstSentence), tool.name).toBe(
        true,
      );
      const words = JSON.stringify(entry).match(/[a-z][a-z0-9]*(?:_[a-z0-9]+)+/g) ?? [];
      expect(
        words.filter((word) => hidden.has(word)),
        tool.name,
      ).toEqual([]);
    }
  });

  it("publishes exactly the tool list entries derived from the definitions", () => {
    expect(listed).toEqual(TOOLS.map((tool) => toolListEntry(tool)));
  });

  it("keeps the whole catalogue within the tools/list token budget", () => {
    expect(approximateTokens(listed)).toBeLessThanOrEqual(24_000);
  });

  it("keeps docs/tools.md in step with the registry (run npm run docs:tools)", async () => {
    const committed = readFileSync(path.join(here, "../../docs/tools.md"), "utf8");
    expect(committed).toBe(renderToolsDoc(TOOLS, listed, await toolListSizes(TOOLS)));
  });
});
