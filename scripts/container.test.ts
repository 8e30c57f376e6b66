import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/**
 * Static checks of the Dockerfile, cheap enough for every test run; `npm run container:check`
 * builds and runs the image itself.
 */
const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), "utf8");
const dockerfile = read("Dockerfile");

describe("the Dockerfile", () => {
  it("labels the image with package.json's mcpName, which the MCP registry matches it by", () => {
    const { mcpName } = JSON.parse(read("package.json")) as { mcpName: string };
    expect(/io\.modelcontextprotocol\.server\.name="([^"]+)"/.exec(dockerfile)?.[1]).toBe(mcpName);
  });

  it("copies nothing from the build context that .dockerignore keeps out", () => {
    // .dockerignore starts with `*` and lets paths back in with `!path`; a COPY of anything else
    // finds nothing and fails the build far from the edit that caused it.
    const allowed = read(".dockerignore")
      .split("\n")
      .filter((line) => line.startsWith("!"))
      .map((line) => line.slice(1).replace(/\/$/, ""));
    const sources = dockerfile
      .split("\n")
      .filter((line) => /^COPY\s/.test(line) && !line.includes("--from="))
      .flatMap((line) => line.trim().split(/\s+/).slice(1, -1))
      .map((source) => source.replace(/\/$/, ""));
    expect(sources.length).toBeGreaterThan(0);
    const refused = sources.filter(
      (source) => !allowed.some((entry) => source === entry || source.startsWith(`${entry}/`)),
    );
    expect(refused).toEqual([]);
  });

  it("runs as a numeric user other than root, so a runtime can verify it without /etc/passwd", () => {
    const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((match) => match[1]);
    expect(users.at(-1)).toMatch(/^[1-9]\d*:[1-9]\d*$/);
  });
});
