import type { FormPage } from "../../src/dsm/projection.js";
import { getSystemSchema, type SystemSchema } from "../../src/schemas/loader.js";
import { pick } from "../db/seed.js";

/**
 * Realistic fake answers to a form, as a person in New Zealand might give them. Deterministic for a
 * given random source, so seeded and auto-submitted data is repeatable. Names include macrons and
 * accents on purpose: the data path must carry any Unicode unchanged.
 */

type Next = () => number;

interface Person {
  given: string;
  middle: string;
  family: string;
  email: string;
  birthDate: string;
}

const GIVEN = [
  "Aroha",
  "Mārama",
  "Tāne",
  "Wiremu",
  "Chloé",
  "Zoë",
  "Ben",
  "Priya",
  "Hēmi",
  "Sione",
  "Mei",
  "Liam",
];
const MIDDLE = ["Rose", "James", "Kahurangi", "Lee", "Anahera", "Grace"];
const FAMILY = [
  "Ngata",
  "Te Whare",
  "Smith",
  "Pōmare",
  "Patel",
  "Li",
  "Tupou",
  "O'Connor",
  "Müller",
  "Walker",
];

const SAMPLES: Record<string, readonly string[]> = {
  address_line_1: [
    "12 Kōwhai Street",
    "48 Ponsonby Road",
    "7 Te Awa Lane",
    "221 Cuba Street",
    "3/15 Rimu Road",
  ],
  address_line_2: ["Flat 2", "Level 3", "Unit 5B", "Apartment 12"],
  bank_name: ["Kiwibank", "ANZ", "ASB", "Westpac", "BNZ"],
  account_number: ["38-9012-0123456-00", "12-3140-0765432-01", "02-0500-0123987-000"],
  place_of_birth: ["Rotorua", "Whanganui", "Suva", "Auckland", "Ōamaru"],
  licence_number: ["DL482913", "EK105522", "FH773201"],
  licence_version: ["123", "456", "207"],
  card_number: ["AB123456", "C7730211"],
  phone_number: ["+64211234567", "+64274455667", "+6495551234", "+61412345678"],
  employer_name: [
    "Kauri Logistics Ltd",
    "Tasman Software Co",
    "Southern Cross Health",
    "Harbour Bridge Finance",
  ],
  job_title: ["Warehouse Supervisor", "Software Engineer", "Registered Nurse", "Payroll Administrator"],
  employee_number: ["E-10442", "KL-2291", "00731"],
  currency: ["NZD"],
  document_number: ["LA123456", "RM445120", "NZ-99812"],
  passport_number: ["LA123456", "RM445120", "LH908172"],
  visa_number: ["VN1234567", "WV20931884"],
  visa_type: ["Essential Skills Work Visa", "Post-study Work Visa", "Accredited Employer Work Visa"],
  qualification_name: [
    "Bachelor of Commerce",
    "NZ Certificate in Construction Trade Skills",
    "Master of Nursing",
  ],
  institution: ["University of Otago", "Te Pūkenga", "Victoria University of Wellington", "AUT"],
  field_of_study: ["Accounting", "Carpentry", "Nursing", "Computer Science"],
  national_student_number: ["12345678", "203948571"],
  tax_number: ["123-456-789", "049-091-850"],
  work_conditions: [
    "No conditions",
    "Must work for the named employer only",
    "Up to 20 hours a week during term",
  ],
  conditions: ["Work for the named employer only", "Valid for the listed occupation"],
};

/** Suburb, city, region and postcode that belong together. */
const PLACES = [
  { suburb: "Mt Eden", city: "Auckland", region: "Auckland", postcode: "1024" },
  { suburb: "Ōtāhuhu", city: "Auckland", region: "Auckland", postcode: "1062" },
  { suburb: "Te Aro", city: "Wellington", region: "Wellington", postcode: "6011" },
  { suburb: "Riccarton", city: "Christchurch", region: "Canterbury", postcode: "8041" },
  { suburb: "Frankton", city: "Hamilton", region: "Waikato", postcode: "3204" },
  { suburb: "North East Valley", city: "Dunedin", region: "Otago", postcode: "9010" },
] as const;

/** Fields that only make sense together (an Australian BSB, a place's postcode) are made to agree. */
function cohere(schemaName: string, value: Record<string, unknown>, next: Next): void {
  if (schemaName === "ss_Address") {
    const place = pick(next, PLACES);
    for (const field of ["suburb", "city", "region", "postcode"] as const) {
      if (field in value) value[field] = place[field];
    }
  }
  if (schemaName === "ss_Bank_Account") {
    if (value.country === "AU") {
      value.bsb = pick(next, ["062-000", "033-123", "082-401"]);
      value.account_number = String(100_000_000 + Math.floor(next() * 899_999_999));
      value.bank_name = pick(next, ["Commonwealth Bank", "NAB", "Westpac"]);
    } else delete value.bsb;
  }
  if (schemaName === "ss_Driver_License" && value.issuing_country === "NZ") delete value.issuing_state;
}

const isoDate = (year: number, next: Next) => {
  const month = String(1 + Math.floor(next() * 12)).padStart(2, "0");
  const day = String(1 + Math.floor(next() * 28)).padStart(2, "0");
  return `${year}-${month}-${day}`;
};

