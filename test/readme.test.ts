import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blocksUnder, commandsOf, type ReadmeBlock } from "../scripts/readme-blocks.mjs";
import { TOOLS } from "../src/tools/registry.js";
import { ROOT } from "./support/harness.js";

/**
 * The README's commands, run as a newcomer runs them: in a fresh clone of this working tree, as
 * written, with only the placeholders the README explains filled in. Blocks are found by the headings
 * above them, so the test follows the README when it changes, and a failure names the command.
 *
 * - The quick start runs first, in a fresh clone with nothing installed: `npm run demo` installs
 *   (`npm ci`), builds and runs the demo, as the README says it does.
 * - The sandbox block then runs in that clone: the command that "keeps running" is started on its own
 *   and the next one runs "in another terminal"; Ctrl+C (SIGINT) stops the first at the end.
 * - The DSM example (JavaScript) runs against that sandbox through the built server and the MCP SDK's
 *   client with its default 60 s request timeout; the person answers with the README's own `curl`.
 * - Packing runs in a second fresh clone: `npm ci && npm pack`, then `npx -y ./<tarball> --version`.
 * - "Run the tests" cannot run inside `npm test` (it would run this file again, and double the suite);
 *   `.ci/run` runs it on a clean machine, reading it from the README, and this test checks that.
 *
 * Installs are real `npm ci` runs that prefer npm's cache (npm_config_prefer_offline): the point of
 * these blocks includes the install, so node_modules is never shared with the repository.
 */

const README = readFileSync(path.join(ROOT, "README.md"), "utf8");
const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  version: string;
  repository?: string | { url: string };
};
const VERSION = PACKAGE.version;

/** The README's sections this test runs, by heading. */
const SECTIONS = {
  quickStart: "See it work in one command",
  pack: "As one file that npx runs",
  runTests: "Run the tests",
  sandbox: "The sandbox",
  dsm: "Requesting data (DSM) in practice",
} as const;

/** Long enough for an install and a build on a loaded two-core machine; only ever a hang guard. */
const STEP_TIMEOUT_MS = 900_000;

const work = mkdtempSync(path.join(tmpdir(), "raytio-readme-"));
/** The first clone: quick start, sandbox and DSM example. */
const clone = path.join(work, "raytio-mcp-server");
let sandboxPort = 0;
let sandbox: Background | undefined;

/** Only what a person's shell has, plus npm preferring its cache (the same packages either way). */
function shellEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? work,
    LANG: "C.UTF-8",
    npm_config_prefer_offline: "true",
    npm_config_update_notifier: "false",
  };
  for (const name of ["TMPDIR", "npm_config_cache", "npm_config_registry"])
    if (process.env[name]) env[name] = process.env[name] ?? "";
  return { ...env, ...extra };
}

/** A free port on loopback, for the placeholder the README explains ("4010 … any free one"). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/**
 * The placeholders the README explains, and what fills them. A placeholder the README does not explain
 * (such as `$REPO_URL`, or a `<thing>` nobody defines) is left alone, so its command fails and says so.
 */
function fill(command: string, values: Record<string, string>): string {
  let filled = command;
  for (const [placeholder, value] of Object.entries(values)) filled = filled.replaceAll(placeholder, value);
  const unknown = /<[a-z][a-z_ -]*>/.exec(filled);
  if (unknown)
    throw new Error(`README command \`${command}\` has a placeholder the test cannot fill: ${unknown[0]}`);
  return filled;
}

