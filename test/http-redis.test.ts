import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { accountByKey } from "../sandbox/accounts.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import { startTestSandbox } from "./support/harness.js";
import {
  authorizeAt,
  codeRedemption,
  connectAs,
  type HttpServerProcess,
  type HttpSession,
  REDIRECT_URI,
  rawPost,
  signInOnPage,
} from "./support/http-harness.js";
import {
  describeWithRedis,
  readAnyKind,
  startRedis,
  startReplicaPair,
  type TestRedis,
} from "./support/http-redis.js";

/**
 * Two server processes behind one Redis, as replicas behind a load balancer would run: OAuth state and
 * sessions are shared, codes are redeemed once across both, and either replica serves any session.
 * CI installs redis-server (.ci/run) and fails without it; a developer without it sees the skipped tests named.
 */

let sandbox: Sandbox;
let redis: TestRedis;
let first: HttpServerProcess;
let second: HttpServerProcess;
const sessions: HttpSession[] = [];

let secondPort = 0;

/** The JSON-RPC message in a POST answer, whether it came as JSON or as an SSE stream. */
function messageOf(text: string): Record<string, unknown> {
  const data = text
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => line.slice("data: ".length));
  return JSON.parse(data.length > 0 ? (data[data.length - 1] ?? "") : text) as Record<string, unknown>;
}

