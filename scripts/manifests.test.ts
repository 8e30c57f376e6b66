import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PACKAGE_NAME, VERSION } from "../src/version.js";
import { bundleManifest, missingVariables, readPackageJson, render, serverJson } from "./manifests.js";

/** The last version published before this changelog existed: no release may go below it. */
const LAST_PUBLISHED_WITHOUT_CHANGELOG = "1.17.0";

const semver = (version: string) => {
  const match = /^(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?$/.exec(version);
  if (!match) throw new Error(`not a semantic version: ${version}`);
  return [Number(match[1]), Number(match[2]), Number(match[3])] as const;
};
const isAbove = (version: string, floor: string) => {
  const [a, b] = [semver(version), semver(floor)];
  for (let index = 0; index < 3; index += 1) {
    if (a[index] !== b[index]) return (a[index] ?? 0) > (b[index] ?? 0);
  }
  return false;
};

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
    const passwords = variables.filter((entry) => /PASSWORD/.test(entry.name));
    // Named here, not derived: a manifest that lost a password variable must fail this, not skip it.
    expect(passwords.map((entry) => entry.name).sort()).toEqual([
      "RAYTIO_AGENT_ENCRYPTION_PASSWORD",
      "RAYTIO_AGENT_PASSWORD",
    ]);
    for (const variable of passwords) expect(variable.isSecret, variable.name).toBe(true);
    const bundled = Object.values(bundleManifest(readPackageJson()).user_config).filter((entry) =>
      /PASSWORD/.test(entry.title),
    );
    expect(bundled.map((entry) => entry.title).sort()).toEqual([
      "RAYTIO_AGENT_ENCRYPTION_PASSWORD",
      "RAYTIO_AGENT_PASSWORD",
    ]);
    for (const entry of bundled) expect(entry.sensitive, entry.title).toBe(true);
  });
});

describe("the version line", () => {
  it("has one source, package.json, for the server, server.json and the bundle manifest", () => {
    const pkg = readPackageJson();
    expect(VERSION).toBe(pkg.version);
    expect(PACKAGE_NAME).toBe(pkg.name);
    const server = serverJson(pkg);
    expect(server.version).toBe(pkg.version);
    expect(server.packages[0]?.version).toBe(pkg.version);
    expect(bundleManifest(pkg).version).toBe(pkg.version);
  });

  it(`stays above ${LAST_PUBLISHED_WITHOUT_CHANGELOG}, the last version published before this changelog`, () => {
    expect(isAbove(readPackageJson().version, LAST_PUBLISHED_WITHOUT_CHANGELOG)).toBe(true);
  });

  it("has a CHANGELOG.md entry for the version in package.json, newest first", () => {
    const versions = [...committed("CHANGELOG.md").matchAll(/^## \[(\d+\.\d+\.\d+[^\]]*)\]/gm)].map(
      (match) => match[1],
    );
    expect(versions[0]).toBe(readPackageJson().version);
  });
});
