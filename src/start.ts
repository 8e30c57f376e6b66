import "./stdio-guard.js";
import { fail, flagEnvironment, parseCli, USAGE } from "./cli.js";
import { type ConfigSourceValues, readSources } from "./config.js";
import { isRaytioError, type RaytioError } from "./errors.js";
import { VERSION } from "./version.js";

/**
 * What the entry point (src/index.ts) runs: the command line, answering --help, --version and
 * --verify-audit without loading anything else. Every command, serving stdio included, loads from
 * src/main.ts. The configuration's sources (the environment with the flags, and the config file) are
 * read here, once, and every command parses what it needs from that one read.
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
  const read = readOnce({ ...process.env, ...flagEnvironment(values) });
  const { runCommand } = await import("./main.js");
  await runCommand(values, read);
}

/** The sources, or why they cannot be read (a missing RAYTIO_CONFIG_FILE): each command reports it its way. */
function readOnce(env: NodeJS.ProcessEnv): ConfigSourceValues | RaytioError {
  try {
    return readSources({ env });
  } catch (error) {
    if (isRaytioError(error)) return error;
    throw error;
  }
}

main().catch((error: unknown) => {
  fail(`Raytio MCP server failed to start: ${isRaytioError(error) ? error.message : String(error)}`);
});
