// `npm run demo` from a fresh clone: installs dependencies if they are missing, builds the server,
// then runs the demo. Plain JavaScript because nothing (not even tsx) is installed yet.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const run = (command, args) => {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
    shell: process.platform === "win32",
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

if (!existsSync(new URL("../node_modules/.package-lock.json", import.meta.url))) {
  console.error("[demo] Installing dependencies (npm ci)...");
  run(npm, ["ci", "--no-audit", "--no-fund"]);
}
console.error("[demo] Building the server...");
run(npm, ["run", "--silent", "build"]);
run(process.execPath, ["--import", "tsx", "scripts/demo.ts", ...process.argv.slice(2)]);
