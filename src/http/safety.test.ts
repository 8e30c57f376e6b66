import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { raytioErrorFrom } from "../../test/support/raytio-error.js";
import { readSources } from "../config.js";
import { parseHttpConfig } from "./config.js";
import { isLoopbackHost, isWildcardHost } from "./safety.js";

const SERVICE = { RAYTIO_API_BASE_URL: "https://api.example.test/" };
const noDefaultFile = path.join(tmpdir(), "raytio-no-such-config.env");
const load = (env: Record<string, string>) =>
  parseHttpConfig(readSources({ env: { ...SERVICE, ...env }, defaultFile: noDefaultFile }));
const refusal = (env: Record<string, string>) => raytioErrorFrom(() => load(env));

describe("settings refused at start", () => {
  it("refuses a plain-http public URL on a network, naming https and the opt-out", () => {
    const error = refusal({ MCP_PUBLIC_URL: "http://mcp.example.com" });
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toMatch(/MCP_PUBLIC_URL=http:\/\/mcp\.example\.com is plain http/);
    expect(error.message).toMatch(/https:\/\//);
    expect(error.message).toMatch(/MCP_ALLOW_INSECURE_HTTP=true/);
    expect(
      load({ MCP_PUBLIC_URL: "http://mcp.example.com", MCP_ALLOW_INSECURE_HTTP: "true" }).http.publicUrl,
    ).toBe("http://mcp.example.com");
    expect(load({ MCP_PUBLIC_URL: "https://mcp.example.com" }).http.publicUrl).toBe(
      "https://mcp.example.com",
    );
    for (const loopback of ["http://127.0.0.1:8808", "http://localhost:9000", "http://[::1]:8808"])
      expect(load({ MCP_PUBLIC_URL: loopback }).http.publicUrl).toBe(loopback);
  });

  it("never advertises a wildcard address: --host 0.0.0.0 needs MCP_PUBLIC_URL", () => {
    for (const host of ["0.0.0.0", "::"]) {
      const error = refusal({ MCP_HOST: host });
      expect(error.message).toMatch(
        new RegExp(`MCP_HOST=${host.replace(/\./g, "\\.")} listens on every interface`),
      );
      expect(error.message).toMatch(/set MCP_PUBLIC_URL/);
    }
    expect(refusal({ MCP_PUBLIC_URL: "http://0.0.0.0:8808" }).message).toMatch(/wildcard address/);
    expect(refusal({ MCP_PUBLIC_URL: "https://[::]:8808", MCP_ALLOW_INSECURE_HTTP: "true" }).message).toMatch(
      /wildcard address/,
    );
    expect(load({ MCP_HOST: "0.0.0.0", MCP_PUBLIC_URL: "https://mcp.example.com" }).http.host).toBe(
      "0.0.0.0",
    );
  });

  it("refuses a non-loopback listener without a public URL unless plain http is allowed", () => {
    expect(refusal({ MCP_HOST: "192.0.2.10" }).message).toMatch(
      /MCP_HOST=192\.0\.2\.10 with no MCP_PUBLIC_URL/,
    );
    expect(load({ MCP_HOST: "192.0.2.10", MCP_ALLOW_INSECURE_HTTP: "yes" }).http.host).toBe("192.0.2.10");
    expect(load({}).http.host).toBe("127.0.0.1");
  });

  it("refuses the metrics port on the public port", () => {
    expect(refusal({ MCP_PORT: "9100", MCP_METRICS_PORT: "9100" }).message).toMatch(
      /MCP_METRICS_PORT must differ/,
    );
    expect(load({ MCP_METRICS_PORT: "9464" }).http.metrics).toEqual({ host: "127.0.0.1", port: 9464 });
    expect(load({}).http.metrics).toBeUndefined();
    expect(refusal({ MCP_METRICS_PORT: "70000" }).message).toMatch(/MCP_METRICS_PORT must be a port number/);
  });

  it("warns that agent credentials are not used over HTTP, naming them", () => {
    const { service } = load({
      RAYTIO_AGENT_USERNAME: "agent@example.com",
      RAYTIO_AGENT_PASSWORD: "hunter22",
    });
    const warning = service.warnings.find((line) => line.includes("not used over HTTP"));
    expect(warning).toMatch(/^RAYTIO_AGENT_USERNAME, RAYTIO_AGENT_PASSWORD are set but not used over HTTP/);
    expect(warning).not.toContain("hunter22");
    expect(load({}).service.warnings.some((line) => line.includes("not used over HTTP"))).toBe(false);
  });
});

describe("address classes", () => {
  it("tells loopback and wildcard addresses from the rest", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "app.localhost", "::1", "[::1]"])
      expect(isLoopbackHost(host)).toBe(true);
    for (const host of ["192.0.2.1", "mcp.example.com", "localhost.example.com", "0.0.0.0", "::"])
      expect(isLoopbackHost(host)).toBe(false);
    for (const host of ["0.0.0.0", "::", "[::]"]) expect(isWildcardHost(host)).toBe(true);
    expect(isWildcardHost("127.0.0.1")).toBe(false);
  });
});
