import "./stdio-guard.js";
import { fail, parseCli, USAGE } from "./cli.js";
import { isRaytioError } from "./errors.js";
import { VERSION } from "./version.js";

/**
 * What the entry point (src/index.ts) runs: the command line, answering --help and --version without
 * loading anything else. Every command, serving stdio included, loads from src/main.ts.
 */
async function main(): Promise<void> {
  const values = parseCli(process.argv.slice(2));
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  // Needs no configuration: an auditor checks a copy of the log wherever it is.
  if (values["verify-audit"] !== undefined) {
    const { runVerifyAudit } = await import("./audit/verify.js");
    process.exitCode = await runVerifyAudit(values["verify-audit"], (line) =>
      process.stdout.write(`${line}\n`),
    );
    return;
  }
  const { runCommand } = await import("./main.js");
  await runCommand(values);
}

main().catch((error: unknown) => {
  fail(`Raytio MCP server failed to start: ${isRaytioError(error) ? error.message : String(error)}`);
});
