import { parseArgs } from "node:util";
import { ACCOUNTS } from "./accounts.js";
import { startSandbox } from "./sandbox.js";

/**
 * `npm run sandbox -- --port 4010 --write-config ./sandbox.env [--data-dir .sandbox/db]`
 * Everything it prints goes to stderr, so it can never be confused with an MCP stream.
 */
const USAGE = `Raytio sandbox: local stand-ins for Cognito (with SRP) and the Raytio API over PGlite.

Usage: npm run sandbox -- [options]
  --port <n>             port on 127.0.0.1 (default 4010; 0 picks a free one)
  --write-config <file>  write a config file for RAYTIO_CONFIG_FILE (mode 600)
  --account <key>        account the config signs in as (default agent)
  --data-dir <dir>       keep the database in this folder between runs
  --auto-submit <secs>   answer every new DSM request with fake data after this many seconds
  --help
`;

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "4010" },
    "write-config": { type: "string" },
    account: { type: "string", default: "agent" },
    "data-dir": { type: "string" },
    "auto-submit": { type: "string" },
    help: { type: "boolean" },
  },
  strict: true,
});

const log = (line: string) => process.stderr.write(`[sandbox] ${line}\n`);

if (values.help) {
  process.stderr.write(USAGE);
  process.exit(0);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  log(`--port must be a port number, got ${values.port}`);
  process.exit(1);
}

const autoSubmit = values["auto-submit"] === undefined ? undefined : Number(values["auto-submit"]);
if (autoSubmit !== undefined && !(Number.isFinite(autoSubmit) && autoSubmit >= 0)) {
  log(`--auto-submit must be a number of seconds, got ${values["auto-submit"]}`);
  process.exit(1);
}

const sandbox = await startSandbox({
  port,
  ...(autoSubmit === undefined ? {} : { autoSubmitSeconds: autoSubmit }),
  ...(values["data-dir"] ? { dataDir: values["data-dir"] } : {}),
  log,
});
log(`Listening on ${sandbox.url}  (Raytio API ${sandbox.url}/db/v1, Cognito ${sandbox.url}/cognito/)`);
if (values["write-config"]) {
  sandbox.writeConfig(values["write-config"], values.account);
  log(`Wrote ${values["write-config"]} for account ${values.account}. Start the server with:`);
  log(`  RAYTIO_CONFIG_FILE=${values["write-config"]} node dist/index.js`);
}
log("Accounts (sandbox only):");
for (const account of ACCOUNTS) {
  log(
    `  ${account.key.padEnd(20)} ${account.email.padEnd(42)} password ${JSON.stringify(account.password)}  roles ${account.groups.join(",") || "(none)"}  customer ${account.customerId}`,
  );
}
if (autoSubmit !== undefined)
  log(`Auto-submit: every new DSM request is answered with fake data after ${autoSubmit} s.`);
log("Press Ctrl+C to stop.");

const stop = async () => {
  await sandbox.stop();
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
