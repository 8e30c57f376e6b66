import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import type { Domain } from "../src/tools/core/domains.js";
import { expectedToolNames } from "./support/expected-tools.js";
import { allStderr, serverPool, startTestSandbox, structured, textOf, toolNames } from "./support/harness.js";

let sandbox: Sandbox;

/** The names a client should see for these domains, written out by hand in test/support/expected-tools.ts. */
const namesFor = expectedToolNames;
const pool = serverPool(() => sandbox);
const connect = pool.connect;

function requestsTo(pathPrefix: string, method?: string) {
  return sandbox.requests.filter(
    (request) => request.url.startsWith(pathPrefix) && (method === undefined || request.method === method),
  );
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
});

afterAll(async () => {
  await pool.closeAll();
  await sandbox.stop();
});

describe("domain resolution", () => {
  it("uses RAYTIO_TOOL_DOMAINS when set (static), with no role lookup", async () => {
    const before = requestsTo("/db/v1/rpc/fnd_authz_user_groups").length;
    const server = await connect("agent", { RAYTIO_TOOL_DOMAINS: "prm,wrm-readonly" });
    expect(await toolNames(server)).toEqual(namesFor(["prm", "wrm-readonly"]));
    expect(requestsTo("/db/v1/rpc/fnd_authz_user_groups").length).toBe(before);
    // The first tools/list may be an early answer (src/early-answers.ts); a request only the full
    // server answers makes sure it has started and logged its domains.
    await server.client.listResources();
    expect(server.stderr.join("\n")).toMatch(/Tool domains: prm, wrm-readonly \(static/);
  });

  it.each<[string, Domain[]]>([
    ["project_user", ["ppm"]],
    ["project_admin", ["ppm", "wrm"]],
    ["project_viewer", ["ppm-readonly", "wrm-readonly"]],
    ["data_sharing_user", ["dsm"]],
    ["data_sharing_admin", ["dsm"]],
    ["worker_admin", ["wrm"]],
    ["worker_viewer", ["wrm-readonly"]],
  ])("derives the tools of %s from its roles (%j)", async (account, domains) => {
    const server = await connect(account);
    expect(await toolNames(server)).toEqual(namesFor(domains));
    if (domains.every((domain) => domain.endsWith("-readonly"))) {
      const listed = (await server.client.listTools()).tools;
      expect(listed.every((tool) => tool.annotations?.readOnlyHint === true)).toBe(true);
    }
    expect(server.stderr.join("\n")).toMatch(/\(roles: from the account's roles/);
  });

  it("falls back to every domain when the account has no recognised role", async () => {
    const server = await connect("no_roles");
    expect(await toolNames(server)).toEqual(namesFor(["dsm", "ppm", "prm", "wrm"]));
    expect(server.stderr.join("\n")).toMatch(/fallback: the account has no Raytio roles/);
  });

  it("falls back to every domain when the role lookup fails", async () => {
    sandbox.faults.add({
      pathPrefix: "/db/v1/rpc/fnd_authz_user_groups",
      kind: "status",
      status: 500,
      times: 1,
    });
    const server = await connect("project_user");
    expect(await toolNames(server)).toEqual(namesFor(["dsm", "ppm", "prm", "wrm"]));
    expect(server.stderr.join("\n")).toMatch(/fallback: the role lookup failed \(API_ERROR\)/);
  });

  it("fails at start, naming the valid domains, for an unknown domain", async () => {
    await expect(connect("agent", { RAYTIO_TOOL_DOMAINS: "ppm,crm" })).rejects.toThrow();
  });
});

describe("sign-in and tokens", () => {
  it("signs in with Cognito SRP, not the password flow", async () => {
    const before = sandbox.cognito.stats();
    const server = await connect("project_user");
    const result = await server.call("list_work_items", { limit: 2 });
    expect(result.isError).toBeFalsy();
    const after = sandbox.cognito.stats();
    expect(after.srpSignIns).toBe(before.srpSignIns + 1);
    expect(after.passwordSignIns).toBe(before.passwordSignIns);
  });

  it("answers initialize before sign-in completes", async () => {
    sandbox.faults.add({ target: "cognito", kind: "latency", delayMs: 3_000, times: 1 });
    const before = sandbox.cognito.stats().srpSignIns;
    const server = await connect("worker_admin");
    // connect() includes the initialize round trip; the delayed sign-in has not finished yet.
    expect(sandbox.cognito.stats().srpSignIns).toBe(before);
    expect(await toolNames(server)).toEqual(namesFor(["wrm"]));
    expect(sandbox.cognito.stats().srpSignIns).toBe(before + 1);
  });

  it("refreshes an expiring token before use, with no failed call", async () => {
    sandbox.cognito.setTokenLifetimes({ idTokenTtlSeconds: 4, accessTokenTtlSeconds: 4 });
    try {
      const server = await connect("project_user");
      expect((await server.call("list_work_items", { limit: 1 })).isError).toBeFalsy();
      const refreshesBefore = sandbox.cognito.stats().refreshes;
      const rejectedBefore = requestsTo("/db/v1/").filter((request) => request.status === 401).length;
      await new Promise((resolve) => setTimeout(resolve, 3_500));
      // From here on tokens are long-lived, so the refresh under test is the only one however slow the machine.
      sandbox.cognito.setTokenLifetimes({ idTokenTtlSeconds: 3600, accessTokenTtlSeconds: 3600 });
      expect((await server.call("list_work_items", { limit: 1 })).isError).toBeFalsy();
      expect(sandbox.cognito.stats().refreshes).toBe(refreshesBefore + 1);
      expect(requestsTo("/db/v1/").filter((request) => request.status === 401).length).toBe(rejectedBefore);
    } finally {
      sandbox.cognito.setTokenLifetimes({ idTokenTtlSeconds: 3600, accessTokenTtlSeconds: 3600 });
    }
  });

  it("shares one refresh among 30 concurrent calls across an expiry", async () => {
    sandbox.cognito.setTokenLifetimes({ idTokenTtlSeconds: 4, accessTokenTtlSeconds: 4 });
    try {
      const server = await connect("project_user");
      expect((await server.call("list_work_items", { limit: 1 })).isError).toBeFalsy();
      await new Promise((resolve) => setTimeout(resolve, 3_500));
      // From here on tokens are long-lived, so the refresh under test is the only one however slow the machine.
      sandbox.cognito.setTokenLifetimes({ idTokenTtlSeconds: 3600, accessTokenTtlSeconds: 3600 });
      const refreshesBefore = sandbox.cognito.stats().refreshes;
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, index) => server.call("list_work_items", { limit: 1 + (index % 5) })),
      );
      expect(results.filter((result) => result.isError)).toEqual([]);
      expect(sandbox.cognito.stats().refreshes).toBe(refreshesBefore + 1);
    } finally {
      sandbox.cognito.setTokenLifetimes({ idTokenTtlSeconds: 3600, accessTokenTtlSeconds: 3600 });
    }
  });

  it("signs in again, once, when the refresh token is refused", async () => {
    sandbox.cognito.setTokenLifetimes({ idTokenTtlSeconds: 4, accessTokenTtlSeconds: 4 });
    try {
      const server = await connect("project_user");
      expect((await server.call("list_work_items", { limit: 1 })).isError).toBeFalsy();
      await new Promise((resolve) => setTimeout(resolve, 3_500));
      // From here on tokens are long-lived, so the refresh under test is the only one however slow the machine.
      sandbox.cognito.setTokenLifetimes({ idTokenTtlSeconds: 3600, accessTokenTtlSeconds: 3600 });
      const before = sandbox.cognito.stats();
      sandbox.cognito.injectFault({
        action: "InitiateAuth",
        authFlow: "REFRESH_TOKEN_AUTH",
        type: "NotAuthorizedException",
        message: "Refresh Token has been revoked",
      });
      expect((await server.call("list_work_items", { limit: 1 })).isError).toBeFalsy();
      const after = sandbox.cognito.stats();
      expect(after.srpSignIns).toBe(before.srpSignIns + 1);
      expect(after.failuresByType.NotAuthorizedException).toBe(
        (before.failuresByType.NotAuthorizedException ?? 0) + 1,
      );
    } finally {
      sandbox.cognito.setTokenLifetimes({ idTokenTtlSeconds: 3600, accessTokenTtlSeconds: 3600 });
    }
  });

  it("refreshes and retries once when the API answers 401 mid-session", async () => {
    const server = await connect("project_user");
    expect((await server.call("list_work_items", { limit: 1 })).isError).toBeFalsy();
    const refreshesBefore = sandbox.cognito.stats().refreshes;
    const fault = sandbox.faults.add({
      pathPrefix: "/db/v1/ppm_work_item",
      kind: "status",
      status: 401,
      times: 1,
    });
    const result = await server.call("list_work_items", { limit: 1 });
    expect(result.isError).toBeFalsy();
    expect(sandbox.faults.hits(fault)).toBe(1);
    expect(sandbox.cognito.stats().refreshes).toBe(refreshesBefore + 1);
  });

  it("keeps running after a failed sign-in and answers tools with an actionable error", async () => {
    const server = await connect("project_user", { RAYTIO_AGENT_PASSWORD: "definitely-wrong-password" });
    expect(await toolNames(server)).toEqual(namesFor(["dsm", "ppm", "prm", "wrm"]));
    const result = await server.call("list_work_items", {});
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^AUTH_FAILED: Raytio sign-in was refused \(NotAuthorizedException\)/);
    expect(textOf(result)).toContain("RAYTIO_AGENT_PASSWORD");
    expect(await server.client.ping()).toEqual({});
  });
});

