import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountByKey } from "../sandbox/accounts.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import { expectedToolNames as namesFor } from "./support/expected-tools.js";
import {
  allStderr,
  SERVER_ENTRY,
  serverEnv,
  serverPool,
  startTestSandbox,
  structured,
  textOf,
  toolNames,
} from "./support/harness.js";
import {
  connectAs,
  type HttpServerProcess,
  type HttpSession,
  httpStderr,
  REDIRECT_URI,
  signInOnPage,
  startHttpServerProcess,
} from "./support/http-harness.js";

/**
 * Sign-in through Raytio's documented token endpoint (`POST /oauth/v1/token`) instead of Cognito SRP,
 * over stdio, `--check` and HTTP. Cognito is unreachable throughout: the servers point at a closed port
 * for it, and the sandbox's own Cognito stand-in drops every connection, so any Cognito call would fail.
 */
let sandbox: Sandbox;
const run = promisify(execFile);

/** The token endpoint chosen explicitly, with Cognito settings present but pointing nowhere. */
const EXPLICIT = { RAYTIO_AUTH_FLOW: "token-endpoint", RAYTIO_COGNITO_ENDPOINT: "http://127.0.0.1:9/" };
/** No Cognito setting at all: `auto` (the default) must choose the token endpoint. */
const NO_COGNITO = {
  RAYTIO_COGNITO_USER_POOL_ID: "",
  RAYTIO_COGNITO_CLIENT_ID: "",
  RAYTIO_COGNITO_REGION: "",
  RAYTIO_COGNITO_ENDPOINT: "",
};

const pool = serverPool(() => sandbox, EXPLICIT);
const connect = pool.connect;

const cognitoCalls = () =>
  Object.values(sandbox.cognito.stats().requests).reduce((sum, count) => sum + count, 0);
const apiRejections = () =>
  sandbox.requests.filter((request) => request.url.startsWith("/db/v1/") && request.status === 401).length;

async function shortLivedTokens<T>(body: () => Promise<T>): Promise<T> {
  sandbox.cognito.setTokenLifetimes({ idTokenTtlSeconds: 4, accessTokenTtlSeconds: 4 });
  try {
    return await body();
  } finally {
    sandbox.cognito.setTokenLifetimes({ idTokenTtlSeconds: 3600, accessTokenTtlSeconds: 3600 });
  }
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  sandbox.faults.add({ target: "cognito", kind: "reset", times: -1 });
});

afterAll(async () => {
  await pool.closeAll();
  await sandbox.stop();
});

