import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";

describe("logger", () => {
  it("scrubs registered secrets and anything shaped like a JWT", () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: "debug",
      write: (line) => lines.push(line),
      secrets: ["hunter2-password"],
    });
    logger.addSecret("refresh-token-value");
    logger.info("password hunter2-password and refresh-token-value", {
      token: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNpZw",
    });
    const text = lines.join("");
    expect(text).not.toContain("hunter2-password");
    expect(text).not.toContain("refresh-token-value");
    expect(text).not.toContain("eyJhbGciOiJSUzI1NiJ9");
    expect(text).toContain("[redacted]");
  });

  it("respects the level", () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "warn", write: (line) => lines.push(line) });
    logger.info("hidden");
    logger.warn("shown");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("shown");
  });
});
