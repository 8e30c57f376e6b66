import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { raytioErrorFrom as thrown } from "../../test/support/raytio-error.js";
import {
  assertKnownSchemas,
  encryptedFields,
  fieldNameProblem,
  getSystemSchema,
  listSystemSchemas,
  loadSchemaCatalogue,
  SCHEMA_NAME_PATTERN,
  SYSTEM_SCHEMA_DIRECTORY,
  systemSchemaCatalogue,
} from "./loader.js";

const schemaFiles = readdirSync(fileURLToPath(SYSTEM_SCHEMA_DIRECTORY)).filter((file) =>
  file.endsWith(".json"),
);

/** Schemas whose data the platform itself must read (e.g. to send a verification code), so nothing is encrypted. */
const PLAINTEXT_SCHEMAS = ["ss_Email_Address", "ss_Person_Name", "ss_Phone_Number"];

describe("system schema catalogue", () => {
  it("loads every file, at least 14 schemas, each named after its file", () => {
    const names = systemSchemaCatalogue().names();
    expect(names.length).toBeGreaterThanOrEqual(14);
    expect(names.length).toBe(schemaFiles.length);
    expect(names.map((name) => `${name}.json`).sort()).toEqual([...schemaFiles].sort());
    for (const name of names) {
      expect(name).toMatch(SCHEMA_NAME_PATTERN);
      expect(name.startsWith("ss_")).toBe(true);
    }
  });

  it("includes the schemas the sandbox seeds reference", () => {
    for (const name of [
      "ss_Right_To_Work",
      "ss_Person_Name",
      "ss_Bank_Account",
      "ss_Passport",
      "ss_Address",
    ]) {
      expect(getSystemSchema(name)?.name).toBe(name);
    }
  });

  it("loads once per process", () => {
    expect(systemSchemaCatalogue()).toBe(systemSchemaCatalogue());
    expect(getSystemSchema("ss_Passport")).toBe(getSystemSchema("ss_Passport"));
  });

  it("uses no reserved field names anywhere", () => {
    for (const name of systemSchemaCatalogue().names()) {
      for (const field of Object.keys(getSystemSchema(name)?.properties ?? {})) {
        expect(fieldNameProblem(field), `${name}.${field}`).toBeUndefined();
      }
    }
  });

  it("encrypts at least one field of every schema except those the platform must read", () => {
    for (const summary of listSystemSchemas()) {
      if (PLAINTEXT_SCHEMAS.includes(summary.name))
        expect(summary.encrypted_fields, summary.name).toEqual([]);
      else expect(summary.encrypted_fields.length, summary.name).toBeGreaterThan(0);
    }
  });

  it("encrypts document numbers, dates of birth, bank and tax numbers and keeps lookup fields plaintext", () => {
    expect(encryptedFields("ss_Passport")).toEqual(
      expect.arrayContaining(["passport_number", "date_of_birth"]),
    );
    expect(encryptedFields("ss_Driver_License")).toEqual(
      expect.arrayContaining(["licence_number", "licence_version", "date_of_birth"]),
    );
    expect(encryptedFields("ss_Bank_Account")).toContain("account_number");
    expect(encryptedFields("ss_Tax_Number")).toContain("tax_number");
    expect(encryptedFields("ss_Date_Of_Birth")).toContain("date_of_birth");
    expect(encryptedFields("ss_Visa")).toContain("visa_number");
    // One submission mixes both (Raytio encryption docs: only `encrypt: true` fields are sealed): filterable fields stay readable.
    expect(encryptedFields("ss_Passport")).not.toContain("issuing_country");
    expect(encryptedFields("ss_Address")).not.toContain("country");
  });

  it("returns undefined encrypted fields for a schema outside the catalogue", () => {
    expect(encryptedFields("us_Company_Onboarding")).toBeUndefined();
    expect(getSystemSchema("ss_Nope")).toBeUndefined();
  });

  it("summarises field counts", () => {
    const passport = listSystemSchemas().find((summary) => summary.name === "ss_Passport");
    expect(passport?.field_count).toBe(Object.keys(getSystemSchema("ss_Passport")?.properties ?? {}).length);
  });
});

