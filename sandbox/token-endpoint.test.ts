import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeCognito } from "./cognito/fake-cognito.js";
import { TOKEN_ENDPOINT_PATH, TokenEndpoint } from "./token-endpoint.js";

const USER = { username: "ana@example.test", password: "Correct-Horse-1", sub: "sub-ana" };
let cognito: FakeCognito;
let endpoint: TokenEndpoint;
let server: Server;
let url: string;

beforeAll(async () => {
  // Only SRP allowed for Cognito clients: the token endpoint checks passwords on the server side anyway.
  cognito = new FakeCognito({
    userPoolId: "ap-southeast-2_Token01",
    clientId: "client",
    region: "ap-southeast-2",
    signInFlows: ["USER_SRP_AUTH"],
  });
  cognito.addUser({ ...USER, email: USER.username, groups: ["PROJECT_USER"] });
  endpoint = new TokenEndpoint(cognito);
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => void endpoint.handle(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${TOKEN_ENDPOINT_PATH}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const post = async (body: unknown) => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
};

describe("sandbox token endpoint", () => {
  it("answers the password grant with the three documented tokens; the identity token is an id token", async () => {
    const { status, body } = await post({
      grant_type: "password",
      username: USER.username,
      password: USER.password,
    });
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(["access_token", "identity_token", "refresh_token"]);
    const claims = await cognito.verify(body.identity_token ?? "", "id");
    expect(claims.sub).toBe(USER.sub);
    expect(claims["cognito:groups"]).toEqual(["PROJECT_USER"]);
    // Not a Cognito API call.
    expect(cognito.stats().passwordSignIns).toBe(0);
  });

  it("renews identity and access tokens with the refresh grant, keeping the refresh token", async () => {
    const signedIn = await post({ grant_type: "password", username: USER.username, password: USER.password });
    const { status, body } = await post({
      grant_type: "refresh_token",
      refresh_token: signedIn.body.refresh_token,
    });
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(["access_token", "identity_token"]);
    expect((await cognito.verify(body.identity_token ?? "", "id")).sub).toBe(USER.sub);
  });

  it("answers 401 for a wrong password, an unknown user and an unknown refresh token; 400 for a malformed grant", async () => {
    const before = endpoint.stats().failures;
    expect((await post({ grant_type: "password", username: USER.username, password: "wrong" })).status).toBe(
      401,
    );
    expect(
      (await post({ grant_type: "password", username: "nobody@example.test", password: "x" })).status,
    ).toBe(401);
    expect((await post({ grant_type: "refresh_token", refresh_token: "not-a-token" })).status).toBe(401);
    expect((await post({ grant_type: "password", username: USER.username })).status).toBe(400);
    expect((await post({ grant_type: "client_credentials" })).status).toBe(400);
    expect(endpoint.stats().failures).toBe(before + 5);
  });
});
