import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import { PROMPTS } from "../src/catalogue/prompts.js";
import { decodeCursor } from "../src/tools/core/pagination.js";
import { TOOLS } from "../src/tools/registry.js";
import {
  ROOT,
  SERVER_ENTRY,
  serverEnv,
  serverPool,
  startTestSandbox,
  structured,
  textOf,
  toolNames,
} from "./support/harness.js";

const run = promisify(execFile);
let sandbox: Sandbox;
const pool = serverPool(() => sandbox);
const connect = pool.connect;

/** Runs the built CLI; resolves with the exit code instead of throwing on a non-zero one. */
async function cli(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(process.execPath, [SERVER_ENTRY, ...args], { env: serverEnv(env) });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
});

afterAll(async () => {
  await pool.closeAll();
  await sandbox.stop();
});

describe("tool filters on top of domains", () => {
  const writeTool = TOOLS.find((tool) => tool.domain === "ppm" && !tool.annotations.readOnlyHint);
  const readTool = TOOLS.find((tool) => tool.domain === "ppm" && tool.annotations.readOnlyHint);

  it("applies RAYTIO_TOOLS and RAYTIO_EXCLUDE_TOOLS", async () => {
    if (!writeTool || !readTool) throw new Error("ppm needs a read and a write tool");
    const server = await connect("agent", {
      RAYTIO_TOOLS: [readTool.name, writeTool.name, "list_workers"].join(","),
      RAYTIO_EXCLUDE_TOOLS: "list_workers",
    });
    expect((await toolNames(server)).sort()).toEqual([readTool.name, writeTool.name].sort());
  });

  it("lets RAYTIO_READ_ONLY drop every write tool, even one the allow list names", async () => {
    if (!writeTool || !readTool) throw new Error("ppm needs a read and a write tool");
    const server = await connect("agent", {
      RAYTIO_TOOLS: `${writeTool.name},${readTool.name}`,
      RAYTIO_READ_ONLY: "true",
    });
    expect(await toolNames(server)).toEqual([readTool.name]);
    const all = await connect("agent", { RAYTIO_READ_ONLY: "true" });
    const listed = (await all.client.listTools()).tools;
    expect(listed.length).toBeGreaterThan(1);
    expect(listed.every((tool) => tool.annotations?.readOnlyHint === true)).toBe(true);
  });

  it("fails at start on an unknown tool name, listing the valid ones", async () => {
    const result = await cli([], sandbox.configFor("agent", { RAYTIO_EXCLUDE_TOOLS: "drop_tables" }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("drop_tables");
    expect(result.stderr).toContain("list_work_items");
  });
});

describe("response budget", () => {
  it("cuts a large page to the budget and continues exactly where it stopped", async () => {
    const server = await connect("project_user", { RAYTIO_MAX_RESPONSE_TOKENS: "2500" });
    const seen: string[] = [];
    let cursor: string | undefined;
    let total = 0;
    let truncatedPages = 0;
    for (let page = 0; page < 100; page += 1) {
      const result = await server.call("list_work_items", {
        limit: 100,
        sort: "title_asc",
        ...(cursor ? { cursor } : {}),
      });
      expect(Buffer.byteLength(textOf(result))).toBeLessThanOrEqual(2500 * 4);
      const content = structured<{
        items: Array<{ id: string }>;
        next_cursor: string | null;
        total: number;
        truncated?: boolean;
      }>(result);
      if (content.truncated) {
        truncatedPages += 1;
        // Said once: the page's summary says how to continue, the budget note says why it was cut.
        expect(textOf(result)).toMatch(/fit the \d+-token response budget/);
        expect(textOf(result).match(/pass next_cursor as cursor/gi)).toHaveLength(1);
      }
      seen.push(...content.items.map((item) => item.id));
      total = content.total;
      if (!content.next_cursor) break;
      expect(decodeCursor(content.next_cursor, { sort: "title_asc" })).toBe(seen.length);
      cursor = content.next_cursor;
    }
    expect(truncatedPages).toBeGreaterThan(0);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(total);
  });
});

describe("resources and prompts", () => {
  it("serves the schema catalogue as raytio://schemas/{name} when list_schemas is exposed", async () => {
    const server = await connect("data_sharing_user");
    const { resources } = await server.client.listResources();
    expect(resources.length).toBeGreaterThanOrEqual(12);
    expect(resources.map((resource) => resource.uri)).toContain("raytio://schemas/ss_Passport");
    const read = await server.client.readResource({ uri: "raytio://schemas/ss_Passport" });
    const first = read.contents[0];
    const schema = JSON.parse(first && "text" in first ? first.text : "{}") as {
      title?: string;
      properties?: object;
    };
    expect(schema.title).toBeTruthy();
    expect(Object.keys(schema.properties ?? {}).length).toBeGreaterThan(2);
    await expect(server.client.readResource({ uri: "raytio://schemas/ss_Nope" })).rejects.toThrow(
      /list_schemas/,
    );
  });

  it("offers a prompt only when every tool it needs is exposed", async () => {
    for (const domains of ["dsm", "ppm", "prm"]) {
      const server = await connect("agent", { RAYTIO_TOOL_DOMAINS: domains });
      const exposed = new Set(await toolNames(server));
      const offered = (await server.client.listPrompts()).prompts.map((prompt) => prompt.name).sort();
      const expected = PROMPTS.filter((prompt) => prompt.requiredTools.every((tool) => exposed.has(tool)))
        .map((prompt) => prompt.name)
        .sort();
      expect(offered, domains).toEqual(expected);
    }
  });

  it("renders the triage prompt with its arguments", async () => {
    const server = await connect("project_user");
    const prompt = await server.client.getPrompt({
      name: "triage_my_work_items",
      arguments: { tag: "compliance" },
    });
    const message = prompt.messages[0]?.content;
    expect(message && message.type === "text" ? message.text : "").toContain('tag "compliance"');
  });
});

describe("command line", () => {
  it("prints the version and help without any configuration", async () => {
    const version = await cli(["--version"], {});
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const help = await cli(["--help"], {});
    expect(help.stdout).toContain("--list-tools");
    expect(help.stdout).toContain("ppm-readonly");
  });

  it("lists tools without signing in, honouring domains and filters, as JSON", async () => {
    const result = await cli(["--list-tools", "--json", "--domains", "ppm", "--read-only"], {});
    expect(result.code).toBe(0);
    const { tools } = JSON.parse(result.stdout) as {
      tools: Array<{ name: string; annotations: { readOnlyHint: boolean } }>;
    };
    const expected = TOOLS.filter((tool) => tool.domain === "ppm" && tool.annotations.readOnlyHint).map(
      (tool) => tool.name,
    );
    expect(tools.map((tool) => tool.name)).toEqual(expected);
  });

  it("--check reports OK for a working configuration", async () => {
    const result = await cli(["--check"], sandbox.configFor("agent"));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("signed in as agent@sandbox.raytio.test");
    expect(result.stdout).toMatch(/tool domains dsm, ppm, wrm \(from the account's roles/);
    expect(result.stdout).toContain("ok    the encryption password opens the account's private key");
    expect(result.stdout).toContain("Result: OK");
  });

  it("--check fails when the encryption password does not open the key, naming the setting", async () => {
    const result = await cli(
      ["--check"],
      sandbox.configFor("agent", { RAYTIO_AGENT_ENCRYPTION_PASSWORD: "not the passphrase" }),
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /FAIL {2}encryption key: DECRYPTION_FAILED: .*RAYTIO_AGENT_ENCRYPTION_PASSWORD/,
    );
    expect(`${result.stdout}${result.stderr}`).not.toContain("not the passphrase");
  });

  it("--check fails with exit 1 and an actionable line for a wrong password, without printing it", async () => {
    const result = await cli(
      ["--check"],
      sandbox.configFor("agent", { RAYTIO_AGENT_PASSWORD: "Wrong-password-42" }),
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("FAIL  sign-in");
    expect(result.stdout).toContain("RAYTIO_AGENT_PASSWORD");
    expect(`${result.stdout}${result.stderr}`).not.toContain("Wrong-password-42");
    // It is the check: it never tells the person to go and run it.
    expect(result.stdout).not.toContain("--check");
  });

  it("--check with nothing listening names the address it tried, the setting, and the sandbox", async () => {
    const result = await cli(
      ["--check"],
      sandbox.configFor("agent", {
        RAYTIO_API_BASE_URL: "http://127.0.0.1:9",
        RAYTIO_COGNITO_ENDPOINT: "http://127.0.0.1:9/cognito/",
      }),
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("sign-in     Cognito SRP at http://127.0.0.1:9/cognito/");
    expect(result.stdout).toMatch(
      /FAIL {2}sign-in: Could not reach Raytio sign-in at http:\/\/127\.0\.0\.1:9\/cognito\/ \(Cognito, ECONNREFUSED\)\. Nothing answered on this machine: .*npm run sandbox.* The address comes from RAYTIO_COGNITO_ENDPOINT\./,
    );
    expect(result.stdout).not.toContain("--check");
    // The token endpoint names its own address and setting.
    const token = await cli(
      ["--check"],
      sandbox.configFor("agent", {
        RAYTIO_AUTH_FLOW: "token-endpoint",
        RAYTIO_API_BASE_URL: "http://127.0.0.1:9",
        RAYTIO_COGNITO_USER_POOL_ID: "",
        RAYTIO_COGNITO_CLIENT_ID: "",
        RAYTIO_COGNITO_REGION: "",
        RAYTIO_COGNITO_ENDPOINT: "",
      }),
    );
    expect(token.stdout).toMatch(
      /FAIL {2}sign-in: Could not reach Raytio sign-in at http:\/\/127\.0\.0\.1:9\/oauth\/v1\/token .*RAYTIO_API_BASE_URL/,
    );
  });

  it("--list-tools prints the tools/list bytes docs/tools.md gives, the one measure under that name", async () => {
    const doc = readFileSync(path.join(ROOT, "docs/tools.md"), "utf8");
    const documented = (domain: string) => {
      const row = doc.split("\n").find((line) => line.startsWith(`| ${domain} |`));
      return row?.split("|").map((cell) => cell.trim())[3];
    };
    for (const [args, domain] of [
      [["--domains", "ppm"], "`ppm`"],
      [["--domains", "wrm-readonly"], "`wrm-readonly`"],
      [[], "all"],
    ] as const) {
      const result = await cli(["--list-tools", ...args], {});
      expect(result.code).toBe(0);
      const bytes = /their tools\/list is (\d+) bytes/.exec(result.stdout)?.[1];
      expect(bytes, result.stdout).toBe(documented(domain));
      expect(result.stdout).not.toMatch(/tokens of tools\/list|about \d+ tokens/);
    }
  });
});
