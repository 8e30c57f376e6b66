import { describe, expect, it } from "vitest";
import { createLogger, errorFields } from "./logger.js";
import { runInRequest } from "./request-context.js";

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

  it("writes one JSON object per line with time, level, message, request id and fields, scrubbed", () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: "info",
      format: "json",
      write: (line) => lines.push(line),
      secrets: ['pass"word\\1'],
    });
    runInRequest({ requestId: "0123456789abcdef" }, () =>
      logger.warn('signed in with pass"word\\1', {
        note: 'a pass"word\\1 b',
        nested: { list: ['pass"word\\1'] },
      }),
    );
    logger.info("outside any request", { count: 2 });
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line.endsWith("\n") && !line.slice(0, -1).includes("\n")).toBe(true);
    const [inside, outside] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(inside).toMatchObject({
      level: "warn",
      message: "signed in with [redacted]",
      request_id: "0123456789abcdef",
      note: "a [redacted] b",
      nested: { list: ["[redacted]"] },
    });
    expect(Number.isNaN(Date.parse(String(inside?.time)))).toBe(false);
    expect(outside).toMatchObject({ level: "info", message: "outside any request", count: 2 });
    expect(outside).not.toHaveProperty("request_id");
    expect(lines.join("")).not.toContain("word\\\\1");
  });

  it("names an error by its class and message, never quoting data a JSON parser saw", () => {
    class RedisReplyError extends Error {
      override name = "RedisReplyError";
    }
    expect(errorFields(new RedisReplyError("NOAUTH Authentication required."))).toEqual({
      error: "RedisReplyError",
      error_message: "NOAUTH Authentication required.",
    });
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6379"), { code: "ECONNREFUSED" });
    expect(errorFields(refused)).toEqual({
      error: "Error",
      error_message: "connect ECONNREFUSED 127.0.0.1:6379",
    });
    expect(errorFields(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }))).toEqual({
      error: "Error",
      error_message: "ECONNRESET: socket hang up",
    });
    let parseError: unknown;
    try {
      JSON.parse('{"secret":"value');
    } catch (error) {
      parseError = error;
    }
    expect(errorFields(parseError)).toEqual({ error: "SyntaxError" });
    expect(errorFields("a string")).toEqual({ error: "string" });
    expect(errorFields(new Error("x".repeat(1000))).error_message?.length).toBeLessThan(310);
  });
});
