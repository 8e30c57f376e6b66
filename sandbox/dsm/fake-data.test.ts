import { describe, expect, it } from "vitest";
import { getSystemSchema, listSystemSchemas } from "../../src/schemas/loader.js";
import { random } from "../db/seed.js";
import { fakeFormData, fakeInstance, fakePerson, personFor } from "./fake-data.js";

describe("fake data", () => {
  const names = listSystemSchemas().map((schema) => schema.name);

  it.each(names)("fills %s with values its schema accepts", (name) => {
    const schema = getSystemSchema(name);
    if (!schema) throw new Error(`no schema ${name}`);
    for (let seed = 1; seed <= 20; seed += 1) {
      const next = random(seed);
      const value = fakeInstance(name, fakePerson(next), next);
      for (const field of schema.required ?? []) expect(value, `${name}.${field}`).toHaveProperty(field);
      for (const [field, fieldValue] of Object.entries(value)) {
        const spec = schema.properties[field];
        if (!spec) throw new Error(`${name}: unknown field ${field}`);
        if (spec.enum) expect(spec.enum, `${name}.${field}`).toContain(fieldValue);
        if (spec.pattern)
          expect(String(fieldValue), `${name}.${field}`).toMatch(new RegExp(spec.pattern, "u"));
        if (spec.format === "date") expect(String(fieldValue)).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        if (spec.maxLength !== undefined)
          expect(String(fieldValue).length).toBeLessThanOrEqual(spec.maxLength);
        if (spec.type === "boolean") expect(typeof fieldValue).toBe("boolean");
        if (spec.type === "integer") expect(Number.isInteger(fieldValue)).toBe(true);
      }
    }
  });

  it("answers a form deterministically: one schema of a oneOf page, two instances on allow-multiple pages", () => {
    const pages = [
      {
        name: "ID",
        description: null,
        schemas: ["ss_Passport", "ss_Driver_License"],
        optional: false,
        allow_multiple: false,
        filter: "oneOf" as const,
      },
      {
        name: "Addresses",
        description: null,
        schemas: ["ss_Address"],
        optional: true,
        allow_multiple: true,
        filter: null,
      },
    ];
    const data = fakeFormData(pages, random(7));
    expect(data).toEqual(fakeFormData(pages, random(7)));
    expect(Object.keys(data).filter((key) => key !== "ss_Address")).toHaveLength(1);
    expect(data.ss_Address).toHaveLength(2);
  });

  it("answers as the person asked: the name the address spells, with its macrons, and that email", () => {
    const pages = [
      {
        name: "You",
        description: null,
        schemas: ["ss_Person_Name", "ss_Email_Address"],
        optional: false,
        allow_multiple: false,
        filter: null,
      },
    ];
    for (let seed = 1; seed <= 10; seed += 1) {
      const data = fakeFormData(pages, random(seed), "aroha.ngata@example.com");
      expect(data.ss_Person_Name).toMatchObject({ given_name: "Aroha", family_name: "Ngata" });
      expect(Object.values(data.ss_Email_Address as object)).toContain("aroha.ngata@example.com");
    }
    expect(personFor("marama.te-whare@example.com", random(1))).toMatchObject({
      given: "Mārama",
      family: "Te Whare",
      email: "marama.te-whare@example.com",
    });
    expect(personFor("jo_bloggs@example.org", random(1))).toMatchObject({ given: "Jo", family: "Bloggs" });
    // An address with only a given name keeps it and makes up the rest.
    expect(personFor("priya@example.com", random(2)).given).toBe("Priya");
  });
});
