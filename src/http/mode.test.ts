import { describe, expect, it } from "vitest";
import { selectTransport } from "./mode.js";

const sources = (env: Record<string, string>) => ({ env, defaultFile: "/nonexistent/config.env" });

describe("selectTransport", () => {
  it("defaults to stdio, and the flag wins over MCP_TRANSPORT and MCP_SERVER_ENABLED", () => {
    expect(selectTransport(undefined, sources({}))).toBe("stdio");
    expect(selectTransport(undefined, sources({ MCP_TRANSPORT: "http" }))).toBe("http");
    expect(selectTransport(undefined, sources({ MCP_SERVER_ENABLED: "true" }))).toBe("http");
    expect(selectTransport("stdio", sources({ MCP_TRANSPORT: "http" }))).toBe("stdio");
  });

  it("refuses anything else", () => {
    expect(() => selectTransport("sse", sources({}))).toThrow(/stdio or http/);
  });
});
