import { describe, expect, it } from "vitest";
import { partyDetailRowSchema, partyListRowSchema, partyRelationshipRowSchema } from "./projection.js";

describe("PRM projections", () => {
  it("turns an API party row into the list shape, with no contact details", () => {
    const item = partyListRowSchema.parse({
      id: "p1",
      party_type: "PERSON",
      display_name: "Aroha Ngata",
      tags: null,
      email: "aroha@example.com",
    });
    expect(item).toEqual({ id: "p1", type: "person", name: "Aroha Ngata", tags: [] });
  });

  it("refuses a party type the server does not know", () => {
    expect(
      partyListRowSchema.safeParse({ id: "p1", party_type: "ROBOT", display_name: "x", tags: [] }).success,
    ).toBe(false);
  });

  it("shows external references as text and drops empty labels", () => {
    const party = partyDetailRowSchema.parse({
      id: "p1",
      party_type: "ORGANISATION",
      display_name: "Kauri Logistics Ltd",
      email: null,
      phone: null,
      contact_points: [
        { type: "website", value: "https://kauri.example", label: null },
        { type: "phone", value: "+64 9 555 0100", label: "reception" },
      ],
      external_refs: { nzbn: "9429041234567", legacy: 42, nested: { a: 1 } },
      tags: ["customer"],
      notes: null,
      created_at: "2026-01-01T00:00:00Z",
      updated_at: "2026-01-02T00:00:00Z",
    });
    expect(party.contact_points).toEqual([
      { type: "website", value: "https://kauri.example" },
      { type: "phone", value: "+64 9 555 0100", label: "reception" },
    ]);
    expect(party.external_refs).toEqual({ nzbn: "9429041234567", legacy: "42", nested: '{"a":1}' });
  });

  it("nests the other party of a relationship and works out whether it is active", () => {
    const relationship = partyRelationshipRowSchema.parse({
      id: "r1",
      kind: "EMPLOYEE_OF",
      from_party_id: "p1",
      to_party_id: "o1",
      start_date: "2019-02-01",
      end_date: "2020-01-31",
      other_party_id: "o1",
      other_party_type: "ORGANISATION",
      other_party_name: "Kauri Logistics Ltd",
    });
    expect(relationship).toEqual({
      id: "r1",
      kind: "employee_of",
      from_party_id: "p1",
      to_party_id: "o1",
      other_party: { id: "o1", type: "organisation", name: "Kauri Logistics Ltd" },
      start_date: "2019-02-01",
      end_date: "2020-01-31",
      active: false,
    });
  });
});
