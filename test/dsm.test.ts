import type { CallToolResult, Progress } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountByKey } from "../sandbox/accounts.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import { openSealedPrivateKey, unlockPrivateKey } from "../src/crypto/maxcryptor.js";
import {
  allStderr,
  type ConnectedServer,
  serverPool,
  startTestSandbox,
  structured,
  textOf,
} from "./support/harness.js";

/**
 * The DSM flow end to end over stdio: the built server against a sandbox whose recipient side seals
 * submissions to the access application's key the way the person's browser would.
 */

const AGENT_PASSWORD = accountByKey("agent").encryptionPassword;
const WRONG_PASSWORD = "not the agent's encryption passphrase";
const TARGET = "person.one@example.com";
const FAST = {
  RAYTIO_DSM_KEY_BITS: "2048",
  RAYTIO_POLL_INTERVAL_SECONDS: "0.2",
  RAYTIO_REQUEST_TIMEOUT_SECONDS: "30",
  RAYTIO_TARGET_USER_EMAIL: TARGET,
};

/** What the person types in, including Unicode, quotes and backslashes, and two addresses. */
const SUBMITTED = {
  ss_Person_Name: {
    honorific: "Ms",
    given_name: "Mārama",
    middle_names: "Zoë 🌿 Anahera",
    family_name: "Te Whare-O'Connor",
    preferred_name: 'Mara "the quiet one" \\ Ngā',
  },
  ss_Address: [
    {
      address_type: "residential",
      address_line_1: "12 Kōwhai Street 東京",
      address_line_2: "Flat 2 — rear entrance",
      suburb: "Ōtāhuhu",
      city: "Tāmaki Makaurau",
      postcode: "1062",
      country: "NZ",
    },
    { address_type: "postal", address_line_1: "PO Box 4021 Añasco", city: "Ōtautahi", country: "NZ" },
  ],
  ss_Bank_Account: {
    country: "NZ",
    bank_name: "Kiwibank Ōtaki",
    account_name: "M Te Whare ✓ Trust",
    account_number: "38-9012-0123456-00",
  },
};

const SCHEMAS = ["ss_Person_Name", "ss_Address", "ss_Bank_Account", "ss_Passport"];
const PAGES = [
  { name: "Who you are", schemas: ["ss_Person_Name"] },
  { name: "Where you live", schemas: ["ss_Address"], allow_multiple: true },
  { name: "Bank account for the bond refund", schemas: ["ss_Bank_Account"] },
  { name: "Identity document", schemas: ["ss_Passport"], optional: true },
];

let sandbox: Sandbox;
let agent: ConnectedServer;
let applicationId: string;
let shortLinkKey: string;
let flowCode: string;

const pool = serverPool(() => sandbox, FAST);
const connect = pool.connect;

