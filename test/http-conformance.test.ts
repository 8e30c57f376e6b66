import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountByKey } from "../sandbox/accounts.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import { ROOT, startTestSandbox } from "./support/harness.js";
import {
  type AuthProxy,
  type ConformanceInstall,
  installConformance,
  runConformance,
  startAuthProxy,
} from "./support/http-conformance.js";
import {
  freePort,
  type HttpServerProcess,
  REDIRECT_URI,
  signInOnPage,
  startHttpServerProcess,
} from "./support/http-harness.js";

/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance`, server mode) against the
 * built server's Streamable HTTP transport, signed in as a real sandbox person. Scenarios that exercise
 * the suite's fixture tools, resources and prompts (which a product server does not have) are listed,
 * each with its reason, in test/conformance-baseline.yml; any other failure fails this test, and so
 * does a listed scenario that starts passing.
 */
const BASELINE = path.join(ROOT, "test", "conformance-baseline.yml");

let sandbox: Sandbox;
let server: HttpServerProcess;
let proxy: AuthProxy;
let install: ConformanceInstall;

/** The OAuth flow a client would run, through the proxy's public address. */
async function accessTokenFor(origin: string, account: string): Promise<string> {
  const registered = (await (
    await fetch(`${origin}/oauth/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ client_name: "MCP conformance suite", redirect_uris: [REDIRECT_URI] }),
    })
  ).json()) as { client_id: string };
  const verifier = randomBytes(32).toString("base64url");
  const url = new URL(`${origin}/oauth/authorize`);
  for (const [key, value] of Object.entries({
    response_type: "code",
    client_id: registered.client_id,
    redirect_uri: REDIRECT_URI,
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
    resource: `${origin}/mcp`,
  }))
    url.searchParams.set(key, value);
  const { email, password } = accountByKey(account);
  const code = (await signInOnPage(url, { email, password })).location?.searchParams.get("code") ?? "";
  const issued = await fetch(`${origin}/oauth/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      client_id: registered.client_id,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    }),
  });
  return ((await issued.json()) as { access_token: string }).access_token;
}

describe("MCP conformance suite over Streamable HTTP", () => {
  beforeAll(async () => {
    install = installConformance();
    sandbox = await startTestSandbox();
    const proxyPort = await freePort();
    const origin = `http://127.0.0.1:${proxyPort}`;
    // The proxy is this server's public face, as a load balancer would be.
    server = await startHttpServerProcess(sandbox, {
      MCP_PUBLIC_URL: origin,
      MCP_ALLOWED_HOSTS: `127.0.0.1:${proxyPort}`,
    });
    proxy = await startAuthProxy(new URL(server.localUrl), proxyPort);
    proxy.setToken(await accessTokenFor(origin, "agent"));
  }, 300_000);

  afterAll(async () => {
    await proxy?.stop();
    await server?.stop();
    await sandbox?.stop();
  });

  it("passes every scenario that applies to a product server; the rest are listed with reasons", {
    timeout: 300_000,
  }, async () => {
    const run = await runConformance(install, `http://127.0.0.1:${proxy.port}/mcp`, [
      "--expected-failures",
      BASELINE,
    ]);
    const summary = run.output
      .split("\n")
      .filter((line) => /passed|failed|Expected failures|Unexpected|Stale|~ |✓ /.test(line));
    console.warn(`Conformance ${run.exitCode === 0 ? "PASSED" : "FAILED"}:\n${summary.join("\n")}`);
    expect(run.exitCode, run.output).toBe(0);
    // The baseline only lists fixture scenarios; the product-relevant ones must actually have run and passed.
    const baseline = readFileSync(BASELINE, "utf8");
    for (const scenario of [
      "server-initialize",
      "ping",
      "tools-list",
      "logging-set-level",
      "resources-list",
      "prompts-list",
      "dns-rebinding-protection",
      "server-sse-multiple-streams",
    ]) {
      expect(baseline).not.toMatch(new RegExp(`^\\s*- ${scenario}\\s*$`, "m"));
    }
  });
});
