import { randomUUID } from "node:crypto";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountByKey } from "../sandbox/accounts.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import {
  type AbuseServer,
  expectCleanOutcome,
  type Outcome,
  sleep,
  startServer,
  textOf,
} from "./support/abuse.js";
import { startTestSandbox } from "./support/harness.js";

/**
 * No password, token or decrypted value leaves the place it belongs. A representative workload (sign-in,
 * refresh, reads, writes, API and Cognito failures, a wrong password, a DSM decryption and a wrong
 * encryption password) runs with every request body recorded, Cognito reached through its own proxy
 * (so it is a different host:port from the API), and then everything observable is searched: stderr,
 * tool error texts, and every request's host, URL, headers and body.
 */
const AGENT = accountByKey("agent");
const WRONG_PASSWORD = `Wrong-${randomUUID()}-pass1!`;
const WRONG_ENCRYPTION_PASSWORD = `wrong encryption passphrase ${randomUUID()}`;
const JWT = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/;
/** What the person shares; the bank account fields are end-to-end encrypted. */
const MARKER = randomUUID().slice(0, 8);
const SUBMITTED = {
  ss_Person_Name: { given_name: `Whetu-${MARKER}`, family_name: `Secret-Family-${MARKER}` },
  ss_Bank_Account: {
    country: "NZ",
    bank_name: "Kiwibank",
    account_name: `Trust account ${MARKER}`,
    account_number: "38-9012-0123456-00",
  },
};
const DECRYPTED = [
  SUBMITTED.ss_Bank_Account.account_name,
  SUBMITTED.ss_Bank_Account.account_number,
  SUBMITTED.ss_Person_Name.family_name,
];

let sandbox: Sandbox;
let proxy: Server;
let cognitoEndpoint: string;
/** What passed through the Cognito proxy (requests only; answers carry tokens by design). */
const proxied: Array<{ url: string; headers: IncomingHttpHeaders; body: string }> = [];
const servers: AbuseServer[] = [];
const outcomes: Array<[string, Outcome]> = [];

