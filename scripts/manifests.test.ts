import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bundleManifest, missingVariables, readPackageJson, render, serverJson } from "./manifests.js";

const committed = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), "utf8");

describe("package manifests", () => {
  it("describes every variable the server reads", () => {
    expect(missingVariables()).toEqual([]);
  });

  it("keeps server.json and manifest.json in step with package.json and the registry (run npm run manifests)", () => {
    const pkg = readPackageJson();
    expect(committed("server.json")).toBe(render(serverJson(pkg)));
    expect(committed("manifest.json")).toBe(render(bundleManifest(pkg)));
  });

  it("names the package for the MCP Registry consistently", () => {
    const pkg = readPackageJson();
    const server = serverJson(pkg);
    expect(server.name).toBe(pkg.mcpName);
    expect(server.packages[0]?.identifier).toBe(pkg.name);
    expect(server.description.length).toBeLessThanOrEqual(100);
  });

  it("marks every password as secret", () => {
    const variables = serverJson(readPackageJson()).packages[0]?.environmentVariables ?? [];
    for (const variable of variables.filter((entry) => /PASSWORD/.test(entry.name)))
      expect(variable.isSecret).toBe(true);
  });
});
