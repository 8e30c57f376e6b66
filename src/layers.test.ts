import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  backendKnowledge,
  domainFilesImportingTools,
  frameworkFilesImportingTools,
  type ImportEdge,
  importCircles,
  importGraph,
  importsOf,
  layerOf,
  sourceFiles,
  toolFilesImportingBackend,
  upwardImports,
  withoutComments,
} from "../scripts/import-graph.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const edges = importGraph(root);
const show = (found: readonly ImportEdge[]) => found.map((edge) => `${edge.from} -> ${edge.specifier}`);

describe("the layer order of src/", () => {
  it("has no import that runs back up a layer, and nothing in src/ imports from outside it", () => {
    expect(show(upwardImports(edges))).toEqual([]);
  });

  it("has no circle of imports, type-only ones included", () => {
    expect(importCircles(edges)).toEqual([]);
    const circle: ImportEdge[] = [
      { from: "src/a.ts", to: "src/b.ts", specifier: "./b.js" },
      { from: "src/b.ts", to: "src/c.ts", specifier: "./c.js" },
      { from: "src/c.ts", to: "src/a.ts", specifier: "./a.js" },
      { from: "src/c.ts", to: "src/d.ts", specifier: "./d.js" },
    ];
    expect(importCircles(circle)).toEqual([["src/a.ts", "src/b.ts", "src/c.ts"]]);
  });

  it("keeps the query builder, the paths and the API client out of src/tools", () => {
    expect(show(toolFilesImportingBackend(edges))).toEqual([]);
  });

  it("keeps domain modules from importing src/tools", () => {
    expect(show(domainFilesImportingTools(edges))).toEqual([]);
  });

  it("keeps the tools framework (src/tools/core) from importing a domain's tools or the registry", () => {
    expect(show(frameworkFilesImportingTools(edges))).toEqual([]);
  });

  it("lets no tool file name a table, RPC, column projection, filter or backend error code", () => {
    const knowing = sourceFiles(root)
      .filter((file) => file.startsWith("src/tools/"))
      .map((file) => ({
        file,
        marks: backendKnowledge(root, withoutComments(readFileSync(path.join(root, file), "utf8"))),
      }))
      .filter((entry) => entry.marks.length > 0);
    expect(knowing).toEqual([]);
  });

  // The checks above pass vacuously if the graph is empty or the rules never match: these prove they can fail.
  it("reads every kind of import and finds the graph", () => {
    expect(
      importsOf(
        'import { a } from "./a.js";\nimport type { B } from "../b.js";\nexport { c } from "./c.js";\nimport "./d.js";\nconst e = await import("./e.js");',
      ),
    ).toEqual(["./a.js", "../b.js", "./c.js", "./d.js", "./e.js"]);
    expect(edges.length).toBeGreaterThan(200);
    expect(
      edges.some((edge) => edge.from === "src/server.ts" && edge.to === "src/tools/core/tool-list.ts"),
    ).toBe(true);
  });

  it("flags an upward import, a tool reaching the backend, a domain reaching the tools and the framework reaching a domain's tools", () => {
    const bad: ImportEdge[] = [
      { from: "src/tools/core/listing.ts", to: "src/server.ts", specifier: "../../server.js" },
      { from: "src/raytio/api-client.ts", to: "src/ppm/data.ts", specifier: "../ppm/data.js" },
      { from: "src/server.ts", to: "sandbox/cli.ts", specifier: "../sandbox/cli.js" },
      {
        from: "src/tools/ppm/get-work-item.ts",
        to: "src/raytio/postgrest.ts",
        specifier: "../../raytio/postgrest.js",
      },
      { from: "src/wrm/entities.ts", to: "src/tools/core/schemas.ts", specifier: "../tools/core/schemas.js" },
      {
        from: "src/tools/core/tool.ts",
        to: "src/tools/wrm/wrm-entity-payload.ts",
        specifier: "../wrm/wrm-entity-payload.js",
      },
      { from: "src/tools/core/execute.ts", to: "src/tools/registry.ts", specifier: "../registry.js" },
    ];
    expect(upwardImports(bad).length).toBe(4);
    expect(toolFilesImportingBackend(bad)).toEqual([bad[3]]);
    expect(domainFilesImportingTools(bad)).toEqual([bad[4]]);
    expect(frameworkFilesImportingTools(bad)).toEqual([bad[5], bad[6]]);
    expect([
      layerOf("index.ts"),
      layerOf("server.ts"),
      layerOf("tools/core/x.ts"),
      layerOf("dsm/x.ts"),
    ]).toEqual([6, 5, 4, 3]);
    expect([layerOf("raytio/x.ts"), layerOf("paging.ts"), layerOf("crypto/x.ts")]).toEqual([2, 1, 1]);
    expect(
      backendKnowledge(
        root,
        'q.eq("id", id); api.post(rpcPath(RPCS.userGroups), { body: { p_id: id } }); "23505"',
      ),
    ).toEqual(["table or RPC name", "backend error code", "RPC argument", "filter encoding"]);
  });
});
