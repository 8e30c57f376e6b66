import { describe, expect, it } from "vitest";
import { RaytioError } from "../../errors.js";
import { TOOLS } from "../registry.js";
import { DOMAINS, normalizeDomains, parseDomains, toolsForDomains } from "./domains.js";
import { domainsForRoles } from "./role-mapping.js";

describe("domains", () => {
  it("rejects unknown names with the valid list", () => {
    try {
      parseDomains(["ppm", "crm"], "RAYTIO_TOOL_DOMAINS");
      throw new Error("expected an error");
    } catch (error) {
      expect(error).toBeInstanceOf(RaytioError);
      expect((error as RaytioError).message).toContain("crm");
      for (const domain of DOMAINS) expect((error as RaytioError).message).toContain(domain);
    }
  });

  it("lets a full domain beat its read-only subset", () => {
    expect(normalizeDomains(["ppm-readonly", "ppm", "wrm-readonly"])).toEqual(["ppm", "wrm-readonly"]);
  });

  it("derives read-only domains from readOnlyHint", () => {
    const readOnly = toolsForDomains(TOOLS, ["ppm-readonly"]);
    const full = toolsForDomains(TOOLS, ["ppm"]);
    expect(readOnly.length).toBeGreaterThan(0);
    expect(readOnly.every((tool) => tool.annotations.readOnlyHint && tool.domain === "ppm")).toBe(true);
    expect(full.filter((tool) => tool.annotations.readOnlyHint)).toEqual(readOnly);
    expect(full.some((tool) => !tool.annotations.readOnlyHint)).toBe(true);
  });
});

describe("role mapping", () => {
  it.each([
    [["PROJECT_USER"], ["ppm"]],
    [["PROJECT_ADMINISTRATOR"], ["ppm", "wrm"]],
    [["PROJECT_VIEWER"], ["ppm-readonly", "wrm-readonly"]],
    [["DATA_SHARING_USER"], ["dsm"]],
    [["DATA_SHARING_ADMINISTRATOR"], ["dsm"]],
    [["WORKER_ADMINISTRATOR"], ["wrm"]],
    [["WORKER_VIEWER"], ["wrm-readonly"]],
    [
      ["PROJECT_VIEWER", "WORKER_ADMINISTRATOR"],
      ["wrm", "ppm-readonly"],
    ],
    [["SOMETHING_ELSE"], []],
  ])("%j maps to %j", (roles, domains) => {
    expect(domainsForRoles(roles).domains).toEqual(domains);
  });

  it("reports roles it does not know", () => {
    expect(domainsForRoles(["PROJECT_USER", "BILLING"]).ignored).toEqual(["BILLING"]);
  });
});
