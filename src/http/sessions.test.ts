import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { catalogueTool } from "../tools/catalogue.js";
import { TOOLS } from "../tools/registry.js";
import { ChangeFeeds } from "./listen.js";
import type { AccessGrant, GrantSecrets } from "./oauth/service.js";
import { type Principal, PrincipalCache } from "./principals.js";
import { SessionManager } from "./sessions.js";
import { MemoryStore } from "./store.js";

/** A token-shaped id token: the session only reads sub and exp from it before any API call. */
function idToken(sub: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "none" })}.${part({ sub, exp: Math.floor(Date.now() / 1000) + 3600, iat: Math.floor(Date.now() / 1000) })}.sig`;
}

const config = loadConfig(
  {
    env: {
      RAYTIO_API_BASE_URL: "http://127.0.0.1:9",
      RAYTIO_COGNITO_USER_POOL_ID: "ap-southeast-2_Test01",
      RAYTIO_COGNITO_CLIENT_ID: "client",
      RAYTIO_COGNITO_REGION: "ap-southeast-2",
      // Fixed domains: no role lookup, so no network.
      RAYTIO_TOOL_DOMAINS: "ppm",
      RAYTIO_LOG_LEVEL: "silent",
    },
    defaultFile: "/nonexistent/config.env",
  },
  { agentAccount: false },
).config;

const grant: AccessGrant = {
  clientId: "client-1",
  sub: "user-1",
  familyId: "family-1",
  scope: "mcp",
  resource: "http://127.0.0.1:1/mcp",
  expiresAt: Date.now() + 60_000,
};
const secrets: GrantSecrets = {
  email: "person@example.com",
  cognito: { idToken: idToken("user-1"), refreshToken: "refresh" },
  encryptionPassword: undefined,
};

const catalogue = TOOLS.map(catalogueTool);
const requestStateKey = new Uint8Array(32).fill(7);

/** The person as a replica knows them from their grant: built as the HTTP server builds them. */
const principals: PrincipalCache[] = [];
async function principalOf(now?: () => number): Promise<{ cache: PrincipalCache; principal: Principal }> {
  const cache = new PrincipalCache({
    config,
    catalogue,
    requestStateKey,
    audit: { destination: "off", append: async () => undefined },
    idleSeconds: 60,
    tasks: new MemoryStore(),
    changes: new ChangeFeeds(new MemoryStore()),
    ...(now ? { now } : {}),
  });
  principals.push(cache);
  const principal = await cache.get(grant, async () => secrets);
  if (!principal) throw new Error("the grant's principal could not be built");
  return { cache, principal };
}

const managers: SessionManager[] = [];
function manager(store: MemoryStore, now: () => number = Date.now): SessionManager {
  const created = new SessionManager({
    store,
    config,
    catalogue,
    logger: createLogger({ level: "silent" }),
    idleSeconds: 60,
    endpoint: "http://127.0.0.1:1/mcp",
    requestStateKey,
    now,
  });
  managers.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(managers.splice(0).map((each) => each.close()));
  await Promise.all(principals.splice(0).map((cache) => cache.close()));
});

describe("SessionManager", () => {
  it("rebuilds a session on another replica with the client's own capabilities, identity and log level", async () => {
    const store = new MemoryStore();
    const first = manager(store);
    const second = manager(store);
    const initialize = {
      protocolVersion: "2025-06-18",
      capabilities: { sampling: {}, elicitation: {} },
      clientInfo: { name: "Claude Code", version: "2.1.0" },
    };
    const opened = await first.create(grant, (await principalOf()).principal, initialize);
    const record = await first.record(opened.record.id);
    expect(record).toBeDefined();
    if (!record) return;
    record.logLevel = "warning";

    // Another replica builds its own principal for the same grant, from the same secrets.
    const resumed = await second.resume(record, async () => (await principalOf()).principal);
    expect(resumed).toBeDefined();
    const server = resumed?.server.server;
    expect(server?.getClientCapabilities()).toMatchObject({ sampling: {}, elicitation: {} });
    expect(server?.getClientVersion()).toEqual(initialize.clientInfo);
    expect(resumed?.record.logLevel).toBe("warning");
    expect(resumed?.transport.sessionId).toBe(opened.record.id);
  });

  it("closes a session idle for longer than the idle time, but not one with an open stream", async () => {
    const clock = { now: Date.now() };
    const store = new MemoryStore(() => clock.now);
    const sessions = manager(store, () => clock.now);
    const { principal: person } = await principalOf();
    const idle = await sessions.create(grant, person, {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: {},
    });
    const streaming = await sessions.create(grant, person, {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: {},
    });
    streaming.active = 1;
    clock.now += 40_000;
    expect(await sessions.sweep()).toBe(0);
    clock.now += 21_000;
    expect(await sessions.sweep()).toBe(1);
    expect(sessions.size).toBe(1);
    expect(await sessions.record(idle.record.id)).toBeUndefined();
    expect(await sessions.record(streaming.record.id)).toBeDefined();
  });
});

describe("PrincipalCache", () => {
  it("forgets an idle person, but not one with a subscriptions/listen stream open here", async () => {
    const clock = { now: Date.now() };
    const { cache, principal: person } = await principalOf(() => clock.now);
    person.streams = 1;
    clock.now += 61_000;
    expect(cache.sweep()).toBe(0);
    person.streams = 0;
    clock.now += 61_000;
    expect(cache.sweep()).toBe(1);
    expect(cache.size).toBe(0);
  });
});
