import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig, parseSurfaceSettings, readSources } from "../config.js";
import { parseHttpConfig } from "./config.js";
import { selectTransport } from "./mode.js";

const sources = (env: Record<string, string>, file: Record<string, string> = {}) => ({
  ...readSources({ env, defaultFile: "/nonexistent/config.env" }),
  values: file,
});

describe("selectTransport", () => {
  it("defaults to stdio, and the flag wins over MCP_TRANSPORT and MCP_SERVER_ENABLED", () => {
    expect(selectTransport(undefined, sources({}))).toBe("stdio");
    expect(selectTransport(undefined, sources({ MCP_TRANSPORT: "http" }))).toBe("http");
    expect(selectTransport(undefined, sources({ MCP_SERVER_ENABLED: "true" }))).toBe("http");
    expect(selectTransport("stdio", sources({ MCP_TRANSPORT: "http" }))).toBe("stdio");
  });

  it("reads the pair from the config file only when the environment sets neither", () => {
    expect(selectTransport(undefined, sources({}, { MCP_TRANSPORT: "http" }))).toBe("http");
    expect(selectTransport(undefined, sources({}, { MCP_SERVER_ENABLED: "yes" }))).toBe("http");
    expect(
      selectTransport(undefined, sources({ MCP_SERVER_ENABLED: "false" }, { MCP_TRANSPORT: "http" })),
    ).toBe("stdio");
  });

  it("refuses anything else", () => {
    expect(() => selectTransport("sse", sources({}))).toThrow(/stdio or http/);
  });
});

describe("one read of the configuration", () => {
  it("serves the transport choice, the stdio and HTTP settings and the tool surface", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "raytio-config-"));
    const file = path.join(dir, "config.env");
    writeFileSync(
      file,
      [
        "RAYTIO_API_BASE_URL=https://api.example.test",
        "RAYTIO_AUTH_FLOW=token-endpoint",
        "RAYTIO_AGENT_USERNAME=agent@example.test",
        "RAYTIO_AGENT_PASSWORD=correct horse battery staple",
        "RAYTIO_TOOL_DOMAINS=ppm",
        "MCP_TRANSPORT=http",
        "MCP_PORT=9911",
      ].join("\n"),
      { mode: 0o600 },
    );
    const read = readSources({ env: { RAYTIO_CONFIG_FILE: file, MCP_HOST: "127.0.0.2" } });
    // Gone once read: every parser below works from the one read, never from the file.
    rmSync(dir, { recursive: true });
    expect(selectTransport(undefined, read)).toBe("http");
    expect(parseConfig(read).credentials.username).toBe("agent@example.test");
    expect(parseSurfaceSettings(read).domains).toEqual(["ppm"]);
    expect(parseHttpConfig(read).http).toMatchObject({ host: "127.0.0.2", port: 9911 });
  });
});