describe("API client behaviour end to end", () => {
  it("retries a read that got 503", async () => {
    const server = await connect("project_user");
    await server.call("list_work_items", { limit: 1 });
    const before = requestsTo("/db/v1/ppm_work_item", "GET").length;
    const fault = sandbox.faults.add({
      pathPrefix: "/db/v1/ppm_work_item",
      method: "GET",
      kind: "status",
      status: 503,
    });
    const result = await server.call("list_work_items", { limit: 1 });
    expect(result.isError).toBeFalsy();
    expect(sandbox.faults.hits(fault)).toBe(1);
    expect(requestsTo("/db/v1/ppm_work_item", "GET").length).toBe(before + 2);
  });

  it("does not retry a write that got 503, and the write is not applied", async () => {
    const server = await connect("project_user");
    await server.call("list_work_items", { limit: 1 });
    const before = requestsTo("/db/v1/ppm_work_item", "POST").length;
    sandbox.faults.add({
      pathPrefix: "/db/v1/ppm_work_item",
      method: "POST",
      kind: "status",
      status: 503,
      times: 1,
    });
    const title = `Write-once probe ${Date.now()}`;
    const result = await server.call("create_work_item", { title });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^API_UNAVAILABLE: .*not retried/);
    expect(requestsTo("/db/v1/ppm_work_item", "POST").length).toBe(before + 1);
    const found = await server.call("list_work_items", { text: title });
    expect(found.structuredContent?.items).toEqual([]);
  });

  it("hides another customer's rows exactly as row-level security does", async () => {
    const demo = await connect("project_admin");
    const other = await connect("other_customer");
    const demoView = await demo.call("list_work_items", { text: "Other customer confidential item" });
    expect(demoView.structuredContent).toMatchObject({ items: [], total: 0 });
    const otherView = await other.call("list_work_items", { limit: 100 });
    const otherItems = structured<{ items: Array<{ title: string }>; total: number }>(otherView);
    const titles = otherItems.items.map((item) => item.title);
    expect(titles).toContain("Other customer confidential item");
    expect(otherItems.total).toBe(titles.length);
    const workers = await demo.call("list_workers", { text: "Other customer" });
    expect(workers.structuredContent).toMatchObject({ items: [], total: 0 });
  });

  it("matches a filter value crafted to inject another condition literally", async () => {
    const server = await connect("project_user");
    const injected = await server.call("list_work_items", { text: "x*,status.eq.DONE),or(title.ilike.*" });
    expect(injected.isError).toBeFalsy();
    expect(injected.structuredContent).toMatchObject({ items: [], total: 0 });
  });

  it("creates a work item and reads it back", async () => {
    const server = await connect("project_user");
    const title = `Foundation write ${Date.now()} — ünïcødé, commas, (parens) & "quotes"`;
    const created = await server.call("create_work_item", { title, tags: ["foundation-test"] });
    expect(created.isError).toBeFalsy();
    expect(created.structuredContent).toMatchObject({
      work_item: { title, status: "new", tags: ["foundation-test"] },
    });
    const found = await server.call("list_work_items", { text: title });
    expect(found.structuredContent).toMatchObject({ total: 1, items: [{ title }] });
  });

  it("pages through a list to the end with cursors", async () => {
    const server = await connect("project_user");
    const seen = new Set<string>();
    let cursor: string | undefined;
    let total = 0;
    for (let page = 0; page < 50; page += 1) {
      const result = await server.call("list_work_items", { limit: 100, ...(cursor ? { cursor } : {}) });
      const content = result.structuredContent as {
        items: Array<{ id: string }>;
        next_cursor: string | null;
        total: number;
      };
      for (const item of content.items) seen.add(item.id);
      total = content.total;
      if (!content.next_cursor) break;
      cursor = content.next_cursor;
    }
    expect(total).toBeGreaterThanOrEqual(300);
    expect(seen.size).toBe(total);
  });
});

describe("secrets", () => {
  it("never writes a password, encryption password or token to stderr", async () => {
    // Runs last in this file: it checks every line every server above wrote.
    expect(allStderr.length).toBeGreaterThan(20);
    const text = allStderr.join("\n");
    for (const account of sandbox.accounts) {
      expect(text).not.toContain(account.password);
      expect(text).not.toContain(account.encryptionPassword);
    }
    expect(text).not.toContain("definitely-wrong-password");
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
    for (const request of sandbox.requests) {
      const authorization = request.headers.authorization;
      if (typeof authorization === "string") expect(text).not.toContain(authorization.slice(7, 60));
    }
  });
});
