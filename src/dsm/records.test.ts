import { describe, expect, it } from "vitest";
import type { FormPage } from "./projection.js";
import { assertRecordBinding, groupBySchema, recordAad, recordValue } from "./records.js";

const page = (schemas: string[], allow_multiple = false): FormPage => ({
  name: "p",
  description: null,
  schemas,
  optional: false,
  allow_multiple,
  filter: null,
});

describe("recordValue", () => {
  it("merges plaintext and decrypted fields in the schema's field order", () => {
    const value = recordValue(
      { n_id: "n1", schema_name: "ss_Bank_Account", properties: { bank_name: "ASB", country: "NZ" } },
      { account_number: "12-3140-0765432-01", account_name: "A Ngata" },
    );
    expect(Object.keys(value as object)).toEqual(["country", "bank_name", "account_name", "account_number"]);
  });

  it("keeps fields the schema does not know, after the known ones", () => {
    const value = recordValue(
      { n_id: "n1", schema_name: "ss_Phone_Number", properties: {} },
      { extra: 1, phone_number: "+6421" },
    );
    expect(Object.keys(value as object)).toEqual(["phone_number", "extra"]);
  });

  it("returns a sealed scalar as it is, but refuses to merge one with plaintext fields", () => {
    expect(recordValue({ n_id: "n1", schema_name: "ss_X" }, "just text")).toBe("just text");
    expect(() => recordValue({ n_id: "n1", schema_name: "ss_X", properties: { a: 1 } }, ["b"])).toThrow(
      /encrypted part is not a JSON object/,
    );
  });
});

describe("assertRecordBinding", () => {
  it("accepts its own binding or none, and refuses a record presented as another schema", () => {
    const sealed = { encrypted_data: { aad: recordAad("ss_Bank_Account", "n1") } };
    expect(() =>
      assertRecordBinding({ n_id: "n1", schema_name: "ss_Bank_Account", ...sealed }),
    ).not.toThrow();
    expect(() =>
      assertRecordBinding({ n_id: "n1", schema_name: "ss_Person_Name", encrypted_data: {} }),
    ).not.toThrow();
    expect(() => assertRecordBinding({ n_id: "n1", schema_name: "ss_Person_Name", ...sealed })).toThrow(
      expect.objectContaining({ code: "DECRYPTION_FAILED" }),
    );
    expect(() => assertRecordBinding({ n_id: "n2", schema_name: "ss_Bank_Account", ...sealed })).toThrow(
      /aad mismatch/,
    );
  });
});

describe("groupBySchema", () => {
  it("gives allow-multiple pages an array even for one instance, and other schemas a single value", () => {
    const data = groupBySchema(
      [
        { schema: "ss_Address", value: { city: "Nelson" } },
        { schema: "ss_Person_Name", value: { given_name: "Hēmi" } },
      ],
      [page(["ss_Person_Name"]), page(["ss_Address"], true)],
    );
    expect(data).toEqual({ ss_Address: [{ city: "Nelson" }], ss_Person_Name: { given_name: "Hēmi" } });
  });

  it("never drops an instance, even one more than the form allowed", () => {
    const data = groupBySchema(
      [
        { schema: "ss_Person_Name", value: 1 },
        { schema: "ss_Person_Name", value: 2 },
      ],
      [page(["ss_Person_Name"])],
    );
    expect(data).toEqual({ ss_Person_Name: [1, 2] });
  });
});
