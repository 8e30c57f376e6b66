import { randomUUID } from "node:crypto";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { FaultRule } from "../sandbox/faults.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import {
  type AbuseServer,
  expectCleanOutcome,
  expectHealthy,
  initializeRaw,
  LOST_CONTROL,
  type Outcome,
  sleep,
  spawnRaw,
  startServer,
  textOf,
} from "./support/abuse.js";
import { type JsonSchema, plainArgs } from "./support/fuzz-arbitraries.js";
import { allStderr, startTestSandbox } from "./support/harness.js";

/**
 * The platform misbehaving: slow answers, 5xx with and without Retry-After, dropped connections,
 * truncated and non-JSON bodies, Cognito outages, token expiry storms. Whatever happens, every call
 * ends in a correct result or an error with a stable code, nothing escapes as an unhandled rejection,
 * the process stays up, and a write reaches the database at most once.
 */
let sandbox: Sandbox;
const servers: AbuseServer[] = [];
/** Every tool as the main server lists it; the list grows as domains add tools. */
let tools: Tool[] = [];
let main: AbuseServer;
/** Read tools that succeed with their plainest arguments when nothing is wrong. */
let healthyReads: string[] = [];

const ALL_DOMAINS = { RAYTIO_TOOL_DOMAINS: "dsm,ppm,prm,wrm" };
/** Keeps DSM waits short so a storm never sits in a ten-minute poll. */
const SHORT_WAITS = { RAYTIO_REQUEST_TIMEOUT_SECONDS: "2", RAYTIO_POLL_INTERVAL_SECONDS: "0.5" };
/**
 * The HTTP timeout of the servers that test giving up: long enough for any normal call on a loaded
 * two-core machine, while the calls under test are held by the sandbox and never answer in time.
 */
const PATIENT_ENOUGH_SECONDS = "5";

async function server(extraEnv: Record<string, string> = {}, account = "agent"): Promise<AbuseServer> {
  const started = await startServer(sandbox, account, { ...ALL_DOMAINS, ...SHORT_WAITS, ...extraEnv });
  servers.push(started);
  return started;
}

const isRead = (tool: Tool) => tool.annotations?.readOnlyHint === true;
/** Reads answered from the server's own schema catalogue: the only ones a sign-in outage leaves working. */
const LOCAL_READS = ["list_schemas"];

function apiRequests(pathPrefix: string, method?: string) {
  return sandbox.requests.filter(
    (request) => request.url.startsWith(pathPrefix) && (method === undefined || request.method === method),
  );
}

/** Every given tool called at once with the plainest arguments its schema allows. */
async function storm(target: AbuseServer, selection: readonly Tool[]): Promise<Array<[string, Outcome]>> {
  return Promise.all(
    selection.map(
      async (tool) =>
        [tool.name, await target.call(tool.name, plainArgs(tool.inputSchema as JsonSchema))] as [
          string,
          Outcome,
        ],
    ),
  );
}

/** Assigns (and so consumes) one transaction id. */
async function currentXid(): Promise<number> {
  const result = await sandbox.db.query<{ xid: string }>("select pg_current_xact_id()::text as xid");
  return Number(result.rows[0]?.xid);
}

function errorText(outcome: Outcome): string {
  return outcome.result ? (outcome.result.isError ? textOf(outcome.result) : "") : outcome.rpcError.message;
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  main = await server();
  tools = await main.tools();
  // Signed in before any fault is injected, so API faults meet API calls only.
  expect((await main.call("list_work_items", { limit: 1 })).result?.isError).toBeFalsy();
  const baseline = await storm(main, tools.filter(isRead));
  healthyReads = baseline
    .filter(([, outcome]) => outcome.result && !outcome.result.isError)
    .map(([name]) => name);
  expect(healthyReads).toContain("list_work_items");
});

afterEach(() => {
  sandbox.faults.clear();
  sandbox.cognito.clearFaults();
  sandbox.cognito.setTokenLifetimes({ idTokenTtlSeconds: 3600, accessTokenTtlSeconds: 3600 });
});

afterAll(async () => {
  await Promise.all(servers.map((running) => running.close()));
  await sandbox.stop();
});