describeWithRedis("two replicas sharing one Redis", () => {
  beforeAll(async () => {
    sandbox = await startTestSandbox();
    redis = await startRedis();
    ({ first, second, secondPort } = await startReplicaPair(sandbox, redis));
  });

  afterAll(async () => {
    await Promise.all(sessions.map((session) => session.close().catch(() => undefined)));
    await Promise.all([first?.stop(), second?.stop()]);
    await redis?.stop();
    await sandbox?.stop();
  });

  /** Replica two's own address; its announced URL is the shared public one. */
  const secondUrl = () => `http://127.0.0.1:${secondPort}/mcp`;

  it("serves a session opened on one replica from the other, with the same person's tools", async () => {
    const session = await connectAs(first.url, "project_user");
    sessions.push(session);
    const sessionId = session.transport.sessionId ?? "";
    const headers = {
      Authorization: `Bearer ${session.provider.saved?.access_token}`,
      "Mcp-Session-Id": sessionId,
      "Mcp-Protocol-Version": "2025-11-25",
    };
    const listed = await rawPost(secondUrl(), { jsonrpc: "2.0", id: 2, method: "tools/list" }, headers);
    expect(listed.status).toBe(200);
    const viaSecond = (messageOf(listed.text).result as { tools: Array<{ name: string }> }).tools.map(
      (tool) => tool.name,
    );
    expect(viaSecond).toEqual((await session.client.listTools()).tools.map((tool) => tool.name));
    const called = await rawPost(
      secondUrl(),
      {
        jsonrpc: "2.0",
        id: 3,
        method: "tools/call",
        params: { name: "list_work_items", arguments: { limit: 1 } },
      },
      headers,
    );
    expect((messageOf(called.text).result as { isError?: boolean }).isError).toBeFalsy();
    expect(second.stderr.join("\n")).toContain("Resumed an MCP session created elsewhere");

    // Ended on the second replica, it is gone on the first too.
    const ended = await fetch(secondUrl(), { method: "DELETE", headers });
    expect(ended.status).toBe(200);
    expect((await rawPost(first.url, { jsonrpc: "2.0", id: 4, method: "ping" }, headers)).status).toBe(404);
  });

  it("redeems a code exactly once when both replicas race for it", async () => {
    const form = codeRedemption(
      await authorizeAt(first.origin, "project_user", { headers: { "X-Forwarded-For": "10.7.0.1" } }),
    );
    const statuses = await Promise.all(
      [first.origin, new URL(secondUrl()).origin, first.origin, new URL(secondUrl()).origin].map(
        async (origin) =>
          (
            await fetch(`${origin}/oauth/token`, {
              method: "POST",
              headers: { "Content-Type": "application/x-www-form-urlencoded" },
              body: form,
            })
          ).status,
      ),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 400)).toHaveLength(3);
  });

  it("shares the registration rate limit across replicas", async () => {
    const statuses: number[] = [];
    for (const origin of [
      first.origin,
      new URL(secondUrl()).origin,
      first.origin,
      new URL(secondUrl()).origin,
      first.origin,
      new URL(secondUrl()).origin,
    ]) {
      const response = await fetch(`${origin}/oauth/register`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Forwarded-For": "10.7.7.7" },
        body: JSON.stringify({ redirect_uris: [REDIRECT_URI] }),
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429]);
  });

  it("keeps no token, code or password readable in Redis", async () => {
    const session = await connectAs(first.url, "agent", { withEncryptionPassword: true });
    sessions.push(session);
    // A code waiting to be redeemed is in Redis too, under its hash only.
    const registered = (await (
      await fetch(`${first.origin}/oauth/register`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Forwarded-For": "10.7.0.2" },
        body: JSON.stringify({ redirect_uris: [REDIRECT_URI] }),
      })
    ).json()) as { client_id: string };
    const url = new URL(`${first.origin}/oauth/authorize`);
    for (const [key, value] of Object.entries({
      response_type: "code",
      client_id: registered.client_id,
      redirect_uri: REDIRECT_URI,
      code_challenge: createHash("sha256").update(randomBytes(32).toString("base64url")).digest("base64url"),
      code_challenge_method: "S256",
    }))
      url.searchParams.set(key, value);
    const signedIn = await signInOnPage(url, {
      email: accountByKey("agent").email,
      password: accountByKey("agent").password,
      encryptionPassword: accountByKey("agent").encryptionPassword,
    });
    const code = signedIn.location?.searchParams.get("code") ?? "";
    expect(code).toMatch(/^rmcp_code_/);
    const codeKey = `raytio-mcp:oauth:code:${createHash("sha256").update(code).digest("hex")}`;
    expect(await redis.client.command("EXISTS", codeKey)).toBe(1);
    const keys = (await redis.client.command("KEYS", "*")) as string[];
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((key) => key.startsWith("raytio-mcp:"))).toBe(true);
    const values = await Promise.all(
      keys.filter((key) => !key.includes(":rate:")).map(async (key) => readAnyKind(redis, key)),
    );
    const everything = [...keys, ...values].join("\n");
    const { access_token, refresh_token } = session.provider.saved ?? { access_token: "", refresh_token: "" };
    const agent = accountByKey("agent");
    for (const secret of [
      access_token,
      refresh_token ?? "",
      code,
      agent.password,
      agent.encryptionPassword,
    ]) {
      expect(secret.length).toBeGreaterThan(8);
      expect(everything).not.toContain(secret);
    }
    // Cognito's own tokens are sealed, not stored as JWTs.
    expect(everything).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
  });

  it("delivers a DSM notification to the session's stream on one replica when the watch ran on the other", async () => {
    const session = await connectAs(first.url, "agent");
    sessions.push(session);
    const application = (
      await session.call("create_access_application", { name: "Cross-replica", schemas: ["ss_Person_Name"] })
    ).structuredContent as { data: { access_application_id: string } };
    const form = (
      await session.call("create_form", {
        access_application_id: application.data.access_application_id,
        name: "Name",
        pages: [{ name: "Who", schemas: ["ss_Person_Name"] }],
      })
    ).structuredContent as { data: { short_link_key: string } };
    const headers = {
      Authorization: `Bearer ${session.provider.saved?.access_token}`,
      "Mcp-Session-Id": session.transport.sessionId ?? "",
      "Mcp-Protocol-Version": "2025-11-25",
    };
    // send_request runs on the second replica, so its watch does too.
    const sent = messageOf(
      (
        await rawPost(
          secondUrl(),
          {
            jsonrpc: "2.0",
            id: 9,
            method: "tools/call",
            params: {
              name: "send_request",
              arguments: { short_link_key: form.data.short_link_key, recipient_email: "p@example.com" },
            },
          },
          headers,
        )
      ).text,
    );
    const code = (sent.result as { structuredContent: { data: { request_short_code: string } } })
      .structuredContent.data.request_short_code;
    await fetch(`${sandbox.url}/sandbox/v1/requests/${code}/submit`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ data: { ss_Person_Name: { given_name: "Tama", family_name: "Rua" } } }),
    });
    const deadline = Date.now() + 20_000;
    while (
      !session.logs.some((log) => (log.data as { request_short_code?: string }).request_short_code === code)
    ) {
      if (Date.now() > deadline) throw new Error("no notification arrived");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(
      session.logs.filter((log) => (log.data as { request_short_code?: string }).request_short_code === code),
    ).toHaveLength(1);
  });
});
