import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { accountByKey } from "../sandbox/accounts.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import {
  type ConnectedServer,
  SERVER_ENTRY,
  serverEnv,
  serverPool,
  startTestSandbox,
  structured,
} from "./support/harness.js";

/**
 * The audit log end to end over stdio: the DSM flow to a decrypted answer, then the log it left. One
 * line per consequential act and per decryption, a chain --verify-audit accepts, nothing in it that a
 * person wrote or that unlocks anything, and an edit of any line named by the check.
 */

const AGENT = accountByKey("agent");
const RECIPIENT = "person.audit@example.com";
const MESSAGE = "Kia ora, message text the audit log never holds";
const APPLICATION_NAME = "Audit application name never logged";
const FORM_REFERENCE = "AUDIT-REF-never-logged";
const SUBMITTED = {
  ss_Person_Name: { given_name: "Auditane", family_name: "Decryptedsson" },
  ss_Bank_Account: {
    country: "NZ",
    bank_name: "Audit Bank",
    account_name: "Decrypted Account Name",
    account_number: "38-9012-0999999-00",
  },
};
const DECRYPTED = ["Auditane", "Decryptedsson", "Decrypted Account Name", "38-9012-0999999-00"];

const directory = path.join(inject("auditDirectory"), `audit-test-${process.pid}`);
const AUDIT_FILE = path.join(directory, "audit.jsonl");
const FAST = {
  RAYTIO_DSM_KEY_BITS: "2048",
  RAYTIO_POLL_INTERVAL_SECONDS: "0.2",
  RAYTIO_REQUEST_TIMEOUT_SECONDS: "30",
  RAYTIO_AUDIT_LOG: AUDIT_FILE,
};

let sandbox: Sandbox;
const pool = serverPool(() => sandbox, FAST);

interface Record {
  seq: number;
  user: string | null;
  client: string;
  tool: string;
  act: string;
  decrypted: boolean;
  targets: { [path: string]: string | string[] };
  result: { [path: string]: string | string[] };
  outcome: string;
  code?: string;
  confirmation: string;
  hash: string;
}

const lines = () => readFileSync(AUDIT_FILE, "utf8").split("\n").slice(0, -1);
const records = () => lines().map((line) => JSON.parse(line) as Record);

async function verifyAudit(file: string): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [SERVER_ENTRY, "--verify-audit", file], {
      env: serverEnv({}),
    });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
}

/** Every id and refresh token the flow used, from the sandbox's own record of the requests. */
function tokensUsed(): string[] {
  const found = new Set<string>();
  for (const request of sandbox.requests) {
    const authorization = request.headers.authorization;
    if (typeof authorization === "string") found.add(authorization.replace(/^Bearer /, ""));
    const refresh = /"REFRESH_TOKEN":"([^"]+)"/.exec(request.body ?? "")?.[1];
    if (refresh) found.add(refresh);
  }
  return [...found];
}

let agent: ConnectedServer;
let applicationId: string;
let shortLinkKey: string;
let requestCode: string;
let submissionId: string;

beforeAll(async () => {
  mkdirSync(directory, { recursive: true });
  sandbox = await startTestSandbox({ recordBodies: true });
  agent = await pool.connect("agent");
});

afterAll(async () => {
  await pool.closeAll();
  await sandbox.stop();
});

