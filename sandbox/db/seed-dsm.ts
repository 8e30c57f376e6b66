import type { Transaction } from "@electric-sql/pglite";
import { generateKeyPair, importPublicJwk, sealPrivateKey } from "../../src/crypto/maxcryptor.js";
import type { FormPage } from "../../src/dsm/projection.js";
import { ACCOUNTS, DEMO_CUSTOMER, OTHER_CUSTOMER } from "../accounts.js";
import { fakeFormData } from "../dsm/fake-data.js";
import { submitAnswer } from "../dsm/recipient.js";
import { random, type SeedOptions } from "./seed.js";

/**
 * DSM demo data, created the way the platform would: each access application has its own key pair
 * whose private key is stored only sealed to its owner's public key, forms ask for the application's
 * schemas, and answered requests hold submissions sealed to the application by the recipient side
 * (sandbox/dsm/recipient.ts). Every other row is deterministic.
 */

interface SeedApplication {
  owner: string;
  name: string;
  description: string;
  schemas: string[];
  form: { name: string; reference: string; pages: FormPage[] };
  /** Requests to seed: how long ago they were sent, and what became of them. */
  requests: Array<{
    daysAgo: number;
    outcome: "pending" | "expired" | "SUBMITTED" | "RECEIVED" | "ACCEPTED";
  }>;
}

const page = (name: string, schemas: string[], extra: Partial<FormPage> = {}): FormPage => ({
  name,
  description: null,
  schemas,
  optional: false,
  allow_multiple: false,
  filter: null,
  ...extra,
});

const APPLICATIONS: SeedApplication[] = [
  {
    owner: "agent",
    name: "Employee onboarding",
    description: "Right-to-work, identity and bank details for new starters",
    schemas: ["ss_Right_To_Work", "ss_Person_Name", "ss_Bank_Account"],
    form: {
      name: "New starter pack",
      reference: "ONB-2026",
      pages: [
        page("Your name", ["ss_Person_Name"]),
        page("Right to work", ["ss_Right_To_Work"]),
        page("Salary account", ["ss_Bank_Account"]),
      ],
    },
    requests: [
      { daysAgo: 12, outcome: "ACCEPTED" },
      { daysAgo: 6, outcome: "RECEIVED" },
      { daysAgo: 4, outcome: "expired" },
      { daysAgo: 1, outcome: "SUBMITTED" },
      { daysAgo: 0, outcome: "pending" },
    ],
  },
  {
    owner: "agent",
    name: "Customer due diligence",
    description: "Verified identity and address for new customers",
    schemas: ["ss_Person_Name", "ss_Passport", "ss_Address"],
    form: {
      name: "Customer identity check",
      reference: "CDD",
      pages: [
        page("Name", ["ss_Person_Name"]),
        page("Identity document", ["ss_Passport"]),
        page("Addresses", ["ss_Address"], { allow_multiple: true, description: "Residential and postal" }),
      ],
    },
    requests: [
      { daysAgo: 3, outcome: "SUBMITTED" },
      { daysAgo: 0, outcome: "pending" },
    ],
  },
  {
    owner: "other_customer",
    name: "Other customer's tenant screening",
    description: "Belongs to another customer; must never be visible to cust_demo accounts",
    schemas: ["ss_Person_Name", "ss_Phone_Number"],
    form: {
      name: "Tenant application",
      reference: "TEN-7",
      pages: [page("Name", ["ss_Person_Name"]), page("Phone", ["ss_Phone_Number"])],
    },
    requests: [{ daysAgo: 2, outcome: "SUBMITTED" }],
  },
];

const RECIPIENTS = [
  "aroha.ngata@example.com",
  "ben.smith@example.com",
  "mei.li@example.com",
  "sione.tupou@example.com",
];

