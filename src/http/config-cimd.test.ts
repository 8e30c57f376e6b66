import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { raytioErrorFrom } from "../../test/support/raytio-error.js";
import { readSources } from "../config.js";
import { parseHttpConfig } from "./config.js";

const SERVICE = {
  RAYTIO_API_BASE_URL: "https://api.example.test/",
  RAYTIO_AUTH_FLOW: "token-endpoint",
};
const noDefaultFile = path.join(tmpdir(), "raytio-no-such-config.env");
const load = (env: Record<string, string>) =>
  parseHttpConfig(readSources({ env: { ...SERVICE, ...env }, defaultFile: noDefaultFile })).http;

describe("client ID metadata document settings", () => {
  it("are on by default with a five-second deadline and no loopback", () => {
    expect(load({}).clientMetadataDocuments).toEqual({
      enabled: true,
      timeoutMs: 5_000,
      allowLoopbackForTests: false,
    });
  });

  it("can be turned off, and take a deadline in (fractional) seconds up to a minute", () => {
    expect(load({ MCP_OAUTH_CIMD: "false", MCP_OAUTH_CIMD_TIMEOUT: "0.25" }).clientMetadataDocuments).toEqual(
      {
        enabled: false,
        timeoutMs: 250,
        allowLoopbackForTests: false,
      },
    );
    const error = raytioErrorFrom(() => load({ MCP_OAUTH_CIMD_TIMEOUT: "120", MCP_OAUTH_CIMD: "maybe" }));
    expect(error.message).toContain("MCP_OAUTH_CIMD_TIMEOUT must be 60 seconds or less");
    expect(error.message).toContain("MCP_OAUTH_CIMD must be true or false");
  });

  it("allow loopback documents only on a server bound to loopback", () => {
    for (const host of ["127.0.0.1", "::1", "localhost"]) {
      expect(
        load({ MCP_HOST: host, MCP_TEST_ONLY_CIMD_ALLOW_LOOPBACK: "true" }).clientMetadataDocuments
          .allowLoopbackForTests,
      ).toBe(true);
    }
    const error = raytioErrorFrom(() =>
      load({ MCP_HOST: "0.0.0.0", MCP_TEST_ONLY_CIMD_ALLOW_LOOPBACK: "true" }),
    );
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain(
      "MCP_TEST_ONLY_CIMD_ALLOW_LOOPBACK lets client metadata documents be fetched from this machine's loopback addresses, which is only for tests: it needs MCP_HOST to be a loopback address (127.0.0.1, ::1 or localhost), not 0.0.0.0. Unset it in production.",
    );
  });
});