describe("the audit log of the DSM flow", () => {
  it("runs the flow to a decrypted answer, and one act that fails", async () => {
    const created = structured<{ data: { access_application_id: string } }>(
      await agent.call("create_access_application", {
        name: APPLICATION_NAME,
        description: "Description never logged",
        schemas: ["ss_Person_Name", "ss_Bank_Account"],
      }),
    );
    applicationId = created.data.access_application_id;
    const form = structured<{ data: { short_link_key: string } }>(
      await agent.call("create_form", {
        application_id: applicationId,
        name: "Form name never logged",
        reference: FORM_REFERENCE,
        system_schemas: ["ss_Person_Name", "ss_Bank_Account"],
      }),
    );
    shortLinkKey = form.data.short_link_key;
    const sent = structured<{ data: { request_short_code: string } }>(
      await agent.call("send_request", {
        short_link_key: shortLinkKey,
        recipient_email: RECIPIENT,
        message: MESSAGE,
      }),
    );
    requestCode = sent.data.request_short_code;
    // A read that opens nothing is not on record.
    structured(await agent.call("poll_and_retrieve", { request_short_code: requestCode, wait_seconds: 0 }));
    structured(await agent.call("list_requests", { application_id: applicationId }));

    const answered = await fetch(`${sandbox.url}/sandbox/v1/requests/${requestCode}/submit`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ data: SUBMITTED }),
    });
    expect(answered.status).toBe(201);
    const opened = structured<{ data: unknown; submission: { id: string } }>(
      await agent.call("poll_and_retrieve", { request_short_code: requestCode }),
    );
    expect(opened.data).toEqual(SUBMITTED);
    submissionId = opened.submission.id;

    structured(
      await agent.call("update_submission_status", {
        id: submissionId,
        status: "received",
        message: MESSAGE,
      }),
    );
    const refused = await agent.call("send_request", { short_link_key: "NoSuchForm123" });
    expect(refused.isError).toBe(true);
  });

  it("says at start where the audit goes", () => {
    expect(agent.stderr.join("\n")).toContain(`Audit log: ${AUDIT_FILE} (a new chain)`);
  });

  it("has one line per act and per decryption, naming the person, the client, the targets and the outcome", () => {
    const found = records();
    expect(
      found.map(({ tool, act, decrypted, outcome, code }) => ({ tool, act, decrypted, outcome, code })),
    ).toEqual([
      { tool: "create_access_application", act: "write", decrypted: false, outcome: "done", code: undefined },
      { tool: "create_form", act: "write", decrypted: false, outcome: "done", code: undefined },
      { tool: "send_request", act: "write", decrypted: false, outcome: "done", code: undefined },
      { tool: "poll_and_retrieve", act: "read", decrypted: true, outcome: "done", code: undefined },
      { tool: "update_submission_status", act: "write", decrypted: false, outcome: "done", code: undefined },
      { tool: "send_request", act: "write", decrypted: false, outcome: "failed", code: "DSM_NOT_FOUND" },
    ]);
    for (const record of found)
      expect(record).toMatchObject({ user: AGENT.sub, client: "stdio", confirmation: "not_asked" });
    const [application, form, send, open, review] = found;
    expect(application?.result).toMatchObject({ "data.access_application_id": applicationId });
    expect(form?.targets).toEqual({ application_id: applicationId });
    expect(form?.result).toMatchObject({ "data.short_link_key": shortLinkKey });
    expect(send?.targets).toEqual({ short_link_key: shortLinkKey, recipient_email: RECIPIENT });
    expect(send?.result).toMatchObject({
      "data.request_short_code": requestCode,
      "data.recipient_email": RECIPIENT,
    });
    expect(open?.targets).toEqual({ request_short_code: requestCode });
    expect(open?.result).toMatchObject({ "submission.id": submissionId });
    expect(review?.targets).toEqual({ id: submissionId });
  });

  it("is a chain --verify-audit accepts, in a file only its owner can read", async () => {
    const checked = await verifyAudit(AUDIT_FILE);
    expect(checked).toMatchObject({ code: 0 });
    expect(checked.stdout).toContain(
      `chain whole, 6 records; the last record's hash is ${records()[5]?.hash}`,
    );
    if (process.platform !== "win32") expect(statSync(AUDIT_FILE).mode & 0o777).toBe(0o600);
  });

  it("holds no decrypted value, password, token or text a person wrote", () => {
    const text = readFileSync(AUDIT_FILE, "utf8");
    const tokens = tokensUsed();
    expect(tokens.length).toBeGreaterThan(0);
    for (const secret of [AGENT.password, AGENT.encryptionPassword, ...tokens])
      expect(text).not.toContain(secret);
    for (const written of [...DECRYPTED, MESSAGE, APPLICATION_NAME, FORM_REFERENCE, "never logged"])
      expect(text).not.toContain(written);
  });

  it("names the line of an edit to any line, the last included", async () => {
    const original = lines();
    for (let index = 0; index < original.length; index += 1) {
      const edited = [...original];
      edited[index] = (edited[index] ?? "").replace('"client":"stdio"', '"client":"stdiX"');
      const copy = path.join(directory, `edited-${index + 1}.jsonl`);
      writeFileSync(copy, `${edited.join("\n")}\n`);
      const checked = await verifyAudit(copy);
      expect(checked.code).toBe(1);
      expect(checked.stdout).toContain(`BROKEN at line ${index + 1}:`);
    }
  });

  it("continues the same chain after a restart", async () => {
    await agent.close();
    const head = records().at(-1);
    const restarted = await pool.connect("agent");
    structured(await restarted.call("update_submission_status", { id: submissionId, status: "accepted" }));
    expect(restarted.stderr.join("\n")).toContain(
      `continuing the chain after record 6, whose hash is ${head?.hash}`,
    );
    expect(records().at(-1)).toMatchObject({ seq: 7, tool: "update_submission_status", outcome: "done" });
    expect(await verifyAudit(AUDIT_FILE)).toMatchObject({ code: 0 });
  });
});
