// The README's package table (Performance, "Package and cold npx"): written by
// `npm run measure:package` between two markers, so it is never typed by hand and never goes stale
// unnoticed; scripts/package-table.test.ts checks the README holds exactly what this module writes.
// Plain JavaScript: measure-package.mjs runs with node alone.

export const START =
  "<!-- measure:package start: written by `npm run measure:package`; do not edit by hand -->";
export const END = "<!-- measure:package end -->";

const HEADER = [
  "| Package | Packed | Unpacked | Files | Packages installed | Cold `npx -y` to `initialize` |",
  "| --- | ---: | ---: | ---: | ---: | ---: |",
];

const number = (value) => value.toLocaleString("en-US");
const parseNumber = (text) => Number(text.replaceAll(",", ""));

/**
 * The machine's CPUs and load go with the numbers: a cold start on a busy machine is several times
 * slower, and only the two rows measured together compare.
 *
 * @param {{ date: string, platform: string, cpus: number, load: number, node: string, runs: number }} measured
 * @param {Array<{ name: string, packedKiB: number, unpackedKiB: number, files: number, installedPackages: number, coldStartMs: number }>} rows
 */
export function renderPackageTable(measured, rows) {
  return [
    START,
    `Measured ${measured.date} on ${measured.platform} (${measured.cpus} CPUs, load average ${measured.load.toFixed(1)} at the start), Node ${measured.node}: median of ${measured.runs} cold starts each.`,
    "",
    ...HEADER,
    ...rows.map(
      (row) =>
        `| ${row.name} | ${number(row.packedKiB)} KiB | ${number(row.unpackedKiB)} KiB | ${number(row.files)} | ${number(row.installedPackages)} | ${number(row.coldStartMs)} ms |`,
    ),
    END,
  ].join("\n");
}

/** The section between the markers, or undefined when the README has none (or more than one). */
export function packageSection(readme) {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start || readme.indexOf(START, start + 1) >= 0) return undefined;
  return readme.slice(start, end + END.length);
}

/** Reads a section back into what rendered it; undefined when a line is not in the written form. */
export function parsePackageTable(section) {
  const lines = section.split("\n");
  const measured =
    /^Measured (\d{4}-\d{2}-\d{2}) on (\S+) \((\d+) CPUs, load average (\d+\.\d) at the start\), Node (v\d+\.\d+\.\d+): median of (\d+) cold starts each\.$/.exec(
      lines[1] ?? "",
    );
  if (!measured || lines[0] !== START || lines.at(-1) !== END) return undefined;
  const rows = [];
  for (const line of lines.slice(5, -1)) {
    const cells = /^\| (.+?) \| ([\d,]+) KiB \| ([\d,]+) KiB \| ([\d,]+) \| ([\d,]+) \| ([\d,]+) ms \|$/.exec(
      line,
    );
    if (!cells) return undefined;
    const [, name = "", packed = "", unpacked = "", files = "", installed = "", cold = ""] = cells;
    rows.push({
      name,
      packedKiB: parseNumber(packed),
      unpackedKiB: parseNumber(unpacked),
      files: parseNumber(files),
      installedPackages: parseNumber(installed),
      coldStartMs: parseNumber(cold),
    });
  }
  const [, date = "", platform = "", cpus = "0", load = "0", node = "", runs = "0"] = measured;
  return {
    measured: { date, platform, cpus: Number(cpus), load: Number(load), node, runs: Number(runs) },
    rows,
  };
}

/** The README with its section replaced by `section`; throws when the markers are missing. */
export function withPackageTable(readme, section) {
  const current = packageSection(readme);
  if (current === undefined)
    throw new Error(`README.md needs exactly one pair of markers:\n${START}\n${END}`);
  return readme.replace(current, () => section);
}