describe("listSystemSchemas filtering", () => {
  const names = (query: string) => listSystemSchemas({ query }).map((summary) => summary.name);

  it("returns everything, sorted by name, without a query", () => {
    const all = listSystemSchemas().map((summary) => summary.name);
    expect(all).toEqual([...all].sort((a, b) => a.localeCompare(b)));
    expect(listSystemSchemas({})).toHaveLength(all.length);
  });

  it("matches names, titles and descriptions case-insensitively", () => {
    expect(names("PASSPORT")).toContain("ss_Passport");
    expect(names("driver license")).toEqual(["ss_Driver_License"]);
    expect(names("ss_driver_license")).toEqual(["ss_Driver_License"]);
    expect(names("licence")).toContain("ss_Driver_License");
    expect(names("kiwi access")).toEqual(["ss_National_ID"]);
  });

  it("matches tags and field titles", () => {
    const verifiable = names("action:verify");
    expect(verifiable).toEqual(expect.arrayContaining(["ss_Passport", "ss_Phone_Number"]));
    expect(verifiable).not.toContain("ss_Emergency_Contact");
    expect(names("IRD")).toEqual(["ss_Tax_Number"]);
    expect(names("bsb")).toEqual(["ss_Bank_Account"]);
  });

  it("requires every word and returns nothing for a miss", () => {
    expect(names("passport number")).toEqual(expect.arrayContaining(["ss_Passport", "ss_Visa"]));
    expect(names("passport zebra")).toEqual([]);
  });

  it("matches the start of words, not their middle", () => {
    // "ird" appears inside "third party" in ss_Emergency_Contact's description.
    expect(names("ird")).toEqual(["ss_Tax_Number"]);
    expect(names("licen")).toContain("ss_Driver_License");
    expect(names("assport")).toEqual([]);
  });
});

describe("assertKnownSchemas", () => {
  it("accepts known names", () => {
    expect(() => assertKnownSchemas(["ss_Passport", "ss_Right_To_Work"])).not.toThrow();
    expect(() => assertKnownSchemas([])).not.toThrow();
  });

  it("names every unknown schema and suggests close matches", () => {
    const error = thrown(() =>
      assertKnownSchemas(["ss_Passport", "ss_Drivers_Licence", "ss_passport_nz", "ss_DOB"]),
    );
    expect(error.code).toBe("DSM_VALIDATION");
    expect(error.message).toContain("ss_Drivers_Licence (did you mean ss_Driver_License?)");
    expect(error.message).toContain("ss_passport_nz (did you mean ss_Passport");
    expect(error.message).toContain("list_schemas");
    expect(error.details?.unknown_schemas).toEqual(["ss_Drivers_Licence", "ss_passport_nz", "ss_DOB"]);
    expect(error.details?.suggestions).toMatchObject({ ss_DOB: ["ss_Date_Of_Birth"] });
  });

  it("suggests the right case for a mis-cased name", () => {
    const error = thrown(() => assertKnownSchemas(["ss_phone_number", "ss_phone_number"]));
    expect(error.message).toBe(
      "Unknown schema: ss_phone_number (did you mean ss_Phone_Number?). Call list_schemas to see the schemas that can be requested.",
    );
  });

  it("lists a name with nothing close on its own", () => {
    const error = thrown(() => assertKnownSchemas(["ss_Zebra_Crossing"]));
    expect(error.message).toMatch(/^Unknown schema: ss_Zebra_Crossing\. /);
    expect(error.details?.suggestions).toEqual({ ss_Zebra_Crossing: [] });
  });
});