async function submit(
  code: string,
  data: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${sandbox.url}/sandbox/v1/requests/${code}/submit`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ data }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function sendRequest(server: ConnectedServer, args: Record<string, unknown> = {}): Promise<string> {
  const result = structured<{ data: { request_short_code: string } }>(
    await server.call("send_request", { short_link_key: shortLinkKey, ...args }),
  );
  return result.data.request_short_code;
}

function failure(result: CallToolResult): string {
  expect(result.isError, textOf(result)).toBe(true);
  return textOf(result);
}

const pollsOf = (code: string) =>
  sandbox.requests.filter(
    (request) =>
      request.url.startsWith("/db/v1/dsm_request?") && request.url.includes(`request_short_code=eq.${code}`),
  ).length;
const fetchesOf = (table: string) =>
  sandbox.requests.filter((request) => request.method === "GET" && request.url.startsWith(`/db/v1/${table}?`))
    .length;
const pbkdf2Lines = (server: ConnectedServer) =>
  server.stderr.filter((line) => line.includes("PBKDF2 derivation")).length;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Waits for a condition (a bound on how long, not a measurement). */
async function eventually(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await pause(50);
  }
}

beforeAll(async () => {
  sandbox = await startTestSandbox({ recordBodies: true });
  agent = await connect("agent");
});

afterAll(async () => {
  await pool.closeAll();
  await sandbox.stop();
});

describe("the headline flow", () => {
  it("creates an application, a form and a request, and returns exactly what the person submitted", async () => {
    const schemas = structured<{ items: Array<{ name: string }> }>(
      await agent.call("list_schemas", { limit: 100 }),
    );
    expect(schemas.items.map((item) => item.name)).toEqual(expect.arrayContaining(SCHEMAS));

    const created = structured<{
      data: { access_application_id: string; schemas: string[]; key_bits: number };
    }>(
      await agent.call("create_access_application", {
        name: "Tenancy application — Christchurch office",
        description: "Identity, addresses and a bank account for bond refunds",
        schemas: SCHEMAS,
      }),
    );
    applicationId = created.data.access_application_id;
    expect(created.data.schemas).toEqual(SCHEMAS);
    expect(created.data.key_bits).toBe(2048);
    const stored = await sandbox.db.query<{ n: number }>(
      "select count(*)::int as n from api.dsm_access_application_key where application_id = $1",
      [applicationId],
    );
    expect(stored.rows[0]?.n).toBe(1);

    const form = structured<{
      data: { short_link_key: string; access_application_id: string; pages: unknown[] };
    }>(
      await agent.call("create_form", {
        access_application_id: applicationId,
        name: "Tenant pack",
        reference: "TEN-2026-17",
        pages: PAGES,
      }),
    );
    shortLinkKey = form.data.short_link_key;
    expect(shortLinkKey).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(form.data.access_application_id).toBe(applicationId);
    expect(form.data.pages).toHaveLength(4);

    const details = structured<{ can_decrypt: boolean; forms: Array<{ short_link_key: string }> }>(
      await agent.call("get_access_application", { access_application_id: applicationId }),
    );
    expect(details.can_decrypt).toBe(true);
    expect(details.forms.map((item) => item.short_link_key)).toEqual([shortLinkKey]);
    expect(JSON.stringify(details)).not.toMatch(/sealed_private_key|encrypted_key|"kty"/);

    const sent = structured<{
      data: { request_short_code: string; recipient_email: string; status: string };
    }>(
      await agent.call("send_request", {
        short_link_key: shortLinkKey,
        message: "Kia ora, please fill this in.",
      }),
    );
    flowCode = sent.data.request_short_code;
    expect(sent.data).toMatchObject({
      recipient_email: TARGET,
      status: "pending",
      access_application_id: applicationId,
      short_link_key: shortLinkKey,
    });
    expect(flowCode).toMatch(/^[A-Za-z0-9_-]{22}$/);

    const pending = structured<{ status: string; data: unknown; submission: unknown }>(
      await agent.call("poll_and_retrieve", { request_short_code: flowCode, wait_seconds: 0 }),
    );
    expect(pending).toMatchObject({ status: "pending", data: null, submission: null });

    const answered = await submit(flowCode, SUBMITTED);
    expect(answered.status).toBe(201);
    expect(answered.body.records).toBe(4);

    const result = await agent.call("poll_and_retrieve", { request_short_code: flowCode });
    const output = structured<{
      status: string;
      data: unknown;
      submission: { reference: string; status: string };
    }>(result);
    expect(output.status).toBe("submitted");
    expect(output.data).toEqual(SUBMITTED);
    expect(output.submission).toMatchObject({ reference: "TEN-2026-17", status: "submitted" });
    // One copy of the decrypted data: beside the submission's details, not inside them.
    expect(output.submission).not.toHaveProperty("data");
    // Third-party data goes back fenced, and the summary line carries none of it.
    const text = textOf(result);
    expect(text).toMatch(/<untrusted-data-[0-9a-f-]{36}>/);
    expect(text.split("\n")[0]).not.toContain("Mārama");
  });

  it("stores encrypted fields only as ciphertext, sealed to the application and bound to their record", async () => {
    const rows = await sandbox.db.query<{ records: Array<Record<string, unknown>> }>(
      "select records from api.dsm_submission where request_short_code = $1",
      [flowCode],
    );
    const records = rows.rows[0]?.records ?? [];
    const stored = JSON.stringify(records);
    for (const secret of [
      "12 Kōwhai Street 東京",
      "38-9012-0123456-00",
      "M Te Whare ✓ Trust",
      "PO Box 4021 Añasco",
    ]) {
      expect(stored).not.toContain(secret);
    }
    // ss_Person_Name has no encrypt: true field (Raytio encryption docs), so it stays readable.
    expect(stored).toContain("Mārama");
    const bank = records.find((record) => record.schema_name === "ss_Bank_Account");
    expect(bank?.properties).toEqual({ country: "NZ", bank_name: "Kiwibank Ōtaki" });
    expect((bank?.encrypted_data as { aad?: string } | undefined)?.aad).toBe(
      `raytio-dsm/v1:ss_Bank_Account:${bank?.n_id}`,
    );
  });

  it("lists the request and submission, and moves the submission only along legal transitions", async () => {
    const requests = structured<{ items: Array<{ request_short_code: string; status: string }> }>(
      await agent.call("list_requests", { access_application_id: applicationId }),
    );
    expect(requests.items).toEqual([
      expect.objectContaining({ request_short_code: flowCode, status: "submitted" }),
    ]);

    const submissions = structured<{
      items: Array<{ id: string; request_short_code: string; status: string }>;
    }>(await agent.call("list_submissions", { access_application_id: applicationId, status: "submitted" }));
    const submission = submissions.items.find((item) => item.request_short_code === flowCode);
    expect(submission?.status).toBe("submitted");
    const id = submission?.id as string;

    for (const status of ["received", "accepted"]) {
      const updated = structured<{ submission: { status: string }; changed: boolean }>(
        await agent.call("update_submission_status", {
          submission_id: id,
          status,
          message: "Thanks, all checked.",
        }),
      );
      expect(updated).toMatchObject({ submission: { status }, changed: true });
    }
    const again = structured<{ changed: boolean }>(
      await agent.call("update_submission_status", { submission_id: id, status: "accepted" }),
    );
    expect(again.changed).toBe(false);
    const illegal = failure(
      await agent.call("update_submission_status", { submission_id: id, status: "processing" }),
    );
    expect(illegal).toMatch(
      /^DSM_VALIDATION: Submission .* is accepted and cannot become processing: accepted is final/,
    );

    // Retrieving it again reports one status, the review's, and asks for no further review.
    const reviewed = await agent.call("poll_and_retrieve", { request_short_code: flowCode });
    expect(structured(reviewed)).toMatchObject({ status: "accepted", submission: { status: "accepted" } });
    const summary = textOf(reviewed).split("\n")[0] ?? "";
    expect(summary).toMatch(/Its review is final \(accepted\)/);
    expect(summary).not.toMatch(/update_submission_status/);
  });

  it("answers with an auto-submitted realistic answer when the sandbox plays the person", async () => {
    sandbox.setAutoSubmit(0.3);
    try {
      const code = await sendRequest(agent, { recipient_email: "aroha.ngata@example.com" });
      const output = structured<{ status: string; data: Record<string, unknown> }>(
        await agent.call("poll_and_retrieve", { request_short_code: code, wait_seconds: 15 }),
      );
      expect(output.status).toBe("submitted");
      // The sandbox answers as the person asked, not as somebody else.
      expect(output.data.ss_Person_Name).toMatchObject({
        given_name: "Aroha",
        family_name: "Ngata",
      });
      expect(Object.keys(output.data).sort()).toEqual([...SCHEMAS].sort());
      expect(Array.isArray(output.data.ss_Address)).toBe(true);
      expect(output.data.ss_Bank_Account).toMatchObject({ account_number: expect.any(String) });
    } finally {
      sandbox.setAutoSubmit(undefined);
    }
  });

  it("answers with the same kind of answer when the submit route is sent no body (the README's command)", async () => {
    const code = await sendRequest(agent, { recipient_email: "rawiri.walker@example.com" });
    const response = await fetch(`${sandbox.url}/sandbox/v1/requests/${code}/submit`, { method: "POST" });
    expect(response.status).toBe(201);
    const output = structured<{ status: string; data: Record<string, unknown> }>(
      await agent.call("poll_and_retrieve", { request_short_code: code, wait_seconds: 0 }),
    );
    expect(output.status).toBe("submitted");
    expect(Object.keys(output.data).sort()).toEqual([...SCHEMAS].sort());
    expect(output.data.ss_Person_Name).toMatchObject({ given_name: "Rawiri", family_name: "Walker" });
    // A second answer is refused as before, and an unknown code is still a 404.
    expect(
      (await fetch(`${sandbox.url}/sandbox/v1/requests/${code}/submit`, { method: "POST" })).status,
    ).toBe(409);
    expect(
      (await fetch(`${sandbox.url}/sandbox/v1/requests/no-such-code/submit`, { method: "POST" })).status,
    ).toBe(404);
  });
});

describe("waiting", () => {
  it("sends progress notifications while it waits, and a multi-instance page always gives an array", async () => {
    const code = await sendRequest(agent);
    const progress: Progress[] = [];
    const answer = {
      ss_Person_Name: { given_name: "Hēmi", family_name: "Pōmare" },
      ss_Address: { address_line_1: "1 Rata Road", city: "Nelson", country: "NZ" },
      ss_Bank_Account: { country: "NZ", account_name: "H Pōmare", account_number: "12-3140-0765432-01" },
    };
    // The person answers once three updates have arrived, however long the machine took to send them.
    let answered: Promise<unknown> | undefined;
    const result = (await agent.client.callTool(
      { name: "poll_and_retrieve", arguments: { request_short_code: code } },
      undefined,
      {
        onprogress: (update) => {
          progress.push(update);
          if (progress.length === 3) answered = submit(code, { ...answer, ss_Address: [answer.ss_Address] });
        },
      },
    )) as CallToolResult;
    await answered;
    const output = structured<{ status: string; data: Record<string, unknown> }>(result);
    expect(output.data.ss_Address).toEqual([answer.ss_Address]);
    expect(output.data.ss_Person_Name).toEqual(answer.ss_Person_Name);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.every((update) => update.total === 30)).toBe(true);
    for (let index = 1; index < progress.length; index += 1) {
      expect(progress[index]?.progress).toBeGreaterThan(
        progress[index - 1]?.progress ?? Number.POSITIVE_INFINITY,
      );
    }
    expect(progress[0]?.message).toMatch(/Waiting for the person to share their data/);
  });

  it("stops polling as soon as the client cancels", async () => {
    const code = await sendRequest(agent);
    const controller = new AbortController();
    const call = agent.client.callTool(
      { name: "poll_and_retrieve", arguments: { request_short_code: code } },
      undefined,
      {
        signal: controller.signal,
      },
    );
    await eventually("three polls", () => pollsOf(code) >= 3);
    // Hold the next poll in the sandbox, so the cancellation lands while the server is inside one.
    const hold = sandbox.faults.add({
      kind: "hold",
      method: "GET",
      pathPrefix: "/db/v1/dsm_request",
      times: -1,
    });
    await eventually("a poll to be held", () => sandbox.faults.hits(hold) >= 1);
    controller.abort("user pressed Esc");
    await expect(call).rejects.toThrow();
    // stdio is ordered: once the ping is answered, the server has read the cancellation before it.
    await agent.client.ping();
    const beforeRelease = pollsOf(code);
    sandbox.faults.clear();
    // The held poll completes (and is recorded); after it the loop must see the cancellation and stop.
    await eventually("the held poll to finish", () => pollsOf(code) === beforeRelease + 1);
    await pause(1_500);
    // At 0.2 s intervals, a poll that kept going would have made about seven more requests by now.
    expect(pollsOf(code)).toBe(beforeRelease + 1);
    // The server is still serving calls.
    expect(
      structured(await agent.call("poll_and_retrieve", { request_short_code: code, wait_seconds: 0 })),
    ).toMatchObject({
      status: "pending",
    });
  });

  it("returns pending when the wait ends first, and refuses a wait beyond RAYTIO_REQUEST_TIMEOUT_SECONDS", async () => {
    const code = await sendRequest(agent);
    const output = structured<{ status: string; waited_seconds: number }>(
      await agent.call("poll_and_retrieve", { request_short_code: code, wait_seconds: 0.6 }),
    );
    expect(output.status).toBe("pending");
    expect(output.waited_seconds).toBeGreaterThanOrEqual(0.6);
    expect(
      failure(await agent.call("poll_and_retrieve", { request_short_code: code, wait_seconds: 31 })),
    ).toMatch(/^DSM_VALIDATION: wait_seconds must be from 0 to 30 \(RAYTIO_REQUEST_TIMEOUT_SECONDS\)/);
  });
});

describe("errors a person can understand", () => {
  it("says REQUEST_EXPIRED when a request expires while waiting, and the person can no longer answer it", async () => {
    // With a 600 s wait, only stopping at the 1.5 s expiry ends this call within the test's time limit.
    const quick = await connect("agent", {
      RAYTIO_REQUEST_EXPIRY_MINUTES: "0.025",
      RAYTIO_REQUEST_TIMEOUT_SECONDS: "600",
    });
    const code = await sendRequest(quick);
    const text = failure(await quick.call("poll_and_retrieve", { request_short_code: code }));
    expect(text).toMatch(
      new RegExp(`^REQUEST_EXPIRED: Request ${code} expired at .* Send a new request with send_request`),
    );
    expect((await submit(code, SUBMITTED)).status).toBe(410);

    const listed = structured<{ items: Array<{ request_short_code: string }> }>(
      await quick.call("list_requests", { status: "expired", limit: 100 }),
    );
    expect(listed.items.map((item) => item.request_short_code)).toContain(code);
  });

  it("says DECRYPTION_FAILED at the user-key step for a wrong encryption password, distinct from expiry", async () => {
    const wrong = await connect("agent", { RAYTIO_AGENT_ENCRYPTION_PASSWORD: WRONG_PASSWORD });
    const text = failure(await wrong.call("poll_and_retrieve", { request_short_code: flowCode }));
    expect(text).toMatch(/^DECRYPTION_FAILED: User key: .*check RAYTIO_AGENT_ENCRYPTION_PASSWORD/);
    expect(text).toContain('"step":"user_key"');
    expect(text).not.toContain(WRONG_PASSWORD);
    expect(text).not.toMatch(/REQUEST_EXPIRED/);
  });

  it("says which setting is missing when there is no encryption password, before waiting", async () => {
    const none = await connect("agent", { RAYTIO_AGENT_ENCRYPTION_PASSWORD: "" });
    const text = failure(await none.call("poll_and_retrieve", { request_short_code: flowCode }));
    expect(text).toMatch(
      /^DSM_VALIDATION: No encryption password is available.*Set RAYTIO_AGENT_ENCRYPTION_PASSWORD/,
    );
  });

  it("refuses unknown schemas, schemas the application does not collect, and bad answers", async () => {
    expect(
      failure(await agent.call("create_access_application", { name: "Typo", schemas: ["ss_Pasport"] })),
    ).toMatch(/^DSM_VALIDATION: Unknown schema: ss_Pasport \(did you mean ss_Passport/);
    const foreign = failure(
      await agent.call("create_form", {
        access_application_id: applicationId,
        name: "Wrong",
        pages: [{ name: "Tax", schemas: ["ss_Tax_Number"] }],
      }),
    );
    expect(foreign).toMatch(
      /^DSM_VALIDATION: Access application .* does not collect ss_Tax_Number; its schemas are ss_Person_Name/,
    );

    const code = await sendRequest(agent);
    expect(
      (await submit(code, { ss_Tax_Number: { country: "NZ", tax_number: "123-456-789" } })).body.message,
    ).toMatch(/does not ask for ss_Tax_Number/);
    expect((await submit(code, { ...SUBMITTED, ss_Bank_Account: [SUBMITTED.ss_Bank_Account] })).status).toBe(
      400,
    );
    expect((await submit(code, { ss_Person_Name: SUBMITTED.ss_Person_Name })).body.message).toMatch(
      /Page "Where you live" is required/,
    );
    expect((await submit(code, SUBMITTED)).status).toBe(201);
    expect((await submit(code, SUBMITTED)).status).toBe(409);
  });
});

describe("create_form's two forms", () => {
  it("takes v1.17's short form: one required page per schema, and the form's recipient as the default", async () => {
    const form = structured<{
      data: { short_link_key: string; name: string; recipient_email: string; pages: unknown[] };
    }>(
      await agent.call("create_form", {
        access_application_id: applicationId,
        system_schemas: ["ss_Person_Name", "ss_Bank_Account"],
        recipient_email: "form.recipient@example.com",
      }),
    );
    expect(form.data).toMatchObject({
      name: "Tenancy application — Christchurch office",
      recipient_email: "form.recipient@example.com",
      pages: [
        { schemas: ["ss_Person_Name"], optional: false, allow_multiple: false, filter: null },
        { schemas: ["ss_Bank_Account"], optional: false, allow_multiple: false, filter: null },
      ],
    });
    const sent = structured<{ data: { recipient_email: string } }>(
      await agent.call("send_request", { short_link_key: form.data.short_link_key }),
    );
    // The form's recipient wins over RAYTIO_TARGET_USER_EMAIL; an explicit recipient wins over both.
    expect(sent.data.recipient_email).toBe("form.recipient@example.com");
    const explicit = structured<{ data: { recipient_email: string } }>(
      await agent.call("send_request", {
        short_link_key: form.data.short_link_key,
        recipient_email: "someone.else@example.com",
      }),
    );
    expect(explicit.data.recipient_email).toBe("someone.else@example.com");
  });

  it("says which rule a mixed or incomplete call breaks", async () => {
    const pages = [{ name: "Name", schemas: ["ss_Person_Name"] }];
    expect(
      failure(
        await agent.call("create_form", {
          access_application_id: applicationId,
          system_schemas: ["ss_Person_Name"],
          pages,
        }),
      ),
    ).toMatch(/^DSM_VALIDATION: Give either system_schemas .* or pages .*, not both/);
    expect(failure(await agent.call("create_form", { access_application_id: applicationId }))).toMatch(
      /^DSM_VALIDATION: Give either system_schemas/,
    );
    expect(failure(await agent.call("create_form", { system_schemas: ["ss_Person_Name"] }))).toMatch(
      /^VALIDATION: access_application_id /,
    );
    const otherId = "00000000-0000-4000-8000-000000000000";
    // One name per id (AGENTS.md, "Adding a tool"): the refusal names the one to use.
    expect(failure(await agent.call("create_form", { application_id: applicationId, pages }))).toMatch(
      /^VALIDATION: create_form does not take the argument "application_id"; it takes access_application_id,/,
    );
    expect(
      failure(
        await agent.call("send_request", { access_application_id: otherId, short_link_key: shortLinkKey }),
      ),
    ).toMatch(
      new RegExp(`^DSM_VALIDATION: Form ${shortLinkKey} belongs to access application ${applicationId}`),
    );
  });
});

describe("keys and isolation", () => {
  it("derives the user key once per process: a second retrieval runs no PBKDF2 and fetches no key", async () => {
    // The flow above already decrypted in this process: exactly one derivation so far.
    expect(pbkdf2Lines(agent)).toBe(1);
    const userKeys = fetchesOf("fnd_user_key");
    const applicationKeys = fetchesOf("dsm_access_application_key");
    for (let round = 0; round < 2; round += 1) {
      const output = structured<{ data: unknown }>(
        await agent.call("poll_and_retrieve", { request_short_code: flowCode }),
      );
      expect(output.data).toEqual(SUBMITTED);
    }
    expect(pbkdf2Lines(agent)).toBe(1);
    expect(fetchesOf("fnd_user_key")).toBe(userKeys);
    expect(fetchesOf("dsm_access_application_key")).toBe(applicationKeys);
  });

  it("hides another customer's applications, requests and submissions (DSM_NOT_FOUND)", async () => {
    const other = await connect("other_customer");
    const submission = await sandbox.db.query<{ id: string }>(
      "select id from api.dsm_submission where request_short_code = $1",
      [flowCode],
    );
    const checks: Array<[string, Record<string, unknown>]> = [
      ["get_access_application", { access_application_id: applicationId }],
      [
        "create_form",
        {
          access_application_id: applicationId,
          name: "x",
          pages: [{ name: "x", schemas: ["ss_Person_Name"] }],
        },
      ],
      ["send_request", { short_link_key: shortLinkKey }],
      ["poll_and_retrieve", { request_short_code: flowCode }],
      ["update_submission_status", { submission_id: submission.rows[0]?.id, status: "rejected" }],
    ];
    for (const [tool, args] of checks) {
      expect(failure(await other.call(tool, args)), tool).toMatch(
        /^DSM_NOT_FOUND: .* belongs to another customer/,
      );
    }
    const requests = structured<{ items: Array<{ request_short_code: string }> }>(
      await other.call("list_requests", {}),
    );
    expect(requests.items.map((item) => item.request_short_code)).not.toContain(flowCode);
    expect(requests.items.length).toBeGreaterThan(0);
  });

  it("lets a same-customer colleague without the application's key see the request but not decrypt it", async () => {
    const colleague = await connect("data_sharing_user", {});
    const details = structured<{ can_decrypt: boolean }>(
      await colleague.call("get_access_application", { access_application_id: applicationId }),
    );
    expect(details.can_decrypt).toBe(false);
    const text = failure(await colleague.call("poll_and_retrieve", { request_short_code: flowCode }));
    expect(text).toMatch(
      /^WRONG_KEY: Application key .* holds no copy of the access application's private key/,
    );
  });

  it("never sends the encryption password, an unwrapped private key or a decrypted value to the API", async () => {
    // Everything the sandbox received, except the person's own answers (the stand-in for their browser).
    const sent = sandbox.requests
      .filter((request) => !/^\/sandbox\/v1\/requests\/[^/]+\/submit$/.test(request.url))
      .map((request) =>
        [request.method, request.url, JSON.stringify(request.headers), request.body ?? ""].join("\n"),
      );
    expect(sent.length).toBeGreaterThan(50);

    const agentKey = await sandbox.db.query<{ private_key: unknown }>(
      "select private_key from api.fnd_user_key where user_id = $1",
      [accountByKey("agent").sub],
    );
    const userKey = await unlockPrivateKey(agentKey.rows[0]?.private_key, AGENT_PASSWORD);
    const sealed = await sandbox.db.query<{ sealed_private_key: unknown }>(
      "select sealed_private_key from api.dsm_access_application_key where user_id = $1",
      [accountByKey("agent").sub],
    );
    const keys = [
      userKey,
      ...sealed.rows.map((row) => openSealedPrivateKey(row.sealed_private_key, userKey)),
    ];
    const forbidden = [AGENT_PASSWORD, WRONG_PASSWORD];
    for (const key of keys) {
      const der = key.export({ format: "der", type: "pkcs8" });
      const pem = key.export({ format: "pem", type: "pkcs8" }).toString();
      const jwk = key.export({ format: "jwk" });
      // Offsets inside the private exponent: a PKCS#8 header and the public modulus come first.
      forbidden.push(
        der.toString("base64").slice(400, 464),
        der.toString("base64url").slice(400, 464),
        der.toString("hex").slice(800, 864),
        pem.split("\n")[8] ?? "",
        String(jwk.d).slice(0, 64),
        String(jwk.p).slice(0, 64),
      );
    }
    const values: string[] = [];
    const collect = (value: unknown): void => {
      if (typeof value === "string" && value.length >= 6) values.push(value);
      else if (value && typeof value === "object") Object.values(value).forEach(collect);
    };
    collect(SUBMITTED);
    forbidden.push(...values);
    expect(keys.length).toBeGreaterThanOrEqual(3);

    for (const secret of forbidden) {
      expect(secret.length).toBeGreaterThan(5);
      const leaks = sent.filter((text) => text.includes(secret) || text.includes(encodeURIComponent(secret)));
      expect(leaks, `a request carried a secret (${secret.length} chars)`).toEqual([]);
      expect(allStderr.some((line) => line.includes(secret))).toBe(false);
    }
  });
});
