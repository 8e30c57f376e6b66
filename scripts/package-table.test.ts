import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  END,
  packageSection,
  parsePackageTable,
  renderPackageTable,
  START,
  withPackageTable,
} from "./package-table.mjs";

const README = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { name: string };

describe("the README's package table", () => {
  it("is exactly what npm run measure:package writes, between its markers", () => {
    const section = packageSection(README);
    expect(section, `README.md needs one ${START} … ${END} section`).toBeDefined();
    const parsed = parsePackageTable(section ?? "");
    expect(parsed, "a line of the table is not in the form the script writes").toBeDefined();
    if (!parsed) return;
    expect(renderPackageTable(parsed.measured, parsed.rows)).toBe(section);
    expect(parsed.rows.map((row) => row.name.split(" ")[0])).toEqual([
      pkg.name,
      "@modelcontextprotocol/server-github",
    ]);
  });

  it("is replaced whole by the script, and refused without its markers", () => {
    const section = renderPackageTable(
      { date: "2026-12-07", platform: "linux-x64", cpus: 2, load: 0.5, node: "v20.1.0", runs: 3 },
      [
        {
          name: "x 1.0.0",
          packedKiB: 1234,
          unpackedKiB: 5,
          files: 6,
          installedPackages: 1,
          coldStartMs: 1500,
        },
      ],
    );
    expect(section).toContain("| x 1.0.0 | 1,234 KiB | 5 KiB | 6 | 1 | 1,500 ms |");
    const updated = withPackageTable(README, section);
    expect(packageSection(updated)).toBe(section);
    expect(updated.replace(section, "")).toBe(README.replace(packageSection(README) ?? "", ""));
    expect(() => withPackageTable("# no table here", section)).toThrow(/markers/);
  });
});