describe("a read under API faults", () => {
  const work = "/db/v1/ppm_work_item";
  const read = () => main.call("list_work_items", { limit: 3 });

  it.each<[string, Omit<FaultRule, "pathPrefix" | "target">, number]>([
    ["503 once", { kind: "status", status: 503, times: 1 }, 2],
    ["502 twice with Retry-After: 1", { kind: "status", status: 502, retryAfter: "1", times: 2 }, 3],
    ["504 with an HTTP-date Retry-After", { kind: "status", status: 504, retryAfter: "<date>", times: 1 }, 2],
    ["a connection reset", { kind: "reset", times: 1 }, 2],
    ["a truncated body", { kind: "truncate", times: 1 }, 2],
    ["an HTML 502", { kind: "non_json", status: 502, times: 1 }, 2],
    ["400 ms of latency", { kind: "latency", delayMs: 400, times: -1 }, 1],
  ])("recovers from %s by retrying", async (_label, rule, requests) => {
    const before = apiRequests(work, "GET").length;
    const retryAfter =
      rule.retryAfter === "<date>" ? new Date(Date.now() + 1_000).toUTCString() : rule.retryAfter;
    const id = sandbox.faults.add({
      ...rule,
      ...(retryAfter ? { retryAfter } : {}),
      pathPrefix: work,
      method: "GET",
    });
    const outcome = await read();
    expectCleanOutcome(outcome, _label);
    expect(outcome.result?.isError, errorText(outcome)).toBeFalsy();
    expect(sandbox.faults.hits(id)).toBeGreaterThanOrEqual(1);
    expect(apiRequests(work, "GET").length - before).toBe(requests);
  });

  it.each<[string, Omit<FaultRule, "pathPrefix" | "target">, RegExp, number]>([
    ["a persistent 503", { kind: "status", status: 503, times: -1 }, /^API_UNAVAILABLE: .*HTTP 503/, 4],
    [
      "503 with Retry-After: 120 (longer than it waits)",
      { kind: "status", status: 503, retryAfter: "120", times: -1 },
      /^API_UNAVAILABLE: .*Try again in 120 s/,
      1,
    ],
    ["500 (not retried)", { kind: "status", status: 500, times: -1 }, /^API_ERROR: .*HTTP 500/, 1],
    // docs/raytio-api.md lists 429 with the retried statuses but the client does not retry it; the
    // request count is left unchecked so this test holds whichever way that is settled.
    [
      "429 with Retry-After",
      { kind: "status", status: 429, retryAfter: "1", times: -1 },
      /^API_UNAVAILABLE: /,
      -1,
    ],
    ["persistent resets", { kind: "reset", times: -1 }, /^API_UNAVAILABLE: .*could not be reached/, 4],
    ["persistently truncated bodies", { kind: "truncate", times: -1 }, /^API_UNAVAILABLE: /, 4],
    ["a 200 with an HTML body", { kind: "non_json", status: 200, times: -1 }, /^API_ERROR: /, 1],
  ])("fails cleanly under %s", async (label, rule, expected, requests) => {
    const before = apiRequests(work, "GET").length;
    sandbox.faults.add({ ...rule, pathPrefix: work, method: "GET" });
    const outcome = await read();
    expectCleanOutcome(outcome, label);
    expect(errorText(outcome)).toMatch(expected);
    if (requests >= 0) expect(apiRequests(work, "GET").length - before).toBe(requests);
    sandbox.faults.clear();
    expect((await read()).result?.isError).toBeFalsy();
    await expectHealthy(main);
  });

  it("gives up on an answer slower than RAYTIO_HTTP_TIMEOUT_SECONDS, retrying a read, and stays up", async () => {
    // The limit is generous for a normal call on a loaded machine; the call under test is held by the
    // sandbox until the test releases it, so it is slower than any limit whatever the machine's speed.
    const impatient = await server({ RAYTIO_HTTP_TIMEOUT_SECONDS: PATIENT_ENOUGH_SECONDS });
    expect((await impatient.call("list_work_items", { limit: 1 })).result?.isError).toBeFalsy();
    const hold = sandbox.faults.add({ kind: "hold", pathPrefix: work, method: "GET", times: -1 });
    const outcome = await impatient.call("list_work_items", { limit: 1 });
    expectCleanOutcome(outcome, "timeout");
    expect(errorText(outcome)).toMatch(/^API_UNAVAILABLE: .*\((ECONNABORTED|ETIMEDOUT)\)/);
    // One first try and three retries reached the sandbox, each given up on by the client.
    expect(sandbox.faults.hits(hold)).toBe(4);
    sandbox.faults.clear();
    await expectHealthy(impatient);
  });
});

