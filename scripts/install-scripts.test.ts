import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const read = (file: string) => JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), "utf8"));
const pkg = read("package.json") as { allowScripts?: Record<string, boolean> };
const lock = read("package-lock.json") as {
  packages: Record<string, { version?: string; hasInstallScript?: boolean }>;
};

/**
 * npm 11.16+ lists every dependency install script that package.json's `allowScripts` has not decided
 * ("install-scripts … not yet covered"), and npm 12 skips them: a newcomer's first `npm ci` should
 * print no such warning, and what runs should not depend on the npm version.
 */
describe("dependency install scripts", () => {
  const withScripts = Object.entries(lock.packages)
    .filter(([, entry]) => entry.hasInstallScript)
    .map(([where, entry]) => ({ name: where.slice(where.lastIndexOf("node_modules/") + 13), ...entry }));

  it("are each allowed or denied in package.json's allowScripts", () => {
    const undecided = withScripts.filter(
      ({ name, version }) =>
        pkg.allowScripts?.[name] === undefined && pkg.allowScripts?.[`${name}@${version}`] === undefined,
    );
    expect(undecided.map(({ name, version }) => `${name}@${version}`)).toEqual([]);
  });

  it("deny esbuild's, which the build does not need", () => {
    // Its postinstall only hard-links the platform binary over the `esbuild` command's JS shim, or
    // downloads the binary when optional dependencies were left out. The build uses esbuild's JS API
    // (scripts/bundle.mjs, tsx), which finds the binary in the @esbuild/<platform> optional dependency
    // the lockfile installs; the shim runs that same binary.
    expect(withScripts.map(({ name }) => name)).toContain("esbuild");
    expect(pkg.allowScripts?.esbuild).toBe(false);
    expect(Object.keys(lock.packages).some((where) => where.startsWith("node_modules/@esbuild/"))).toBe(true);
  });
});
