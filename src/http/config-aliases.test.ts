import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { raytioErrorFrom } from "../../test/support/raytio-error.js";
import { readSources } from "../config.js";
import { parseHttpConfig } from "./config.js";

const SERVICE = {
  RAYTIO_API_BASE_URL: "https://api.example.test/",
  RAYTIO_COGNITO_USER_POOL_ID: "ap-southeast-2_AbC123",
  RAYTIO_COGNITO_CLIENT_ID: "client123",
  RAYTIO_COGNITO_REGION: "ap-southeast-2",
};
const noDefaultFile = path.join(tmpdir(), "raytio-no-such-config.env");
const load = (env: Record<string, string>) =>
  parseHttpConfig(readSources({ env: { ...SERVICE, ...env }, defaultFile: noDefaultFile })).http;

describe("Keryx's names for the registration rate limit", () => {
  it("reads RATE_LIMIT_OAUTH_REGISTER_LIMIT and RATE_LIMIT_OAUTH_REGISTER_WINDOW_MS (milliseconds)", () => {
    expect(load({}).registerLimit).toEqual({ max: 5, windowSeconds: 3600 });
    expect(
      load({ RATE_LIMIT_OAUTH_REGISTER_LIMIT: "2", RATE_LIMIT_OAUTH_REGISTER_WINDOW_MS: "60000" })
        .registerLimit,
    ).toEqual({ max: 2, windowSeconds: 60 });
  });

  it("accepts both names when they agree", () => {
    expect(
      load({
        RATE_LIMIT_OAUTH_REGISTER_LIMIT: "3",
        MCP_OAUTH_REGISTER_LIMIT: "3",
        RATE_LIMIT_OAUTH_REGISTER_WINDOW_MS: "120000",
        MCP_OAUTH_REGISTER_WINDOW: "120",
      }).registerLimit,
    ).toEqual({ max: 3, windowSeconds: 120 });
  });

  it("stops with one message naming both settings when they disagree", () => {
    const error = raytioErrorFrom(() =>
      load({
        RATE_LIMIT_OAUTH_REGISTER_LIMIT: "1",
        MCP_OAUTH_REGISTER_LIMIT: "5",
        RATE_LIMIT_OAUTH_REGISTER_WINDOW_MS: "60000",
        MCP_OAUTH_REGISTER_WINDOW: "3600",
      }),
    );
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain(
      "RATE_LIMIT_OAUTH_REGISTER_LIMIT=1 and MCP_OAUTH_REGISTER_LIMIT=5 disagree (the first is Keryx's name for the second): set only one of them",
    );
    expect(error.message).toContain(
      "RATE_LIMIT_OAUTH_REGISTER_WINDOW_MS=60000 (60 s) and MCP_OAUTH_REGISTER_WINDOW=3600 disagree",
    );
  });

  it("refuses a window that is not whole seconds, or a limit that is not a count", () => {
    const error = raytioErrorFrom(() =>
      load({ RATE_LIMIT_OAUTH_REGISTER_WINDOW_MS: "1500", RATE_LIMIT_OAUTH_REGISTER_LIMIT: "many" }),
    );
    expect(error.message).toContain(
      "RATE_LIMIT_OAUTH_REGISTER_WINDOW_MS must be a whole number of seconds written in milliseconds",
    );
    expect(error.message).toContain("RATE_LIMIT_OAUTH_REGISTER_LIMIT must be a whole number greater than 0");
  });
});