describe("stdio", () => {
  it("signs in through the token endpoint when RAYTIO_AUTH_FLOW=token-endpoint, never calling Cognito", async () => {
    const before = sandbox.tokenEndpoint.stats();
    const cognitoBefore = cognitoCalls();
    const server = await connect("project_user");
    expect(await toolNames(server)).toEqual(namesFor(["ppm"]));
    const listed = structured<{ items: unknown[] }>(await server.call("list_work_items", { limit: 2 }));
    expect(listed.items).toHaveLength(2);
    expect(sandbox.tokenEndpoint.stats().signIns).toBe(before.signIns + 1);
    expect(cognitoCalls()).toBe(cognitoBefore);
    expect(server.stderr.join("\n")).toContain('"flow":"token-endpoint"');
  });

  it("uses the token endpoint under auto when no Cognito setting is present", async () => {
    const before = sandbox.tokenEndpoint.stats().signIns;
    const server = await connect("worker_admin", { ...NO_COGNITO, RAYTIO_AUTH_FLOW: "" });
    expect(await toolNames(server)).toEqual(namesFor(["wrm"]));
    expect((await server.call("list_workers", { limit: 1 })).isError).toBeFalsy();
    expect(sandbox.tokenEndpoint.stats().signIns).toBe(before + 1);
  });

  it("refreshes an expiring token through the token endpoint, with no failed call", async () => {
    await shortLivedTokens(async () => {
      const server = await connect("project_user");
      expect((await server.call("list_work_items", { limit: 1 })).isError).toBeFalsy();
      const before = sandbox.tokenEndpoint.stats();
      const rejectedBefore = apiRejections();
      await new Promise((resolve) => setTimeout(resolve, 3_500));
      // From here on tokens are long-lived, so the renewal under test is the only one however slow the machine.
      sandbox.cognito.setTokenLifetimes({ idTokenTtlSeconds: 3600, accessTokenTtlSeconds: 3600 });
      const results = await Promise.all(
        Array.from({ length: 10 }, () => server.call("list_work_items", { limit: 1 })),
      );
      expect(results.filter((result) => result.isError)).toEqual([]);
      const after = sandbox.tokenEndpoint.stats();
      // One refresh shared by every concurrent call, and no new sign-in.
      expect(after.refreshes).toBe(before.refreshes + 1);
      expect(after.signIns).toBe(before.signIns);
      expect(apiRejections()).toBe(rejectedBefore);
    });
  });

  it("signs in again, once, when the token endpoint refuses the refresh token", async () => {
    await shortLivedTokens(async () => {
      const server = await connect("project_user");
      expect((await server.call("list_work_items", { limit: 1 })).isError).toBeFalsy();
      await new Promise((resolve) => setTimeout(resolve, 3_500));
      // From here on tokens are long-lived, so the renewal under test is the only one however slow the machine.
      sandbox.cognito.setTokenLifetimes({ idTokenTtlSeconds: 3600, accessTokenTtlSeconds: 3600 });
      const before = sandbox.tokenEndpoint.stats();
      const fault = sandbox.faults.add({
        pathPrefix: "/oauth/v1/token",
        kind: "status",
        status: 401,
        times: 1,
      });
      expect((await server.call("list_work_items", { limit: 1 })).isError).toBeFalsy();
      expect(sandbox.faults.hits(fault)).toBe(1);
      expect(sandbox.tokenEndpoint.stats().signIns).toBe(before.signIns + 1);
    });
  });

  it("answers AUTH_FAILED for a wrong password, once, and keeps running", async () => {
    const before = sandbox.tokenEndpoint.stats().failures;
    const server = await connect("project_user", { RAYTIO_AGENT_PASSWORD: "Wrong-token-password-7" });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const result = await server.call("list_work_items", {});
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(
        /^AUTH_FAILED: Raytio sign-in was refused \(HTTP 401 from the token endpoint\)/,
      );
      expect(textOf(result)).toContain("RAYTIO_AGENT_PASSWORD");
    }
    // A refused password is not retried: retrying could lock the account.
    expect(sandbox.tokenEndpoint.stats().failures).toBe(before + 1);
    expect(await server.client.ping()).toEqual({});
    expect(allStderr.join("\n")).not.toContain("Wrong-token-password-7");
  });
});

describe("--check", () => {
  async function check(env: Record<string, string>) {
    try {
      const { stdout } = await run(process.execPath, [SERVER_ENTRY, "--check"], {
        env: serverEnv(sandbox.configFor("agent", env)),
      });
      return { code: 0, stdout };
    } catch (error) {
      const failure = error as { code: number; stdout: string };
      return { code: failure.code, stdout: failure.stdout };
    }
  }

  it("signs in through the token endpoint with no Cognito setting and reports OK", async () => {
    const result = await check(NO_COGNITO);
    expect(result.stdout).toContain(`sign-in     token endpoint ${sandbox.url}/oauth/v1/token`);
    expect(result.stdout).toContain("signed in as agent@sandbox.raytio.test");
    expect(result.stdout).toContain("ok    the encryption password opens the account's private key");
    expect(result.stdout).toContain("Result: OK");
    expect(result.code).toBe(0);
  });

  it("fails with exit 1 and names the setting for a wrong password", async () => {
    const result = await check({ ...NO_COGNITO, RAYTIO_AGENT_PASSWORD: "Wrong-check-password-9" });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "FAIL  sign-in: Raytio sign-in was refused (HTTP 401 from the token endpoint)",
    );
    expect(result.stdout).not.toContain("Wrong-check-password-9");
  });
});

