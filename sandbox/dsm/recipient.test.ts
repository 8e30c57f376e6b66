import { describe, expect, it } from "vitest";
import {
  AgentKeyring,
  generateKeyPair,
  lockPrivateKey,
  sealPrivateKey,
} from "../../src/crypto/maxcryptor.js";
import type { FormPage } from "../../src/dsm/projection.js";
import { assertRecordBinding, recordValue } from "../../src/dsm/records.js";
import { checkAnswer, SubmitError, sealInstance } from "./recipient.js";

const page = (name: string, schemas: string[], extra: Partial<FormPage> = {}): FormPage => ({
  name,
  description: null,
  schemas,
  optional: false,
  allow_multiple: false,
  filter: null,
  ...extra,
});

describe("sealInstance", () => {
  it("encrypts exactly the schema's encrypt:true fields (and unknown ones), which the agent keyring opens again", async () => {
    const [user, application] = await Promise.all([
      generateKeyPair({ bits: 2048 }),
      generateKeyPair({ bits: 2048 }),
    ]);
    const userKey = await lockPrivateKey(user.privateKey, "pass phrase ✓", { iterations: 1_000 });
    const applicationKey = sealPrivateKey(application.privateKey, user.publicJwk);
    const value = {
      country: "NZ",
      bank_name: "Kiwibank",
      account_name: "Mārama Te Whare",
      account_number: "38-9012-0123456-00",
      nickname: "for the bond 🌿",
    };
    const record = sealInstance("ss_Bank_Account", value, application.publicJwk);
    expect(record.properties).toEqual({ country: "NZ", bank_name: "Kiwibank" });
    expect(JSON.stringify(record)).not.toMatch(/Mārama|38-9012|bond/);

    const keyring = new AgentKeyring({ encryptionPassword: "pass phrase ✓" });
    assertRecordBinding(record);
    const opened = await keyring.openRecord({ userKey, applicationId: "app-1", applicationKey, record });
    expect(recordValue(record, opened)).toEqual(value);

    // Presented as another schema, the record is refused before any decryption.
    expect(() => assertRecordBinding({ ...record, schema_name: "ss_Person_Name" })).toThrow(/aad mismatch/);
  });

  it("seals nothing for a schema with no encrypted field", async () => {
    const application = await generateKeyPair({ bits: 2048 });
    const record = sealInstance("ss_Phone_Number", { phone_number: "+64211234567" }, application.publicJwk);
    expect(record).toEqual({
      n_id: expect.any(String),
      schema_name: "ss_Phone_Number",
      properties: { phone_number: "+64211234567" },
    });
  });
});

describe("checkAnswer", () => {
  const pages = [
    page("Name", ["ss_Person_Name"]),
    page("Addresses", ["ss_Address"], { allow_multiple: true }),
    page("ID", ["ss_Passport", "ss_Driver_License"], { filter: "oneOf", optional: true }),
  ];
  const name = { given_name: "Aroha", family_name: "Ngata" };
  const address = { address_line_1: "1 Rata Road", city: "Nelson", country: "NZ" };

  it("accepts a single value or an array on allow-multiple pages, and skips optional pages", () => {
    const answer = checkAnswer(pages, { ss_Person_Name: name, ss_Address: [address, address] });
    expect(answer.get("ss_Address")).toHaveLength(2);
    expect(checkAnswer(pages, { ss_Person_Name: name, ss_Address: address }).get("ss_Address")).toHaveLength(
      1,
    );
  });

  it.each([
    [{ ss_Tax_Number: {} }, 400, /does not ask for ss_Tax_Number/],
    [{ ss_Person_Name: [name], ss_Address: address }, 400, /takes one instance, not an array/],
    [{ ss_Person_Name: name }, 400, /Page "Addresses" is required/],
    [
      { ss_Person_Name: name, ss_Address: address, ss_Passport: {}, ss_Driver_License: {} },
      400,
      /exactly one of/,
    ],
    [{ ss_Person_Name: "Aroha", ss_Address: address }, 400, /must be a JSON object/],
    [{}, 400, /at least one schema/],
  ])("refuses %j", (data, status, message) => {
    let error: unknown;
    try {
      checkAnswer(pages, data);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SubmitError);
    expect((error as SubmitError).status).toBe(status);
    expect((error as SubmitError).message).toMatch(message);
  });
});
