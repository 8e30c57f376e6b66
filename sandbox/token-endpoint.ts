import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { FakeCognito } from "./cognito/fake-cognito.js";

/**
 * Raytio's one publicly documented endpoint, `POST /oauth/v1/token` on the API, as api-docs.rayt.io
 * describes it: a JSON body with `grant_type` `password` (`username`, `password`) or `refresh_token`
 * (`refresh_token`); 200 with `identity_token`, `access_token` and `refresh_token` (a refresh returns
 * the updated identity and access tokens only); 401 for refused credentials. It signs in against the
 * same accounts as the Cognito stand-in and issues the same tokens, so the API accepts them alike.
 */
export const TOKEN_ENDPOINT_PATH = "/oauth/v1/token";

const grantSchema = z.discriminatedUnion("grant_type", [
  z.object({ grant_type: z.literal("password"), username: z.string().min(1), password: z.string().min(1) }),
  z.object({ grant_type: z.literal("refresh_token"), refresh_token: z.string().min(1) }),
]);

export interface TokenEndpointStats {
  signIns: number;
  refreshes: number;
  /** Refused grants (401) and malformed requests (400). */
  failures: number;
}

export class TokenEndpoint {
  private counters: TokenEndpointStats = { signIns: 0, refreshes: 0, failures: 0 };

  constructor(private readonly cognito: FakeCognito) {}

  stats(): TokenEndpointStats {
    return { ...this.counters };
  }

  async handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    if (req.method !== "POST") {
      res.setHeader("Allow", "POST");
      return this.send(res, 405, { message: "Method Not Allowed" });
    }
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString("utf8"));
    } catch {
      payload = undefined;
    }
    const grant = grantSchema.safeParse(payload);
    if (!grant.success) {
      this.counters.failures += 1;
      return this.send(res, 400, {
        message:
          "Body must be JSON: grant_type password with username and password, or refresh_token with refresh_token",
      });
    }
    if (grant.data.grant_type === "password") {
      const tokens = await this.cognito.grantPassword(grant.data.username, grant.data.password);
      if (!tokens) return this.refused(res);
      this.counters.signIns += 1;
      return this.send(res, 200, {
        identity_token: tokens.IdToken,
        access_token: tokens.AccessToken,
        refresh_token: tokens.RefreshToken,
      });
    }
    const tokens = await this.cognito.grantRefresh(grant.data.refresh_token);
    if (!tokens) return this.refused(res);
    this.counters.refreshes += 1;
    return this.send(res, 200, { identity_token: tokens.IdToken, access_token: tokens.AccessToken });
  }

  private refused(res: ServerResponse): void {
    this.counters.failures += 1;
    this.send(res, 401, { message: "Unauthorized" });
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
    res.end(JSON.stringify(body));
  }
}