describe("loadSchemaCatalogue with a directory", () => {
  let directory: string | undefined;
  afterEach(() => {
    if (directory) rmSync(directory, { recursive: true, force: true });
    directory = undefined;
  });

  function withFiles(files: Record<string, unknown>): string {
    directory = mkdtempSync(join(tmpdir(), "raytio-schemas-"));
    for (const [file, body] of Object.entries(files)) {
      writeFileSync(join(directory, file), typeof body === "string" ? body : JSON.stringify(body));
    }
    return directory;
  }

  const valid = {
    name: "ss_Test",
    title: "Test",
    title_plural: "Tests",
    description: "A test schema.",
    properties: { code: { type: "string", title: "Code", encrypt: true } },
    required: ["code"],
  };

  it("loads a valid schema from any directory", () => {
    const catalogue = loadSchemaCatalogue(withFiles({ "ss_Test.json": valid, "README.txt": "ignored" }));
    expect(catalogue.names()).toEqual(["ss_Test"]);
    expect(catalogue.encryptedFields("ss_Test")).toEqual(["code"]);
  });

  const broken: [string, Record<string, unknown>, RegExp][] = [
    [
      "a reserved field name",
      { properties: { key: { type: "string", title: "Key" } }, required: [] },
      /"key" is a reserved field name/,
    ],
    [
      "a reserved prefix",
      { properties: { identity_document_picture_front: { type: "string", title: "x" } }, required: [] },
      /identity_document_picture_/,
    ],
    [
      "a colon in a field name",
      { properties: { "a:b": { type: "string", title: "x" } }, required: [] },
      /tag syntax/,
    ],
    [
      "a required field not in properties",
      { required: ["missing"] },
      /required\.0.*"missing" is not in properties/,
    ],
    ["a verified field not in properties", { verified_fields: ["missing"] }, /verified_fields/],
    [
      "a display field not in properties",
      { display: { head_main: { fields: ["missing"] } } },
      /display\.head_main\.fields/,
    ],
    ["an unknown template key", { colour: "red" }, /colour/],
    [
      "an invalid pattern",
      { properties: { code: { type: "string", title: "Code", pattern: "([" } } },
      /regular expression/,
    ],
    [
      "a keyword on the wrong type",
      { properties: { code: { type: "boolean", title: "Code", pattern: "^a$" } } },
      /only to type string/,
    ],
    ["a bad schema name", { name: "Test" }, /name: must match/],
  ];

  it.each(broken)("fails naming the file for %s", (_label, override, reason) => {
    const dir = withFiles({
      "ss_Fine.json": { ...valid, name: "ss_Fine" },
      "ss_Test.json": { ...valid, ...override },
    });
    const error = thrown(() => loadSchemaCatalogue(dir));
    expect(error.code).toBe("INTERNAL_ERROR");
    expect(error.message).toContain("ss_Test.json");
    expect(error.message).toMatch(reason);
  });

  it("fails naming the file for malformed JSON", () => {
    const error = thrown(() => loadSchemaCatalogue(withFiles({ "ss_Test.json": "{ not json" })));
    expect(error.message).toMatch(/ss_Test\.json .* is not valid JSON/);
  });

  it("fails when the name does not match the file", () => {
    const error = thrown(() => loadSchemaCatalogue(withFiles({ "ss_Other.json": valid })));
    expect(error.message).toContain("ss_Other.json");
    expect(error.message).toContain("declares name ss_Test");
  });

  it("refuses non-system schemas in the system folder", () => {
    const error = thrown(() =>
      loadSchemaCatalogue(withFiles({ "us_Test.json": { ...valid, name: "us_Test" } })),
    );
    expect(error.message).toContain("us_Test.json");
  });

  it("fails loudly on a missing or empty folder, saying what the build must copy", () => {
    expect(thrown(() => loadSchemaCatalogue(join(tmpdir(), "raytio-no-such-folder"))).message).toContain(
      "dist/schemas/system/",
    );
    expect(thrown(() => loadSchemaCatalogue(withFiles({}))).message).toContain("no .json files");
  });

  it("freezes loaded schemas so callers cannot change the shared catalogue", () => {
    const schema = loadSchemaCatalogue(withFiles({ "ss_Test.json": valid })).get("ss_Test");
    expect(Object.isFrozen(schema)).toBe(true);
    expect(Object.isFrozen(schema?.properties.code)).toBe(true);
  });
});

describe("fieldNameProblem", () => {
  it.each([
    "encrypted_data",
    "encrypted_key",
    "n_id",
    "validation",
    "verify",
    "encrypt",
    "content",
    "content_type",
    "listing_type",
    "permissions",
    "__signature",
    "field_list",
    "breakdown",
    "key",
    "video",
    "identity_document_picture_back",
    "__group_name",
    "name_temp",
    "name<=>other",
    "a:b",
    "has space",
  ])("rejects %s", (name) => {
    expect(fieldNameProblem(name)).toBeDefined();
  });

  it.each(["passport_number", "date_of_birth", "keyword", "verified_by"])("accepts %s", (name) => {
    expect(fieldNameProblem(name)).toBeUndefined();
  });
});