describe("--probe", () => {
  it("signs in and renews through the token endpoint, every line ✔, the Cognito lines not exercised", async () => {
    const before = cognitoCalls();
    const tokenAnswers = () =>
      sandbox.requests.filter((request) => request.url === "/oauth/v1/token" && request.status === 200)
        .length;
    const tokenCalls = tokenAnswers();
    const { stdout } = await run(process.execPath, [SERVER_ENTRY, "--probe"], {
      env: serverEnv(sandbox.configFor("agent", EXPLICIT)),
    });
    expect(stdout).toMatch(/^✔ AUTH-TOKEN-ENDPOINT-SIGN-IN +sign in \(token endpoint http:/m);
    expect(stdout).toMatch(/^✔ AUTH-TOKEN-ENDPOINT-RENEWAL /m);
    expect(stdout).toMatch(/^ {2}- AUTH-COGNITO-SRP-SIGN-IN: RAYTIO_AUTH_FLOW chose token-endpoint/m);
    expect(stdout).not.toMatch(/^✘/m);
    expect(stdout).toContain("Result: OK");
    // One sign-in and one renewal, both answered by the token endpoint; Cognito never reached.
    expect(tokenAnswers() - tokenCalls).toBe(2);
    expect(cognitoCalls()).toBe(before);
  });
});

describe("HTTP", () => {
  let server: HttpServerProcess;
  const sessions: HttpSession[] = [];

  beforeAll(async () => {
    server = await startHttpServerProcess(sandbox, {
      ...NO_COGNITO,
      MCP_TRUST_PROXY: "true",
      MCP_OAUTH_SIGNIN_LIMIT: "1000",
    });
  });

  afterAll(async () => {
    await Promise.all(sessions.map((session) => session.close().catch(() => undefined)));
    await server?.stop();
  });

  it("signs a person in on the page through the token endpoint and serves their tools", async () => {
    const before = sandbox.tokenEndpoint.stats().signIns;
    const cognitoBefore = cognitoCalls();
    const session = await connectAs(server.url, "agent", { withEncryptionPassword: true });
    sessions.push(session);
    const names = (await session.client.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(namesFor(["dsm", "ppm", "wrm"]));
    expect((await session.call("list_work_items", { limit: 1 })).isError).toBeFalsy();
    expect(sandbox.tokenEndpoint.stats().signIns).toBe(before + 1);
    expect(cognitoCalls()).toBe(cognitoBefore);
  });

  it("says a wrong password plainly on the page", async () => {
    const registered = await fetch(`${server.origin}/oauth/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ client_name: "Manual client", redirect_uris: [REDIRECT_URI] }),
    });
    const { client_id: clientId } = (await registered.json()) as { client_id: string };
    const url = new URL(`${server.origin}/oauth/authorize`);
    for (const [key, value] of Object.entries({
      response_type: "code",
      client_id: clientId,
      redirect_uri: REDIRECT_URI,
      code_challenge: randomBytes(32).toString("base64url"),
      code_challenge_method: "S256",
    }))
      url.searchParams.set(key, value);
    const before = sandbox.tokenEndpoint.stats().failures;
    const wrong = "Wrong-page-password-3";
    const attempt = await signInOnPage(url, { email: accountByKey("project_user").email, password: wrong });
    expect(attempt.status).toBe(401);
    expect(attempt.page).toContain("did not accept that email and password");
    expect(attempt.page).not.toContain(wrong);
    expect(sandbox.tokenEndpoint.stats().failures).toBe(before + 1);
    expect(httpStderr.join("\n")).not.toContain(wrong);
  });
});