describe("every tool under every kind of API fault", () => {
  const failing: Array<[string, Omit<FaultRule, "target" | "method">]> = [
    ["503 on every request", { kind: "status", status: 503, times: -1, pathPrefix: "/db/v1/" }],
    [
      "502 with Retry-After: 0",
      { kind: "status", status: 502, retryAfter: "0", times: -1, pathPrefix: "/db/v1/" },
    ],
    ["500 on every request", { kind: "status", status: 500, times: -1, pathPrefix: "/db/v1/" }],
    ["401 on every request", { kind: "status", status: 401, times: -1, pathPrefix: "/db/v1/" }],
    ["connection resets", { kind: "reset", times: -1, pathPrefix: "/db/v1/" }],
    ["truncated bodies", { kind: "truncate", times: -1, pathPrefix: "/db/v1/" }],
    ["HTML instead of JSON (200)", { kind: "non_json", status: 200, times: -1, pathPrefix: "/db/v1/" }],
    ["HTML instead of JSON (503)", { kind: "non_json", status: 503, times: -1, pathPrefix: "/db/v1/" }],
  ];

  it.each(failing)("%s: each tool answers with a result or a stable error code", async (label, rule) => {
    // No request reaches the database under these faults, so write tools are safe to include: the
    // database's transaction counter proves nothing was written (reads take no transaction id).
    const xidBefore = await currentXid();
    sandbox.faults.add(rule);
    const outcomes = await storm(main, tools);
    for (const [name, outcome] of outcomes) expectCleanOutcome(outcome, `${label}: ${name}`);
    expect(await currentXid()).toBe(xidBefore + 1);
    sandbox.faults.clear();
    await expectHealthy(main);
  });

  it("every read tool under 300 ms of latency on every API request", async () => {
    sandbox.faults.add({ kind: "latency", delayMs: 300, times: -1, pathPrefix: "/db/v1/" });
    const outcomes = await storm(main, tools.filter(isRead));
    for (const [name, outcome] of outcomes) expectCleanOutcome(outcome, `latency: ${name}`);
    await expectHealthy(main);
  });
});

