import { describe, expect, it } from "vitest";
import { RaytioError } from "../../errors.js";
import { TOOLS } from "../registry.js";
import { applyToolFilters, assertKnownToolNames } from "./filters.js";

const names = (filters: Parameters<typeof applyToolFilters>[1]) =>
  applyToolFilters(TOOLS, filters).map((tool) => tool.name);
const writeTool = TOOLS.find((tool) => !tool.annotations.readOnlyHint);
const readTool = TOOLS.find((tool) => tool.annotations.readOnlyHint);

describe("tool filters", () => {
  it("keeps everything without filters", () => {
    expect(names({ tools: undefined, exclude: [], readOnly: false })).toEqual(TOOLS.map((tool) => tool.name));
  });

  it("applies the allow list and the exclude list", () => {
    if (!writeTool || !readTool) throw new Error("registry needs a read and a write tool");
    expect(
      names({ tools: [readTool.name, writeTool.name], exclude: [writeTool.name], readOnly: false }),
    ).toEqual([readTool.name]);
  });

  it("lets read-only win over an allow list that names a write tool", () => {
    if (!writeTool || !readTool) throw new Error("registry needs a read and a write tool");
    expect(names({ tools: [writeTool.name, readTool.name], exclude: [], readOnly: true })).toEqual([
      readTool.name,
    ]);
    expect(
      applyToolFilters(TOOLS, { tools: undefined, exclude: [], readOnly: true }).every(
        (t) => t.annotations.readOnlyHint,
      ),
    ).toBe(true);
  });

  it("rejects unknown names with the valid list", () => {
    expect(() =>
      assertKnownToolNames({ tools: ["list_everything"], exclude: [], readOnly: false }, TOOLS),
    ).toThrow(RaytioError);
    // Caught explicitly: an assertion inside a catch block would pass when nothing is thrown.
    let refused: unknown;
    try {
      assertKnownToolNames({ tools: undefined, exclude: ["nope"], readOnly: false }, TOOLS);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(RaytioError);
    const message = (refused as RaytioError).message;
    expect(message).toContain("nope");
    for (const tool of TOOLS) expect(message).toContain(tool.name);
  });
});
