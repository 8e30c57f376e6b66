import { createReadStream } from "node:fs";
import { type ChainReport, verifyLines } from "./chain.js";

/**
 * `--verify-audit FILE`: checks that the file is one whole chain. Read as a stream, so a log of any
 * size is checked in constant memory. A last line without its newline counts as broken: the server
 * writes each record with its newline in one write, so a missing one means the file was cut.
 */
export async function verifyAuditFile(file: string): Promise<ChainReport> {
  let unterminated = false;
  let count = 0;
  async function* lines(): AsyncGenerator<string> {
    let partial = "";
    for await (const chunk of createReadStream(file, { encoding: "utf8" })) {
      const pieces = (partial + chunk).split("\n");
      partial = pieces.pop() ?? "";
      for (const piece of pieces) {
        count += 1;
        yield piece;
      }
    }
    if (partial !== "") {
      unterminated = true;
      count += 1;
      yield partial;
    }
  }
  const report = await verifyLines(lines());
  if (report.ok && unterminated)
    return { ok: false, line: count, reason: "it is not terminated by a newline (the file was cut)" };
  return report;
}

/** Runs the command: prints one line and returns the exit code (0 whole, 1 broken or unreadable). */
export async function runVerifyAudit(file: string, print: (line: string) => void): Promise<number> {
  let report: ChainReport;
  try {
    report = await verifyAuditFile(file);
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : "error");
    print(`Audit log ${file}: cannot be read (${reason}).`);
    return 1;
  }
  if (!report.ok) {
    print(`Audit log ${file}: BROKEN at line ${report.line}: ${report.reason}.`);
    return 1;
  }
  print(
    report.records === 0
      ? `Audit log ${file}: empty, nothing to check.`
      : `Audit log ${file}: chain whole, ${report.records} records; the last record's hash is ${report.head.hash}.`,
  );
  return 0;
}
