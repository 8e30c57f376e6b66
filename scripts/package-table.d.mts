export interface PackageMeasurement {
  date: string;
  platform: string;
  cpus: number;
  /** One-minute load average when the measurement started. */
  load: number;
  node: string;
  runs: number;
}

export interface PackageRow {
  name: string;
  packedKiB: number;
  unpackedKiB: number;
  files: number;
  installedPackages: number;
  coldStartMs: number;
}

export const START: string;
export const END: string;
export function renderPackageTable(measured: PackageMeasurement, rows: readonly PackageRow[]): string;
export function packageSection(readme: string): string | undefined;
export function parsePackageTable(
  section: string,
): { measured: PackageMeasurement; rows: PackageRow[] } | undefined;
export function withPackageTable(readme: string, section: string): string;
