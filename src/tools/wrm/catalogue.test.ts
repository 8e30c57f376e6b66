import { describe, expect, it } from "vitest";
import { listToolsAsClientSeesThem } from "../../tool-listing.js";
import { toolsForDomains } from "../core/domains.js";
import { approximateTokens } from "../core/listing.js";
import { TOOLS } from "../registry.js";

/** The WRM share of the tools/list budget: the domain has the most entities, so it is held to a cap. */
const WRM_TOKEN_BUDGET = 9_000;

describe("WRM tool catalogue", () => {
  it(`stays within ${WRM_TOKEN_BUDGET} tokens of tools/list JSON`, async () => {
    const listed = await listToolsAsClientSeesThem(toolsForDomains(TOOLS, ["wrm"]));
    expect(listed.length).toBeGreaterThanOrEqual(13);
    expect(approximateTokens(listed)).toBeLessThanOrEqual(WRM_TOKEN_BUDGET);
  });

  it("makes wrm-readonly exactly the read tools, and every read tool idempotent and non-destructive", () => {
    const readOnly = toolsForDomains(TOOLS, ["wrm-readonly"]).map((tool) => tool.name);
    expect(readOnly).toEqual([
      "get_agent_run",
      "get_wrm_entity",
      "list_agent_runs",
      "list_role_memories",
      "list_workers",
      "list_wrm_entities",
    ]);
    for (const tool of toolsForDomains(TOOLS, ["wrm"])) {
      if (!tool.annotations.readOnlyHint) continue;
      expect(tool.annotations.destructiveHint, tool.name).toBe(false);
      expect(tool.annotations.idempotentHint, tool.name).toBe(true);
    }
  });

  it("keeps every WRM description short and input schemas free of root unions", async () => {
    const listed = await listToolsAsClientSeesThem(toolsForDomains(TOOLS, ["wrm"]));
    for (const tool of listed) {
      expect(tool.description?.length ?? 0, tool.name).toBeLessThanOrEqual(300);
      expect(tool.inputSchema.type, tool.name).toBe("object");
      expect("oneOf" in tool.inputSchema || "anyOf" in tool.inputSchema, tool.name).toBe(false);
    }
  });
});
