import { describe, expect, it } from "vitest";
import { raytioRejectionFrom } from "../../test/support/raytio-error.js";
import { loadConfig } from "../config.js";
import type { Credentials } from "../credentials.js";
import { RaytioError } from "../errors.js";
import { createLogger } from "../logger.js";
import { RaytioAuth } from "./auth.js";
import type { IssuedTokens, SignInFlow } from "./sign-in-flow.js";

const { config } = loadConfig(
  {
    env: { RAYTIO_API_BASE_URL: "http://127.0.0.1:9", RAYTIO_LOG_LEVEL: "silent" },
    defaultFile: "/nonexistent",
  },
  { agentAccount: false },
);
const logger = createLogger({ level: "silent" });
const agent: Credentials = {
  username: "agent@example.test",
  password: "pw-1234",
  encryptionPassword: undefined,
  customerId: undefined,
};

/** An unsigned token carrying the claims RaytioAuth reads; `now` is in seconds. */
function idToken(sub: string, now: number, ttl: number): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "none" })}.${part({ sub, iat: now, exp: now + ttl })}.sig`;
}

/** A flow whose every call is counted and answered from what the test decides. */
class ScriptedFlow implements SignInFlow {
  readonly name = "token-endpoint";
  signIns = 0;
  refreshes = 0;
  refuseRefresh = false;
  refusePassword = false;
  constructor(private readonly clock: () => number) {}
  describe(): string {
    return "scripted";
  }
  async signIn(): Promise<IssuedTokens> {
    this.signIns += 1;
    if (this.refusePassword) throw new RaytioError("AUTH_FAILED", "refused");
    return {
      idToken: idToken("user-1", this.clock() / 1000, 100),
      refreshToken: "r",
      accessToken: undefined,
    };
  }
  async refresh(): Promise<IssuedTokens> {
    this.refreshes += 1;
    if (this.refuseRefresh) throw new RaytioError("AUTH_FAILED", "refresh refused");
    return {
      idToken: idToken("user-1", this.clock() / 1000, 100),
      refreshToken: undefined,
      accessToken: undefined,
    };
  }
}

function setUp(credentials: Credentials = agent, session?: { idToken: string; refreshToken: string }) {
  let now = 1_000_000_000_000;
  const flow = new ScriptedFlow(() => now);
  const auth = new RaytioAuth(config, credentials, logger, {
    flow,
    now: () => now,
    ...(session ? { session } : {}),
  });
  return { auth, flow, advance: (seconds: number) => (now += seconds * 1000), now: () => now };
}

describe("RaytioAuth, whatever the flow", () => {
  it("signs in once, caches, and shares one refresh among concurrent callers after expiry", async () => {
    const { auth, flow, advance } = setUp();
    await Promise.all([auth.getIdToken(), auth.getIdToken(), auth.getClaims()]);
    expect(flow.signIns).toBe(1);
    advance(90);
    await Promise.all(Array.from({ length: 20 }, () => auth.getIdToken()));
    expect(flow.refreshes).toBe(1);
    expect(flow.signIns).toBe(1);
  });

  it("keeps the refresh token when a refresh returns none, and signs in again when a refresh is refused", async () => {
    const { auth, flow, advance } = setUp();
    await auth.getIdToken();
    advance(90);
    await auth.getIdToken();
    flow.refuseRefresh = true;
    advance(90);
    expect(await auth.getCurrentUserId()).toBe("user-1");
    expect(flow.refreshes).toBe(2);
    expect(flow.signIns).toBe(2);
  });

  it("never retries a refused password", async () => {
    const { auth, flow } = setUp();
    flow.refusePassword = true;
    expect((await raytioRejectionFrom(auth.getIdToken())).code).toBe("AUTH_FAILED");
    expect((await raytioRejectionFrom(auth.getIdToken())).code).toBe("AUTH_FAILED");
    expect(flow.signIns).toBe(1);
  });

  it("ends a person's session without a kept password once the refresh is refused", async () => {
    const start = 1_000_000_000;
    const { auth, flow, advance } = setUp(
      { ...agent, password: undefined },
      { idToken: idToken("person-1", start, 100), refreshToken: "r" },
    );
    expect(await auth.getCurrentUserId()).toBe("person-1");
    flow.refuseRefresh = true;
    advance(90);
    const error = await raytioRejectionFrom(auth.getIdToken());
    expect(error.code).toBe("AUTH_FAILED");
    expect(error.message).toContain("Reconnect your MCP client");
    expect(flow.signIns).toBe(0);
  });
});
