import { describe, expect, it } from "vitest";
import { buildPartyQuery } from "./search.js";

const page = { offset: 20, limit: 11 };

describe("buildPartyQuery", () => {
  it("selects only the list columns and orders stably", () => {
    const params = buildPartyQuery({}, page).toSearchParams();
    expect(params.get("select")).toBe("id,party_type,display_name,tags");
    expect(params.get("order")).toBe("display_name.asc,id.asc");
    expect(params.get("offset")).toBe("20");
    expect(params.get("limit")).toBe("11");
  });

  it("maps each filter to one encoded condition", () => {
    const params = buildPartyQuery(
      { type: "group", name: "Board 50%", email: " Board@Demo.Example ", tag: 'gov"ernance' },
      page,
    ).toSearchParams();
    expect(params.get("party_type")).toBe("eq.GROUP");
    expect(params.get("display_name")).toBe("ilike.*Board 50\\%*");
    expect(params.get("email")).toBe("eq.board@demo.example");
    expect(params.get("tags")).toBe('cs.{"gov\\"ernance"}');
  });

  it("keeps a crafted value inside its own condition", () => {
    const params = buildPartyQuery(
      { name: "x*,party_type.eq.PERSON),or(display_name.ilike.*" },
      page,
    ).toSearchParams();
    expect([...params.keys()].sort()).toEqual(["display_name", "limit", "offset", "order", "select"]);
    expect(params.get("display_name")).toBe("ilike.*x_,party\\_type.eq.PERSON),or(display\\_name.ilike._*");
  });

  it("ignores the relationship filters, which travel as RPC arguments", () => {
    const params = buildPartyQuery(
      { related_to_party_id: "0b4b8a3e-1d2c-4f5e-8a9b-0c1d2e3f4a5b", relationship_kind: "member_of" },
      page,
    ).toSearchParams();
    expect([...params.keys()].sort()).toEqual(["limit", "offset", "order", "select"]);
  });
});
