import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import { BACKEND_ASSUMPTIONS } from "../src/probe/plan.js";
import { SERVER_ENTRY, serverEnv, startTestSandbox } from "./support/harness.js";

const run = promisify(execFile);
const contract = readFileSync(new URL("../docs/raytio-api.md", import.meta.url), "utf8");
let sandbox: Sandbox;

async function probe(env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(process.execPath, [SERVER_ENTRY, "--probe"], {
      env: serverEnv(env),
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

const failedIds = (stdout: string) =>
  stdout
    .split("\n")
    .filter((line) => line.startsWith("✘ "))
    .map((line) => line.split(/\s+/)[1]);

/**
 * A stand-in for a platform that differs from the contract in two ways: work items come back with
 * `title` renamed to `name`, and the guardrail table does not exist. Everything else passes through.
 */
function startDriftProxy(target: string): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", target);
    if (url.pathname === "/db/v1/wrm_guardrail") {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ code: "PGRST205", message: "Could not find the table", details: null, hint: null }),
      );
      return;
    }
    const upstream = httpRequest(
      url,
      { method: req.method, headers: { ...req.headers, host: url.host } },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () => {
          let body = Buffer.concat(chunks).toString("utf8");
          if (url.pathname === "/db/v1/ppm_work_item" && body.startsWith("[")) {
            const rows = JSON.parse(body) as Array<Record<string, unknown>>;
            body = JSON.stringify(rows.map(({ title, ...rest }) => ({ ...rest, name: title })));
          }
          const headers = { ...answer.headers };
          delete headers["content-length"];
          res.writeHead(answer.statusCode ?? 502, headers);
          res.end(body);
        });
      },
    );
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
});

afterAll(async () => {
  await sandbox.stop();
});

describe("--probe", () => {
  it("checks every assumption against the sandbox, every line ✔, and exits 0", async () => {
    const result = await probe(sandbox.configFor("agent"));
    expect(result.stdout).toContain("Result: OK");
    expect(failedIds(result.stdout)).toEqual([]);
    for (const assumption of BACKEND_ASSUMPTIONS) expect(result.stdout).toContain(assumption.id);
    expect(result.stdout).toMatch(/✔ AUTH-JWT-CLAIMS/);
    expect(result.stdout).toMatch(/✔ AUTH-COGNITO-SRP-SIGN-IN/);
    expect(result.stdout).toMatch(/✔ AUTH-COGNITO-SRP-RENEWAL/);
    // Every assumption the contract lists is either checked (a line) or named with why it is not.
    const listed = [...contract.matchAll(/^\| `([A-Z0-9-]+)` \|/gm)].map((match) => match[1] as string);
    expect(listed.length).toBeGreaterThan(40);
    const mentioned = new Set(
      [...result.stdout.matchAll(/^(?:[✔✘] | {2}- )([A-Z0-9-]+)/gm)].map((m) => m[1]),
    );
    expect(listed.filter((id) => !mentioned.has(id))).toEqual([]);
    expect(result.stdout).toMatch(/✔ ERR-PGRST116/);
    expect(result.code).toBe(0);
    // Nothing read is printed: no account name, e-mail address or password.
    const config = sandbox.configFor("agent");
    for (const secret of [config.RAYTIO_AGENT_PASSWORD, config.RAYTIO_AGENT_ENCRYPTION_PASSWORD]) {
      if (secret) expect(`${result.stdout}${result.stderr}`).not.toContain(secret);
    }
    expect(result.stdout).not.toMatch(/[\w.+-]+@[\w-]+\.[a-z]{2,}/i);
  });

  it("through a proxy that renames one field and removes one route, names exactly those two differences", async () => {
    const proxy = await startDriftProxy(sandbox.url);
    try {
      const { port } = proxy.address() as AddressInfo;
      const result = await probe(
        sandbox.configFor("agent", { RAYTIO_API_BASE_URL: `http://127.0.0.1:${port}` }),
      );
      expect(result.code).toBe(1);
      expect(failedIds(result.stdout)).toEqual(["PPM-T-WORK-ITEM", "WRM-T-GUARDRAIL"]);
      expect(result.stdout).toMatch(/✘ missing column title; unexpected columns: name \(renamed\?\)/);
      expect(result.stdout).toMatch(/✘ 404: path not found \(PGRST205\)/);
      expect(result.stdout).toContain("Result: 2 of");
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