/** Forwards to the sandbox's Cognito stand-in, keeping the Host header the server sent. */
async function startCognitoProxy(target: URL): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      proxied.push({ url: req.url ?? "/", headers: req.headers, body: body.toString("utf8") });
      const upstream = httpRequest(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

async function server(env: Record<string, string> = {}, account = "agent"): Promise<AbuseServer> {
  const started = await startServer(sandbox, account, {
    RAYTIO_TOOL_DOMAINS: "dsm,ppm,prm,wrm",
    RAYTIO_COGNITO_ENDPOINT: cognitoEndpoint,
    RAYTIO_DSM_KEY_BITS: "2048",
    RAYTIO_POLL_INTERVAL_SECONDS: "0.2",
    RAYTIO_REQUEST_TIMEOUT_SECONDS: "20",
    RAYTIO_TARGET_USER_EMAIL: "person.secret@example.com",
    RAYTIO_LOG_LEVEL: "debug",
    ...env,
  });
  servers.push(started);
  return started;
}

async function call(target: AbuseServer, name: string, args: Record<string, unknown> = {}): Promise<Outcome> {
  const outcome = await target.call(name, args);
  outcomes.push([name, outcome]);
  expectCleanOutcome(outcome, name);
  return outcome;
}

function structuredOf<T>(outcome: Outcome): T {
  const result = outcome.result as CallToolResult | undefined;
  if (!result || result.isError)
    throw new Error(`call failed: ${outcome.result ? textOf(outcome.result) : outcome.rpcError?.message}`);
  return result.structuredContent as T;
}

beforeAll(async () => {
  sandbox = await startTestSandbox({ recordBodies: true });
  proxy = await startCognitoProxy(new URL(sandbox.url));
  cognitoEndpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/cognito/`;
});

afterAll(async () => {
  await Promise.all(servers.map((running) => running.close()));
  proxy?.closeAllConnections();
  await new Promise((resolve) => proxy?.close(resolve));
  await sandbox?.stop();
});

describe("a representative workload", () => {
  it("signs in, refreshes, reads, writes, fails in every way and decrypts", async () => {
    sandbox.cognito.setTokenLifetimes({ idTokenTtlSeconds: 4, accessTokenTtlSeconds: 4 });
    const agent = await server();
    await call(agent, "list_work_items", { limit: 5 });
    await call(agent, "search_parties", { text: "Kauri" });
    await call(agent, "list_workers", {});
    await call(agent, "list_schemas", { limit: 5 });
    await call(agent, "create_work_item", { title: `Secrets workload ${MARKER}`, description: "plain text" });
    await call(agent, "create_party", { type: "organisation", name: `Secrets Ltd ${MARKER}` });

    // API failures of every kind, on reads and writes.
    for (const rule of [
      { kind: "status", status: 503, times: 1 },
      { kind: "status", status: 401, times: 1 },
      { kind: "status", status: 500, times: 1 },
      { kind: "reset", times: 1 },
      { kind: "truncate", times: 1 },
      { kind: "non_json", status: 200, times: 1 },
    ] as const) {
      sandbox.faults.add({ ...rule, pathPrefix: "/db/v1/ppm_work_item", method: "GET" });
      await call(agent, "list_work_items", { limit: 2 });
      sandbox.faults.add({ ...rule, pathPrefix: "/db/v1/ppm_work_item", method: "POST" });
      await call(agent, "create_work_item", { title: `Secrets under ${rule.kind} ${MARKER}` });
      sandbox.faults.clear();
    }
    await call(agent, "get_work_item", { work_item_id: randomUUID() });
    await call(agent, "list_work_items", { limit: "not a number" });

    // Refresh after expiry, a refused refresh (falls back to SRP), and Cognito down at refresh.
    await sleep(4_200);
    await call(agent, "list_work_items", { limit: 1 });
    await sleep(4_200);
    sandbox.cognito.injectFault({
      action: "InitiateAuth",
      authFlow: "REFRESH_TOKEN_AUTH",
      type: "NotAuthorizedException",
    });
    await call(agent, "list_work_items", { limit: 1 });
    await sleep(4_200);
    sandbox.faults.add({ target: "cognito", kind: "status", status: 500, times: -1 });
    await call(agent, "list_work_items", { limit: 1 });
    sandbox.faults.clear();
    sandbox.cognito.setTokenLifetimes({ idTokenTtlSeconds: 3600, accessTokenTtlSeconds: 3600 });

    // A DSM round trip: the person's answer is sealed to the application and decrypted here.
    const application = structuredOf<{ data: { access_application_id: string } }>(
      await call(agent, "create_access_application", {
        name: `Secrets application ${MARKER}`,
        schemas: ["ss_Person_Name", "ss_Bank_Account"],
      }),
    );
    const form = structuredOf<{ data: { short_link_key: string } }>(
      await call(agent, "create_form", {
        access_application_id: application.data.access_application_id,
        name: "Secrets form",
        pages: [
          { name: "Who", schemas: ["ss_Person_Name"] },
          { name: "Bank", schemas: ["ss_Bank_Account"] },
        ],
      }),
    );
    const sent = structuredOf<{ data: { request_short_code: string } }>(
      await call(agent, "send_request", { short_link_key: form.data.short_link_key }),
    );
    const code = sent.data.request_short_code;
    const answered = await fetch(`${sandbox.url}/sandbox/v1/requests/${code}/submit`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ data: SUBMITTED }),
    });
    expect(answered.status).toBe(201);
    const retrieved = structuredOf<{ data: unknown }>(
      await call(agent, "poll_and_retrieve", { request_short_code: code }),
    );
    expect(retrieved.data).toEqual(SUBMITTED);
    // The encrypted field really was encrypted at rest, so finding it anywhere else would be a leak.
    const stored = await sandbox.db.query<{ records: unknown }>(
      "select records from api.dsm_submission where request_short_code = $1",
      [code],
    );
    expect(JSON.stringify(stored.rows)).not.toContain(SUBMITTED.ss_Bank_Account.account_number);

    // Wrong credentials: a wrong account password, and a wrong encryption password.
    const wrongPassword = await server({ RAYTIO_AGENT_PASSWORD: WRONG_PASSWORD });
    const refused = await call(wrongPassword, "list_work_items", {});
    expect(refused.result && textOf(refused.result)).toMatch(/^AUTH_FAILED: /);
    const wrongKey = await server({ RAYTIO_AGENT_ENCRYPTION_PASSWORD: WRONG_ENCRYPTION_PASSWORD });
    const undecryptable = await call(wrongKey, "poll_and_retrieve", { request_short_code: code });
    expect(undecryptable.result && textOf(undecryptable.result)).toMatch(/^(DECRYPTION_FAILED|WRONG_KEY): /);

    expect(outcomes.filter(([, outcome]) => outcome.result?.isError).length).toBeGreaterThan(8);
  });
});

describe("where the secrets went", () => {
  const sandboxHost = () => new URL(sandbox.url).host;
  const proxyHost = () => new URL(cognitoEndpoint).host;
  const stderr = () => servers.flatMap((running) => running.stderr).join("\n");
  const errorTexts = () =>
    outcomes.flatMap(([, outcome]) =>
      outcome.rpcError ? [outcome.rpcError.message] : outcome.result.isError ? [textOf(outcome.result)] : [],
    );
  /** Every id and refresh token the workload used, from the recorded requests themselves. */
  function tokens(): string[] {
    const found = new Set<string>();
    for (const request of sandbox.requests) {
      const authorization = request.headers.authorization;
      if (typeof authorization === "string") found.add(authorization.replace(/^Bearer /, ""));
      const refresh = /"REFRESH_TOKEN":"([^"]+)"/.exec(request.body ?? "")?.[1];
      if (refresh) found.add(refresh);
    }
    return [...found];
  }
  const passwords = () => [
    AGENT.password,
    AGENT.encryptionPassword,
    WRONG_PASSWORD,
    WRONG_ENCRYPTION_PASSWORD,
  ];

  it("the workload ran and was recorded", () => {
    expect(servers.length).toBe(3);
    expect(tokens().length).toBeGreaterThan(3);
    expect(proxied.length).toBeGreaterThan(3);
    expect(sandbox.requests.filter((request) => request.body !== undefined).length).toBeGreaterThan(20);
  });

  it("stderr carries no password, encryption password, token or decrypted value", () => {
    const text = stderr();
    expect(text.length).toBeGreaterThan(1000);
    for (const secret of [...passwords(), ...tokens(), ...DECRYPTED]) {
      expect(text.includes(secret), `stderr holds a secret of ${secret.length} chars`).toBe(false);
    }
    expect(text).not.toMatch(JWT);
  });

  it("no tool error text carries one either", () => {
    const texts = errorTexts().join("\n");
    expect(texts.length).toBeGreaterThan(200);
    for (const secret of [...passwords(), ...tokens(), ...DECRYPTED]) {
      expect(texts.includes(secret), `an error holds a secret of ${secret.length} chars`).toBe(false);
    }
    expect(texts).not.toMatch(JWT);
  });

  it("bearer tokens go only to the API's host:port, Cognito calls only to /cognito/ on Cognito's", () => {
    const withToken = sandbox.requests.filter((request) => request.headers.authorization !== undefined);
    expect(withToken.length).toBeGreaterThan(20);
    for (const request of withToken) {
      expect(request.host).toBe(sandboxHost());
      expect(request.url.startsWith("/db/v1/"), request.url).toBe(true);
    }
    const cognitoCalls = sandbox.requests.filter((request) => request.headers["x-amz-target"] !== undefined);
    expect(cognitoCalls.length).toBeGreaterThan(3);
    for (const request of cognitoCalls) {
      expect(request.host).toBe(proxyHost());
      expect(request.url).toBe("/cognito/");
    }
    // Nothing reached Cognito that carried an API token, and no API call went through Cognito's host.
    expect(proxied.filter((entry) => entry.headers.authorization !== undefined)).toEqual([]);
    expect(proxied.filter((entry) => !entry.url.startsWith("/cognito/"))).toEqual([]);
    expect(
      sandbox.requests.filter((request) => request.host === proxyHost() && request.url.startsWith("/db/")),
    ).toEqual([]);
  });

  it("no request carries a password (SRP never sends it), the encryption password or a decrypted value", () => {
    const server = (request: { headers: Record<string, unknown> }) =>
      String(request.headers["user-agent"] ?? "").startsWith("@raytio/mcp-server") ||
      request.headers["x-amz-target"] !== undefined;
    const sent = sandbox.requests
      .filter(server)
      .map((request) => [request.url, JSON.stringify(request.headers), request.body ?? ""].join("\n"));
    expect(sent.length).toBeGreaterThan(30);
    for (const secret of [...passwords(), ...DECRYPTED]) {
      const leaks = sent.filter(
        (text) =>
          text.includes(secret) ||
          text.includes(encodeURIComponent(secret)) ||
          text.includes(JSON.stringify(secret).slice(1, -1)),
      );
      expect(leaks, `a request carried a secret of ${secret.length} chars`).toEqual([]);
    }
  });
});