export async function seedDsm(tx: Transaction, options: SeedOptions): Promise<void> {
  const next = random(1729);
  const keys = await Promise.all(APPLICATIONS.map(() => generateKeyPair({ bits: options.keyBits })));
  for (const [index, application] of APPLICATIONS.entries()) {
    const owner = ACCOUNTS.find((account) => account.key === application.owner);
    const key = keys[index];
    if (!owner || !key) throw new Error(`seed-dsm: missing owner or key for ${application.name}`);
    const customer = owner.customerId;
    if (customer !== DEMO_CUSTOMER && customer !== OTHER_CUSTOMER)
      throw new Error("seed-dsm: unexpected customer");

    const ownerKey = await tx.query<{ public_key: unknown }>(
      "select public_key from api.fnd_user_key where user_id = $1",
      [owner.sub],
    );
    const ownerPublic = ownerKey.rows[0]?.public_key;
    if (!ownerPublic) throw new Error(`seed-dsm: ${owner.key} has no user key`);

    const created = await tx.query<{ id: string }>(
      `insert into api.dsm_access_application (customer_id, owner_id, name, description, schemas, public_key, created_at)
       values ($1, $2, $3, $4, $5, $6, now() - ($7 || ' days')::interval) returning id`,
      [
        customer,
        owner.sub,
        application.name,
        application.description,
        application.schemas,
        JSON.stringify(key.publicJwk),
        String(30 - index * 10),
      ],
    );
    const applicationId = created.rows[0]?.id;
    if (!applicationId) throw new Error("seed-dsm: application insert returned no id");
    await tx.query(
      "insert into api.dsm_access_application_key (application_id, user_id, customer_id, sealed_private_key, created_by) values ($1, $2, $3, $4, $2)",
      [
        applicationId,
        owner.sub,
        customer,
        JSON.stringify(sealPrivateKey(key.privateKey, importPublicJwk(ownerPublic).key)),
      ],
    );

    const form = await tx.query<{ id: string }>(
      `insert into api.dsm_form (customer_id, application_id, name, reference, pages, created_by, created_at)
       values ($1, $2, $3, $4, $5, $6, now() - ($7 || ' days')::interval) returning id`,
      [
        customer,
        applicationId,
        application.form.name,
        application.form.reference,
        JSON.stringify(application.form.pages),
        owner.sub,
        String(20 - index * 5),
      ],
    );
    const formId = form.rows[0]?.id;
    if (!formId) throw new Error("seed-dsm: form insert returned no id");

    for (const [requestIndex, request] of application.requests.entries()) {
      const sent = `${request.daysAgo} days ${requestIndex} minutes`;
      // The expired request was given one day; the others a week. Answered ones get their real expiry
      // once answered, since the recipient side refuses an answer to an expired request.
      const expiry =
        request.outcome === "expired"
          ? "now() - $6::interval + interval '1 day'"
          : request.outcome === "pending"
            ? "now() - $6::interval + interval '7 days'"
            : "now() + interval '1 hour'";
      const recipient = RECIPIENTS[(index + requestIndex) % RECIPIENTS.length];
      const inserted = await tx.query<{ request_short_code: string }>(
        `insert into api.dsm_request (customer_id, form_id, application_id, recipient_email, message, expires_at, created_by, created_at)
         values ($1, $2, $3, $4, $5, ${expiry}, $7, now() - $6::interval)
         returning request_short_code`,
        [
          customer,
          formId,
          applicationId,
          recipient,
          "Kia ora, please share these details so we can complete your application.",
          sent,
          owner.sub,
        ],
      );
      const code = inserted.rows[0]?.request_short_code;
      if (!code) throw new Error("seed-dsm: request insert returned no code");
      if (request.outcome === "pending" || request.outcome === "expired") continue;
      await submitAnswer(tx, code, fakeFormData(application.form.pages, next, recipient));
      await tx.query(
        "update api.dsm_request set expires_at = created_at + interval '7 days' where request_short_code = $1",
        [code],
      );
      await tx.query(
        "update api.dsm_submission set submitted_at = now() - $2::interval + interval '2 hours' where request_short_code = $1",
        [code, sent],
      );
      if (request.outcome !== "SUBMITTED") {
        await tx.query("update api.dsm_submission set status = $2 where request_short_code = $1", [
          code,
          request.outcome,
        ]);
      }
    }
  }
}
