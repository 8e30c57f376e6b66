import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountByKey } from "../sandbox/accounts.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import { type CheckResult, installConformance } from "./support/conformance.js";
import { startTestSandbox } from "./support/harness.js";
import {
  eventually,
  freePort,
  type HttpServerProcess,
  signInOnPage,
  startHttpServerProcess,
} from "./support/http-harness.js";

/**
 * The official conformance suite's authorization-server scenarios (`conformance authorization`), run
 * against this server's own OAuth endpoints: the 2026-07-28 requirement set has no authorization-server
 * section (the specification leaves the authorization server out of its scope), but an MCP server that
 * is its own authorization server, as this one is over HTTP, should pass what applies to one:
 * - `authorization-server-metadata-endpoint`: RFC 8414 metadata (check `authorization-server-metadata`),
 *   and CIMD support (`authorization-server-metadata-cimd`, a warning unless it is true);
 * - `authorization-code-grant`: the code flow with PKCE, `state` and `iss` in the redirect, and the
 *   token response's status, type and `Cache-Control: no-store`.
 *
 * The suite prints the authorization URL for a person to open in a browser and waits for the redirect
 * on a loopback callback; here the sandbox person signs in on the page, and the redirect is followed to
 * the suite's callback, as the browser would.
 */

let sandbox: Sandbox;
let server: HttpServerProcess;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  server = await startHttpServerProcess(sandbox);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await sandbox?.stop();
});

describe("the conformance suite's authorization-server scenarios", () => {
  it("passes the metadata endpoint and the authorization code grant, signed in as a real person", async () => {
    const install = await installConformance();
    const issuer = new URL(server.url).origin;
    const callbackPort = await freePort();
    const registered = (await (
      await fetch(`${issuer}/oauth/register`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          client_name: "MCP conformance suite (authorization)",
          redirect_uris: [`http://127.0.0.1:${callbackPort}/callback`],
        }),
      })
    ).json()) as { client_id: string };

    const results = mkdtempSync(path.join(tmpdir(), "raytio-conformance-authorization-"));
    const child = spawn(
      install.node,
      [
        install.cli,
        "authorization",
        "--url",
        issuer,
        "--client-id",
        registered.client_id,
        "--resource",
        server.url,
        "--port",
        String(callbackPort),
        "--spec-version",
        "2026-07-28",
        "-o",
        results,
      ],
      {
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      // The person's part: open the printed URL, sign in and approve; the browser follows the redirect.
      const authorizationUrl = await eventually(
        "the suite to print the authorization URL",
        () => /^(https?:\/\/\S+\/oauth\/authorize\?\S+)$/m.exec(output)?.[1],
        120_000,
      );
      const { email, password } = accountByKey("agent");
      const signedIn = await signInOnPage(authorizationUrl, { email, password });
      expect(signedIn.location?.origin).toBe(`http://127.0.0.1:${callbackPort}`);
      await (await fetch(signedIn.location as URL)).text();

      expect(await exited, output).toBe(0);
      const checks = new Map<string, CheckResult>();
      for (const folder of readdirSync(results)) {
        const file = path.join(results, folder, "checks.json");
        if (!existsSync(file)) continue;
        for (const check of JSON.parse(readFileSync(file, "utf8")) as CheckResult[])
          checks.set(check.id, check);
      }
      const notPassed = [...checks.values()]
        .filter((check) => check.status !== "SUCCESS" && check.status !== "INFO")
        .map((check) => `${check.id} ${check.status}: ${check.errorMessage ?? ""}`);
      expect(notPassed, output).toEqual([]);
      for (const id of [
        "authorization-server-metadata",
        "authorization-server-metadata-cimd",
        "authorization-code-grant",
      ])
        expect(checks.get(id)?.status, `${id} did not pass:\n${output}`).toBe("SUCCESS");
    } finally {
      child.kill();
      rmSync(results, { recursive: true, force: true });
    }
  }, 300_000);
});