describe("a write is applied at most once", () => {
  const rows = async (table: "ppm_work_item" | "prm_party", column: string, value: string) =>
    (
      await sandbox.db.query<{ n: number }>(
        `select count(*)::int as n from api.${table} where ${column} = $1`,
        [value],
      )
    ).rows[0]?.n ?? -1;

  it.each<[string, Omit<FaultRule, "pathPrefix" | "target" | "method">, number]>([
    ["503", { kind: "status", status: 503, times: 1 }, 0],
    ["502 with Retry-After: 0", { kind: "status", status: 502, retryAfter: "0", times: 1 }, 0],
    ["504 as HTML", { kind: "non_json", status: 504, times: 1 }, 0],
    ["a connection reset", { kind: "reset", times: 1 }, 0],
    ["a truncated answer", { kind: "truncate", times: 1 }, 0],
    ["401 (token renewed, then sent again)", { kind: "status", status: 401, times: 1 }, 1],
  ])("create_work_item under %s", async (label, rule, expected) => {
    const title = `At most once (${label}) ${randomUUID()}`;
    const before = apiRequests("/db/v1/ppm_work_item", "POST").length;
    sandbox.faults.add({ ...rule, pathPrefix: "/db/v1/ppm_work_item", method: "POST" });
    const outcome = await main.call("create_work_item", { title });
    expectCleanOutcome(outcome, label);
    if (expected === 0)
      expect(errorText(outcome)).toMatch(/^API_UNAVAILABLE: .*(not retried|may or may not)/);
    else expect(outcome.result?.isError, errorText(outcome)).toBeFalsy();
    const posts = apiRequests("/db/v1/ppm_work_item", "POST").length - before;
    expect(posts).toBe(rule.status === 401 ? 2 : 1);
    expect(await rows("ppm_work_item", "title", title)).toBe(expected);
    const listed = await main.call("list_work_items", { text: title });
    expect(listed.result?.structuredContent).toMatchObject({ total: expected });
  });

  it("create_work_item that times out on the client is applied once, late, and never sent twice", async () => {
    const impatient = await server({ RAYTIO_HTTP_TIMEOUT_SECONDS: PATIENT_ENOUGH_SECONDS });
    expect((await impatient.call("list_work_items", { limit: 1 })).result?.isError).toBeFalsy();
    const title = `At most once (client timeout) ${randomUUID()}`;
    const before = apiRequests("/db/v1/ppm_work_item", "POST").length;
    const hold = sandbox.faults.add({ kind: "hold", pathPrefix: "/db/v1/ppm_work_item", method: "POST" });
    const outcome = await impatient.call("create_work_item", { title });
    expectCleanOutcome(outcome, "client timeout");
    expect(errorText(outcome)).toMatch(/^API_UNAVAILABLE: .*may or may not have been applied/);
    expect(sandbox.faults.hits(hold)).toBe(1);
    expect(await rows("ppm_work_item", "title", title)).toBe(0);
    // Released after the client gave up: the write lands late, exactly once.
    sandbox.faults.clear();
    await vi.waitFor(async () => expect(await rows("ppm_work_item", "title", title)).toBe(1), {
      timeout: 30_000,
      interval: 100,
    });
    expect(apiRequests("/db/v1/ppm_work_item", "POST").length - before).toBe(1);
    await expectHealthy(impatient);
  });

  it("create_party under a reset and under a 503", async () => {
    for (const rule of [
      { kind: "reset", times: 1 },
      { kind: "status", status: 503, times: 1 },
    ] as const) {
      const name = `At most once party ${randomUUID()}`;
      sandbox.faults.add({ ...rule, pathPrefix: "/db/v1/prm_party", method: "POST" });
      const outcome = await main.call("create_party", { type: "organisation", name });
      expectCleanOutcome(outcome, rule.kind);
      expect(errorText(outcome)).toMatch(/^API_UNAVAILABLE: /);
      expect(await rows("prm_party", "display_name", name)).toBe(0);
      sandbox.faults.clear();
    }
    await expectHealthy(main);
  });

  it("twenty concurrent creates under intermittent 503s, resets and truncation: none is applied twice", async () => {
    const titles = Array.from({ length: 20 }, (_, index) => `Concurrent write ${index} ${randomUUID()}`);
    for (const kind of ["reset", "truncate"] as const)
      sandbox.faults.add({ kind, pathPrefix: "/db/v1/ppm_work_item", method: "POST", times: 3 });
    sandbox.faults.add({
      kind: "status",
      status: 503,
      pathPrefix: "/db/v1/ppm_work_item",
      method: "POST",
      times: 3,
    });
    const outcomes = await Promise.all(titles.map((title) => main.call("create_work_item", { title })));
    let failed = 0;
    for (const [index, outcome] of outcomes.entries()) {
      expectCleanOutcome(outcome, `write ${index}`);
      const title = titles[index] ?? "";
      const count = await rows("ppm_work_item", "title", title);
      if (outcome.result?.isError) {
        failed += 1;
        expect(count).toBe(0);
      } else {
        expect(count).toBe(1);
      }
    }
    expect(failed).toBe(9);
    await expectHealthy(main);
  });
});

