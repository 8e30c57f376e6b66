import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { raytioRejectionFrom } from "../../test/support/raytio-error.js";
import { TokenEndpointFlow } from "./token-endpoint.js";

/** A stand-in answering each request with the next canned reply, recording what it was sent. */
let server: Server;
let url: string;
const replies: Array<{ status: number; body: string } | "never"> = [];
const received: unknown[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
    });
    req.on("end", () => {
      received.push({ contentType: req.headers["content-type"], body: JSON.parse(text) });
      const reply = replies.shift() ?? { status: 500, body: "{}" };
      if (reply === "never") return;
      res.writeHead(reply.status, { "Content-Type": "application/json" }).end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/v1/token`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("TokenEndpointFlow", () => {
  it("sends the documented JSON grants and reads the three documented tokens", async () => {
    received.length = 0;
    replies.push(
      {
        status: 200,
        body: JSON.stringify({ identity_token: "id-1", access_token: "a-1", refresh_token: "r-1" }),
      },
      { status: 200, body: JSON.stringify({ identity_token: "id-2", access_token: "a-2" }) },
    );
    const flow = new TokenEndpointFlow(url, 5_000);
    expect(await flow.signIn("person@example.test", "pw-123456")).toEqual({
      idToken: "id-1",
      accessToken: "a-1",
      refreshToken: "r-1",
    });
    // A refresh that returns no refresh token keeps the old one (RaytioAuth does the keeping).
    expect(await flow.refresh("r-1")).toEqual({
      idToken: "id-2",
      accessToken: "a-2",
      refreshToken: undefined,
    });
    expect(received).toEqual([
      {
        contentType: "application/json",
        body: { grant_type: "password", username: "person@example.test", password: "pw-123456" },
      },
      { contentType: "application/json", body: { grant_type: "refresh_token", refresh_token: "r-1" } },
    ]);
  });

  it("maps 401 to AUTH_FAILED without echoing the body, and 5xx to API_UNAVAILABLE", async () => {
    replies.push(
      { status: 401, body: JSON.stringify({ message: "echo pw-secret-1" }) },
      { status: 502, body: "<html>bad gateway</html>" },
    );
    const flow = new TokenEndpointFlow(url, 5_000);
    const refused = await raytioRejectionFrom(flow.signIn("person@example.test", "pw-secret-1"));
    expect(refused.code).toBe("AUTH_FAILED");
    expect(refused.message).toContain("HTTP 401 from the token endpoint");
    expect(refused.message).not.toContain("pw-secret-1");
    const unavailable = await raytioRejectionFrom(flow.signIn("person@example.test", "pw-secret-1"));
    expect(unavailable.code).toBe("API_UNAVAILABLE");
  });

  it("treats a missing endpoint as a configuration error naming the URL", async () => {
    replies.push({ status: 404, body: "{}" });
    const error = await raytioRejectionFrom(new TokenEndpointFlow(url, 5_000).signIn("a@b.test", "pw"));
    expect(error.code).toBe("AUTH_FAILED");
    expect(error.message).toContain(url);
    expect(error.message).toContain("RAYTIO_API_BASE_URL");
  });

  it("refuses a 200 without identity_token", async () => {
    replies.push({ status: 200, body: JSON.stringify({ access_token: "a", refresh_token: "r" }) });
    const error = await raytioRejectionFrom(new TokenEndpointFlow(url, 5_000).signIn("a@b.test", "pw"));
    expect(error.code).toBe("AUTH_FAILED");
    expect(error.message).toContain("without an identity_token");
  });

  it("reports an unreachable endpoint and a timeout as API_UNAVAILABLE", async () => {
    const closed = await raytioRejectionFrom(
      new TokenEndpointFlow("http://127.0.0.1:9/oauth/v1/token", 5_000).signIn("a@b.test", "pw"),
    );
    expect(closed.code).toBe("API_UNAVAILABLE");
    expect(closed.details).toEqual({
      tokenEndpointError: "NetworkError",
      address: "http://127.0.0.1:9/oauth/v1/token",
    });
    // Where it tried, which setting chose that address, and what to do about a local one.
    expect(closed.message).toContain("Could not reach Raytio sign-in at http://127.0.0.1:9/oauth/v1/token");
    expect(closed.message).toContain("RAYTIO_API_BASE_URL");
    expect(closed.message).toContain("Nothing answered on this machine");
    // This request is never answered, so only the client's limit can end it: no race with machine speed.
    replies.push("never");
    const slow = await raytioRejectionFrom(new TokenEndpointFlow(url, 50).signIn("a@b.test", "pw"));
    expect(slow.code).toBe("API_UNAVAILABLE");
    expect(slow.details).toEqual({ tokenEndpointError: "TimeoutError", address: url });
    expect(slow.message).toContain("RAYTIO_HTTP_TIMEOUT_SECONDS");
  });
});
