import { describe, expect, it } from "vitest";
import {
  isActive,
  isOpen,
  KIND_RULES,
  kindFromBackend,
  kindToBackend,
  RELATIONSHIP_KINDS,
  today,
} from "./relationships.js";

describe("relationship dates", () => {
  it("treats end_date as the day the relationship ended (exclusive)", () => {
    expect(isActive(null, null, "2026-11-21")).toBe(true);
    expect(isActive("2026-11-21", null, "2026-11-21")).toBe(true);
    expect(isActive("2026-11-22", null, "2026-11-21")).toBe(false);
    expect(isActive("2020-01-01", "2026-11-22", "2026-11-21")).toBe(true);
    expect(isActive("2020-01-01", "2026-11-21", "2026-11-21")).toBe(false);
    expect(isOpen("2026-11-21", "2026-11-21")).toBe(false);
    expect(isOpen("2026-11-22", "2026-11-21")).toBe(true);
    expect(isOpen(null, "2026-11-21")).toBe(true);
  });

  it("takes today from the UTC calendar", () => {
    expect(today(new Date("2026-11-21T23:30:00-05:00"))).toBe("2026-11-22");
  });
});

describe("relationship kinds", () => {
  it("round-trips every kind through its wire value and refuses unknown ones", () => {
    for (const kind of RELATIONSHIP_KINDS) expect(kindFromBackend(kindToBackend(kind))).toBe(kind);
    expect(kindToBackend("employee_of")).toBe("EMPLOYEE_OF");
    expect(kindFromBackend("PARENT_OF")).toBeUndefined();
  });

  it("only lets people be employees, of organisations, and keeps groups out of trade", () => {
    expect(KIND_RULES.employee_of).toEqual({ from: ["person"], to: ["organisation"] });
    expect(KIND_RULES.member_of.to).not.toContain("person");
    expect(KIND_RULES.customer_of.from).not.toContain("group");
    expect(KIND_RULES.supplier_of.to).not.toContain("group");
  });
});