describe("Cognito outages", () => {
  const outages: Array<[string, Omit<FaultRule, "target">, RegExp]> = [
    ["InternalErrorException", { kind: "status", status: 500, times: -1 }, /InternalErrorException/],
    ["TooManyRequestsException", { kind: "status", status: 429, times: -1 }, /TooManyRequestsException/],
    ["connection resets", { kind: "reset", times: -1 }, /^API_UNAVAILABLE: /],
  ];

  it.each(outages)(
    "at sign-in (%s): calls fail with API_UNAVAILABLE, then recover without a restart",
    async (_label, rule, named) => {
      sandbox.faults.add({ ...rule, target: "cognito" });
      const outage = await server();
      const outcomes = await storm(
        outage,
        tools.filter((tool) => healthyReads.includes(tool.name)),
      );
      expect(outcomes.map(([name]) => name)).toEqual(
        expect.arrayContaining(["list_work_items", ...LOCAL_READS]),
      );
      for (const [name, outcome] of outcomes) {
        expectCleanOutcome(outcome, name);
        if (LOCAL_READS.includes(name)) {
          expect(errorText(outcome), name).toBe("");
          continue;
        }
        // Every read that needs Raytio fails, and names the outage: none answers from a stale session.
        expect(errorText(outcome), name).toMatch(/^API_UNAVAILABLE: (Could not reach )?Raytio sign-in/);
        expect(errorText(outcome), name).toMatch(named);
      }
      await expectHealthy(outage);
      sandbox.faults.clear();
      expect((await outage.call("list_work_items", { limit: 1 })).result?.isError).toBeFalsy();
    },
  );

  it("a named Cognito error at sign-in through the Cognito stand-in's own fault hook", async () => {
    sandbox.cognito.injectFault({
      action: "InitiateAuth",
      type: "TooManyRequestsException",
      message: "Rate exceeded",
      times: 100,
    });
    const outage = await server();
    const outcome = await outage.call("list_work_items", { limit: 1 });
    expect(errorText(outcome)).toMatch(/^API_UNAVAILABLE: .*TooManyRequestsException/);
    sandbox.cognito.clearFaults();
    expect((await outage.call("list_work_items", { limit: 1 })).result?.isError).toBeFalsy();
    await expectHealthy(outage);
  });

  it.each(outages)(
    "at refresh (%s): the expired token is not used, the call fails cleanly, then recovers",
    async (_label, rule) => {
      sandbox.cognito.setTokenLifetimes({ idTokenTtlSeconds: 4, accessTokenTtlSeconds: 4 });
      const expiring = await server();
      expect((await expiring.call("list_work_items", { limit: 1 })).result?.isError).toBeFalsy();
      await sleep(4_200);
      // From here on tokens are long-lived, so the refresh under test is the only one however slow the machine.
      sandbox.cognito.setTokenLifetimes({ idTokenTtlSeconds: 3600, accessTokenTtlSeconds: 3600 });
      const rejectedBefore = apiRequests("/db/v1/").filter((request) => request.status === 401).length;
      sandbox.faults.add({ ...rule, target: "cognito" });
      const outcome = await expiring.call("list_work_items", { limit: 1 });
      expectCleanOutcome(outcome, "refresh outage");
      expect(errorText(outcome)).toMatch(/^API_UNAVAILABLE: /);
      // The server never sent its expired token to the API.
      expect(apiRequests("/db/v1/").filter((request) => request.status === 401).length).toBe(rejectedBefore);
      sandbox.faults.clear();
      expect((await expiring.call("list_work_items", { limit: 1 })).result?.isError).toBeFalsy();
      await expectHealthy(expiring);
    },
  );

  it("a refused refresh falls back to one sign-in and the call succeeds", async () => {
    sandbox.cognito.setTokenLifetimes({ idTokenTtlSeconds: 4, accessTokenTtlSeconds: 4 });
    const expiring = await server();
    expect((await expiring.call("list_work_items", { limit: 1 })).result?.isError).toBeFalsy();
    await sleep(3_500);
    // From here on tokens are long-lived, so the refresh under test is the only one however slow the machine.
    sandbox.cognito.setTokenLifetimes({ idTokenTtlSeconds: 3600, accessTokenTtlSeconds: 3600 });
    sandbox.cognito.injectFault({
      action: "InitiateAuth",
      authFlow: "REFRESH_TOKEN_AUTH",
      type: "InternalErrorException",
      status: 500,
    });
    const before = sandbox.cognito.stats();
    expect((await expiring.call("list_work_items", { limit: 1 })).result?.isError).toBeFalsy();
    expect(sandbox.cognito.stats().srpSignIns).toBe(before.srpSignIns + 1);
    await expectHealthy(expiring);
  });
});