function dateFor(field: string, person: Person, next: Next): string {
  if (field.includes("birth")) return person.birthDate;
  const year = new Date().getUTCFullYear();
  if (field.includes("expiry") || field === "end_date")
    return isoDate(year + 1 + Math.floor(next() * 8), next);
  return isoDate(year - 1 - Math.floor(next() * 10), next);
}

function stringFor(
  field: string,
  spec: SystemSchema["properties"][string],
  person: Person,
  next: Next,
): string {
  if (field === "given_name" || field === "given_names")
    return field === "given_names" ? `${person.given} ${person.middle}` : person.given;
  if (field === "middle_names") return person.middle;
  if (field === "family_name" || field === "surname") return person.family;
  if (field === "preferred_name") return person.given;
  if (field === "account_name" || field === "contact_name") return `${person.given} ${person.family}`;
  const pattern = spec.pattern ? new RegExp(spec.pattern, "u") : undefined;
  const fits = (value: string) => !pattern || pattern.test(value);
  const samples = (SAMPLES[field] ?? []).filter(fits);
  if (samples.length > 0) return pick(next, samples);
  if (pattern?.test("NZ")) return "NZ";
  if (pattern?.test("NZL")) return "NZL";
  return `${spec.title} ${1 + Math.floor(next() * 99)}`;
}

/** One instance of a schema, filled in the way its form would be. */
export function fakeInstance(schemaName: string, person: Person, next: Next): Record<string, unknown> {
  const schema = getSystemSchema(schemaName);
  if (!schema) return { note: `${schemaName} answered by ${person.given}` };
  const required = new Set(schema.required ?? []);
  const value: Record<string, unknown> = {};
  for (const [field, spec] of Object.entries(schema.properties)) {
    if (!required.has(field) && next() < 0.2) continue;
    if (spec.enum) value[field] = pick(next, spec.enum);
    else if (spec.type === "boolean") value[field] = true;
    else if (spec.type === "integer" || spec.type === "number") {
      const min = spec.minimum ?? 0;
      const max = spec.maximum ?? (field.includes("salary") ? 140_000 : min + 100);
      const low = field.includes("salary") ? Math.max(min, 52_000) : min;
      value[field] = Math.round(low + next() * (max - low));
    } else if (spec.type === "array") value[field] = field === "licence_classes" ? ["1", "6"] : [];
    else if (spec.format === "date") value[field] = dateFor(field, person, next);
    else if (spec.format === "email") value[field] = person.email;
    else value[field] = stringFor(field, spec, person, next);
  }
  cohere(schemaName, value, next);
  return value;
}

const ascii = (text: string) =>
  text
    .normalize("NFD")
    .replace(/[^A-Za-z]/g, "")
    .toLowerCase();

/** A name part as written in an address's local part, with its macrons and accents back when it is a known name. */
function nameFromEmailPart(part: string, known: readonly string[]): string | undefined {
  const plain = ascii(part);
  if (plain.length === 0) return undefined;
  return known.find((name) => ascii(name) === plain) ?? plain[0]?.toUpperCase() + plain.slice(1);
}

/**
 * The person who owns an address: `aroha.ngata@example.com` answers as Aroha Ngata, with that email.
 * What the address does not say (a middle name, a birth date, a family name for `aroha@…`) is made up.
 */
export function personFor(email: string, next: Next): Person {
  const made = fakePerson(next);
  const parts = (email.split("@")[0] ?? "").split(/[._+-]+/).filter((part) => ascii(part).length > 0);
  const given = parts[0] === undefined ? undefined : nameFromEmailPart(parts[0], GIVEN);
  const familyParts = parts.slice(1).map((part) => nameFromEmailPart(part, FAMILY));
  const family = familyParts.length > 0 ? familyParts.join(" ") : undefined;
  return { ...made, given: given ?? made.given, family: family ?? made.family, email };
}

export function fakePerson(next: Next): Person {
  const given = pick(next, GIVEN);
  const family = pick(next, FAMILY);
  return {
    given,
    middle: pick(next, MIDDLE),
    family,
    email: `${ascii(given)}.${ascii(family)}@example.com`,
    birthDate: isoDate(1960 + Math.floor(next() * 45), next),
  };
}

/**
 * A complete answer to a form: every page answered (optional ones too, so demos show them), one schema
 * of a oneOf page, every schema of other pages, and two instances on allow-multiple pages. Given the
 * recipient's address, the answer is that person's: their name as the address spells it, their email.
 */
export function fakeFormData(
  pages: readonly FormPage[],
  next: Next,
  recipientEmail?: string,
): Record<string, unknown> {
  const person = recipientEmail === undefined ? fakePerson(next) : personFor(recipientEmail, next);
  const data: Record<string, unknown> = {};
  for (const page of pages) {
    const schemas = page.filter === "oneOf" ? [pick(next, page.schemas)] : page.schemas;
    for (const schema of schemas) {
      data[schema] = page.allow_multiple
        ? [fakeInstance(schema, person, next), fakeInstance(schema, person, next)]
        : fakeInstance(schema, person, next);
    }
  }
  return data;
}
