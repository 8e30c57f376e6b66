import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountByKey } from "../sandbox/accounts.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import { checksIn, installConformance, startSuite } from "./support/conformance.js";
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
    const suite = startSuite(install, [
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
    ]);
    try {
      // The person's part: open the printed URL, sign in and approve; the browser follows the redirect.
      const authorizationUrl = await eventually(
        "the suite to print the authorization URL",
        () => /^(https?:\/\/\S+\/oauth\/authorize\?\S+)$/m.exec(suite.output())?.[1],
        120_000,
      );
      const { email, password } = accountByKey("agent");
      const signedIn = await signInOnPage(authorizationUrl, { email, password });
      expect(signedIn.location?.origin).toBe(`http://127.0.0.1:${callbackPort}`);
      await (await fetch(signedIn.location as URL)).text();

      expect(await suite.exited, suite.output()).toBe(0);
      const checks = new Map(
        [...checksIn(results, "authorization-server").values()].flat().map((check) => [check.id, check]),
      );
      const notPassed = [...checks.values()]
        .filter((check) => check.status !== "SUCCESS" && check.status !== "INFO")
        .map((check) => `${check.id} ${check.status}: ${check.errorMessage ?? ""}`);
      expect(notPassed, suite.output()).toEqual([]);
      for (const id of [
        "authorization-server-metadata",
        "authorization-server-metadata-cimd",
        "authorization-code-grant",
      ])
        expect(checks.get(id)?.status, `${id} did not pass:\n${suite.output()}`).toBe("SUCCESS");
    } finally {
      suite.stop();
      rmSync(results, { recursive: true, force: true });
    }
  }, 300_000);
});