function placeholders(extra: Record<string, string> = {}): Record<string, string> {
  return { "<version>": VERSION, ...(sandboxPort ? { "4010": String(sandboxPort) } : {}), ...extra };
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function collect(child: ChildProcess): Promise<Outcome> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs commands in one shell, in order, stopping at the first failure and naming it. */
async function runCommands(commands: string[], cwd: string, where: string): Promise<Outcome> {
  const script = [
    // The failing command, as the README wrote it, for the assertion message.
    `trap 'echo "README command failed: $BASH_COMMAND" >&2' ERR`,
    ...commands,
  ].join("\n");
  const outcome = await collect(
    spawn("bash", ["-euo", "pipefail", "-c", script], {
      cwd,
      env: shellEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  const failed = /README command failed: (.*)/.exec(outcome.stderr)?.[1];
  expect(
    outcome.code,
    `${where}: \`${failed ?? commands.join(" && ")}\` exited ${outcome.code}\n${outcome.stderr.slice(-3_000)}`,
  ).toBe(0);
  return outcome;
}

interface Background {
  child: ChildProcess;
  output: () => string;
  exited: Promise<Outcome>;
}

/**
 * A command the README says keeps running: started in its own process group (its terminal), ready
 * once it says how to stop it, and stopped as Ctrl+C stops it, with SIGINT to the whole group.
 */
async function startBackground(command: string, cwd: string, where: string): Promise<Background> {
  const child = spawn("bash", ["-c", command], {
    cwd,
    env: shellEnv(),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = collect(child);
  let output = "";
  const ready = new Promise<void>((resolve, reject) => {
    const look = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (/Ctrl\+C/.test(output)) resolve();
    };
    child.stdout?.on("data", look);
    child.stderr?.on("data", look);
    void exited.then((outcome) =>
      reject(
        new Error(
          `${where}: \`${command}\` exited ${outcome.code} before it was ready\n${output.slice(-3_000)}`,
        ),
      ),
    );
  });
  await ready;
  return { child, output: () => output, exited };
}

/** Runs a shell block: commands that keep running start in the background, the rest in order. */
async function runBlock(block: ReadmeBlock, cwd: string, values = placeholders()): Promise<Outcome[]> {
  const where = `README.md line ${block.line} (${block.headings.at(-1)})`;
  const outcomes: Outcome[] = [];
  let pending: string[] = [];
  for (const { command, comment } of commandsOf(block)) {
    const filled = fill(command, values);
    if (/keeps running/.test(comment)) {
      if (pending.length > 0) outcomes.push(await runCommands(pending, cwd, where));
      pending = [];
      sandbox = await startBackground(filled, cwd, where);
      continue;
    }
    pending.push(filled);
  }
  if (pending.length > 0) outcomes.push(await runCommands(pending, cwd, where));
  return outcomes;
}

/** Every shell block under a heading, one after the other, as a person works down the section. */
async function runSection(heading: string, cwd: string): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const block of only(heading)) outcomes.push(...(await runBlock(block, cwd)));
  return outcomes;
}

function only(heading: string, languages?: readonly string[]): ReadmeBlock[] {
  const blocks = blocksUnder(README, heading, languages);
  expect(blocks.length, `README.md has no block under the heading "${heading}"`).toBeGreaterThan(0);
  return blocks;
}

/** Prose (outside code blocks) of the README, where placeholders must be explained. */
const PROSE = README.replace(/^(\s*)(`{3,})[\s\S]*?^\1\2\s*$/gm, "");

beforeAll(() => {
  // The files a commit of this working tree would hold: copied, then committed, so .gitignore decides.
  const source = path.join(work, "source");
  const skip = new Set([".git", "node_modules", "dist", "coverage", ".sandbox"]);
  cpSync(ROOT, source, {
    recursive: true,
    filter: (from) => !skip.has(path.basename(from)) || path.dirname(from) !== ROOT,
  });
  const git = (args: string[], cwd: string) =>
    execFileSync("git", ["-c", "user.name=README test", "-c", "user.email=readme@test.invalid", ...args], {
      cwd,
      stdio: "pipe",
    });
  git(["init", "-q", "-b", "main"], source);
  git(["add", "-A"], source);
  git(["commit", "-q", "-m", "the working tree"], source);
  git(["clone", "-q", source, clone], work);
});

afterAll(async () => {
  const running = sandbox?.child.exitCode === null && sandbox.child.signalCode === null;
  if (running && sandbox?.child.pid) {
    // A test that failed before Ctrl+C: stop the whole group, whatever is left of it.
    try {
      process.kill(-sandbox.child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
    await sandbox.exited.catch(() => undefined);
  }
  rmSync(work, { recursive: true, force: true });
});

describe("the README's commands, in a fresh clone", () => {
  it(
    "quick start: npm run demo installs, builds, and ends with a decrypted answer",
    async () => {
      expect(existsSync(path.join(clone, "node_modules"))).toBe(false);
      const output = (await runSection(SECTIONS.quickStart, clone)).map((o) => o.stdout + o.stderr).join("");
      expect(output).toContain("Installing dependencies");
      expect(output).toContain("decrypted in this process");
      expect(output).toMatch(/Done: every call above went through/);
      // S2: the install prints no unreviewed install-script notice.
      expect(output).not.toMatch(/install-scripts|not yet covered by allowScripts/);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "the sandbox: starts, writes sandbox.env, and --check passes against it",
    async () => {
      expect(PROSE).toMatch(/4010[^\n]*any free one/);
      sandboxPort = await freePort();
      const outcomes = await runSection(SECTIONS.sandbox, clone);
      expect(sandbox, "the sandbox block has a command that keeps running").toBeDefined();
      expect(outcomes.map((o) => o.stdout).join("")).toContain("Result: OK");
      expect(readFileSync(path.join(clone, "sandbox.env"), "utf8")).toContain(`127.0.0.1:${sandboxPort}`);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "the DSM example: v1.17's calls, each inside the SDK client's default timeout, answered with the README's curl",
    async () => {
      if (!sandbox) throw new Error("the sandbox block did not start a sandbox");
      const [example] = only(SECTIONS.dsm, ["js", "javascript"]);
      const [answer] = only(SECTIONS.dsm);
      if (!example || !answer) throw new Error("unreachable");
      expect(PROSE).toContain("request_short_code");

      // As the README says: the server started against the sandbox's config file.
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: ["dist/index.js"],
        cwd: clone,
        env: shellEnv({ RAYTIO_CONFIG_FILE: "./sandbox.env" }),
        stderr: "pipe",
      });
      const client = new Client({ name: "readme-dsm-example", version: "1.0.0" });
      await client.connect(transport);
      try {
        let answering: Promise<Outcome[]> | undefined;
        const call =
          (name: string) =>
          async (args: Record<string, unknown> = {}) => {
            // No timeout option: the SDK's default (60 s) applies, as in any client that keeps it.
            const result = (await client.callTool({ name, arguments: args }, undefined, {
              onprogress: () => {
                // The person answers once the server is waiting for them, with the README's command.
                if (answering || name !== "poll_and_retrieve") return;
                const code = String(args.request_short_code);
                answering = runBlock(answer, clone, placeholders({ "<request_short_code>": code }));
              },
            })) as CallToolResult;
            expect(result.isError, `${name}: ${JSON.stringify(result.content)}`).toBeFalsy();
            // The answer's own outcome: a refused curl (it exits 0 on any HTTP status) fails here.
            if (answering) expect((await answering).map((o) => o.stdout).join("")).toContain("submission_id");
            return result.structuredContent;
          };
        const names = TOOLS.map((tool) => tool.name).filter((name) =>
          new RegExp(`\\b${name}\\(`).test(example.text),
        );
        expect(names).toEqual(
          expect.arrayContaining([
            "list_schemas",
            "create_access_application",
            "create_form",
            "send_request",
            "poll_and_retrieve",
          ]),
        );
        const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
        const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
          ...args: string[]
        ) => (...values: unknown[]) => Promise<{ data: Record<string, unknown> }>;
        const run = new AsyncFunction(...names, "sleep", `${example.text}\nreturn { data };`);
        const { data } = await run(...names.map(call), sleep);
        expect(answering).toBeDefined();
        expect(Object.keys(data).sort()).toEqual(["ss_Phone_Number", "ss_Right_To_Work"]);
      } finally {
        await client.close();
      }
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "Ctrl+C stops the sandbox, and nothing the commands wrote is left for Git to commit (sandbox.env included)",
    async () => {
      if (!sandbox?.child.pid) throw new Error("the sandbox block did not start a sandbox");
      process.kill(-sandbox.child.pid, "SIGINT");
      await sandbox.exited;
      const status = execFileSync("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: clone })
        .toString()
        .trim();
      expect(status).toBe("");
      expect(existsSync(path.join(clone, "sandbox.env"))).toBe(true);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "packing: npm ci && npm pack in a fresh clone builds first, and npx runs the tarball",
    async () => {
      const packed = path.join(work, "pack-clone");
      execFileSync("git", ["clone", "-q", clone, packed]);
      expect(existsSync(path.join(packed, "dist"))).toBe(false);
      expect(PROSE).toContain("`<version>` is the version in `package.json`");
      const outcomes = await runSection(SECTIONS.pack, packed);
      const output = outcomes.map((o) => o.stdout).join("");
      expect(output.trim().split("\n").at(-1)).toBe(VERSION);
      const tarball = readdirSync(packed).find((file) => file.endsWith(".tgz"));
      expect(tarball).toBe(`raytio-mcp-server-${VERSION}.tgz`);
      const listed = execFileSync("tar", ["-tzf", path.join(packed, tarball ?? "")]).toString();
      expect(listed).toContain("package/dist/index.js");
      expect(listed).toContain("package/dist/tool-catalogue.json");
    },
    STEP_TIMEOUT_MS,
  );

  it("Run the tests: CI runs exactly the README's block, read from the README", () => {
    const commands = only(SECTIONS.runTests).flatMap((block) =>
      commandsOf(block).map((entry) => entry.command),
    );
    expect(commands).toContain("npm test");
    const ci = readFileSync(path.join(ROOT, ".ci/run"), "utf8");
    expect(ci).toContain(`node scripts/readme-blocks.mjs "${SECTIONS.runTests}"`);
    expect(ci).toMatch(/bash -euo pipefail -c "\$readme_tests"/);
  });
});

describe("where a newcomer starts", () => {
  it("is never sent to a repository address nobody gave (package.json names the only one there is)", () => {
    const repository =
      typeof PACKAGE.repository === "string" ? PACKAGE.repository : (PACKAGE.repository?.url ?? undefined);
    const hosted =
      README.match(/\b(?:https?:\/\/|git@)(?:github\.com|gitlab\.com|bitbucket\.org)[^\s)`"']*/g) ?? [];
    // Links to other projects' repositories are fine; one that could pass for this one's is not.
    const ours = hosted.filter((address) => /raytio/i.test(address));
    expect(ours.filter((address) => !repository?.includes(address))).toEqual([]);
    expect(README).not.toMatch(/git clone\s/);
  });

  it("needs no variable the README's tested commands do not set or a person's shell does not have", () => {
    const shell = new Set(["HOME", "PATH", "EDITOR", "USERPROFILE"]);
    const unset: string[] = [];
    for (const heading of [
      SECTIONS.quickStart,
      SECTIONS.pack,
      SECTIONS.runTests,
      SECTIONS.sandbox,
      SECTIONS.dsm,
    ]) {
      for (const block of blocksUnder(README, heading)) {
        const assigned = new Set<string>();
        for (const { command } of commandsOf(block)) {
          for (const [, name] of command.matchAll(/(?:^|\s)([A-Z_][A-Z0-9_]*)=/g))
            if (name) assigned.add(name);
          for (const [, name] of command.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g))
            if (name && !assigned.has(name) && !shell.has(name))
              unset.push(`${heading}: $${name} in \`${command}\``);
        }
      }
    }
    expect(unset).toEqual([]);
  });
});