describe("token expiry storm", () => {
  it("keeps every call working while 2-second tokens expire under concurrent reads, writes and 401s", async () => {
    const byName = new Map(tools.map((tool) => [tool.name, tool]));

    sandbox.cognito.setTokenLifetimes({ idTokenTtlSeconds: 2, accessTokenTtlSeconds: 2 });
    const stormy = await server();
    const statsBefore = sandbox.cognito.stats();
    const titles: string[] = [];
    const failures: string[] = [];
    for (let wave = 0; wave < 6; wave += 1) {
      if (wave % 2 === 1)
        sandbox.faults.add({ kind: "status", status: 401, pathPrefix: "/db/v1/", times: 3 });
      const calls: Array<Promise<[string, Outcome]>> = [];
      for (let index = 0; index < 24; index += 1) {
        const name = healthyReads[index % healthyReads.length] ?? "list_work_items";
        const args = plainArgs(byName.get(name)?.inputSchema as JsonSchema);
        calls.push(stormy.call(name, args).then((outcome) => [name, outcome]));
      }
      const title = `Storm write ${wave} ${randomUUID()}`;
      titles.push(title);
      calls.push(stormy.call("create_work_item", { title }).then((outcome) => ["create_work_item", outcome]));
      for (const [name, outcome] of await Promise.all(calls)) {
        expectCleanOutcome(outcome, `wave ${wave}: ${name}`);
        if (outcome.rpcError || outcome.result.isError) failures.push(`${name}: ${errorText(outcome)}`);
      }
      sandbox.faults.clear();
      await sleep(900);
    }
    expect(failures).toEqual([]);
    const statsAfter = sandbox.cognito.stats();
    expect(statsAfter.refreshes - statsBefore.refreshes).toBeGreaterThanOrEqual(2);
    for (const title of titles) {
      const count = await sandbox.db.query<{ n: number }>(
        "select count(*)::int as n from api.ppm_work_item where title = $1",
        [title],
      );
      expect(count.rows[0]?.n).toBe(1);
    }
    await expectHealthy(stormy);
  });
});

describe("the client going away", () => {
  it("cancelling half of 30 slow calls leaves the other half answered and the server clean", async () => {
    // Held until released, so every cancel certainly comes before any answer.
    const hold = sandbox.faults.add({ kind: "hold", times: -1, pathPrefix: "/db/v1/" });
    const calls = Array.from({ length: 30 }, (_, index) => {
      const controller = new AbortController();
      const pending = main.client.callTool(
        { name: "list_work_items", arguments: { limit: 1 + (index % 5) } },
        undefined,
        {
          signal: controller.signal,
          timeout: 45_000,
        },
      );
      if (index % 2 === 0) controller.abort("test cancels");
      return pending.then(
        (result) => ({ index, result }),
        (error: unknown) => ({ index, error }),
      );
    });
    // The fifteen calls that were not cancelled are all waiting on the API before it answers.
    await vi.waitFor(() => expect(sandbox.faults.hits(hold)).toBeGreaterThanOrEqual(15), {
      timeout: 30_000,
      interval: 50,
    });
    sandbox.faults.clear();
    const settled = await Promise.all(calls);
    for (const entry of settled) {
      if (entry.index % 2 === 1)
        expect("result" in entry && !entry.result.isError, `call ${entry.index}`).toBe(true);
      else expect("error" in entry, `call ${entry.index} was cancelled`).toBe(true);
    }
    await expectHealthy(main);
  });

  it("closing stdin while 20 calls wait on a slow API exits with code 0 and no lost error", async () => {
    sandbox.faults.add({ kind: "latency", delayMs: 1_000, times: -1, pathPrefix: "/db/v1/" });
    const raw = spawnRaw(sandbox.configFor("agent", { ...ALL_DOMAINS, ...SHORT_WAITS }));
    await initializeRaw(raw, "leaver");
    for (let id = 2; id < 22; id += 1) {
      raw.send(
        JSON.stringify({
          jsonrpc: "2.0",
          id,
          method: "tools/call",
          params: { name: "list_work_items", arguments: { limit: 1 } },
        }),
      );
    }
    await sleep(300);
    raw.child.stdin.end();
    expect(await raw.exit).toBe(0);
    expect(raw.stderr.join("")).not.toMatch(LOST_CONTROL);
  });
});

describe("after everything", () => {
  it("no server lost control of an error, and every one is still running", async () => {
    expect(allStderr.filter((line) => LOST_CONTROL.test(line))).toEqual([]);
    for (const running of servers) await expectHealthy(running);
  });
});
