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
import { connectAs, startHttpServerProcess } from "./support/http-harness.js";

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

/** Runs the built CLI; resolves with the exit code instead of throwing on a non-zero one. */
async function cli(
  args: string[],
  env: { [name: string]: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    // The timeout only bounds a regression (a server that starts when it should not); a pass never nears it.
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [SERVER_ENTRY, ...args], {
      env: serverEnv(env),
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const verifyAudit = (file: string) => cli(["--verify-audit", file]);

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
        access_application_id: applicationId,
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
    structured(await agent.call("list_requests", { access_application_id: applicationId }));

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
        submission_id: submissionId,
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
    for (const record of found) expect(record).toMatchObject({ user: AGENT.sub, client: "stdio" });
    // This client declares no form elicitation: under RAYTIO_CONFIRM=auto the acts that would ask went
    // ahead, and the record says the person could not be asked.
    expect(found.map((record) => record.confirmation)).toEqual([
      "not_asked",
      "not_asked",
      "unavailable",
      "not_asked",
      "unavailable",
      "not_asked",
    ]);
    const [application, form, send, open, review] = found;
    expect(application?.result).toMatchObject({ "data.access_application_id": applicationId });
    expect(form?.targets).toEqual({ access_application_id: applicationId });
    expect(form?.result).toMatchObject({ "data.short_link_key": shortLinkKey });
    expect(send?.targets).toEqual({ short_link_key: shortLinkKey, recipient_email: RECIPIENT });
    expect(send?.result).toMatchObject({
      "data.request_short_code": requestCode,
      "data.recipient_email": RECIPIENT,
    });
    expect(open?.targets).toEqual({ request_short_code: requestCode });
    expect(open?.result).toMatchObject({ "submission.id": submissionId });
    expect(review?.targets).toEqual({ submission_id: submissionId });
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
    structured(
      await restarted.call("update_submission_status", { submission_id: submissionId, status: "accepted" }),
    );
    expect(restarted.stderr.join("\n")).toContain(
      `continuing the chain after record 6, whose hash is ${head?.hash}`,
    );
    expect(records().at(-1)).toMatchObject({ seq: 7, tool: "update_submission_status", outcome: "done" });
    expect(await verifyAudit(AUDIT_FILE)).toMatchObject({ code: 0 });
  });

  it("--check says where the audit goes; a log that cannot be continued fails --check and stops a start", async () => {
    const checked = await cli(["--check"], sandbox.configFor("agent", FAST));
    expect(checked.stdout).toContain(`ok    Audit log: ${AUDIT_FILE} (continuing the chain after record 7`);

    const cut = path.join(directory, "cut.jsonl");
    writeFileSync(cut, readFileSync(AUDIT_FILE, "utf8").slice(0, -20));
    const env = sandbox.configFor("agent", { ...FAST, RAYTIO_AUDIT_LOG: cut });
    const failedCheck = await cli(["--check"], env);
    expect(failedCheck.code).toBe(1);
    expect(failedCheck.stdout).toContain(`FAIL  The audit log ${cut} ends in a broken line`);
    const failedStart = await cli([], env);
    expect(failedStart.code).toBe(1);
    expect(failedStart.stderr).toContain(`The audit log ${cut} ends in a broken line`);
  });
});

describe("the audit log over HTTP", () => {
  it("names the signed-in person and the OAuth client they approved, in the replica's own chain", async () => {
    const file = path.join(directory, "replica.jsonl");
    const server = await startHttpServerProcess(sandbox, { RAYTIO_AUDIT_LOG: file });
    try {
      expect(server.stderr.join("\n")).toContain(`Audit log: ${file} (a new chain)`);
      const person = accountByKey("project_admin");
      const session = await connectAs(server.url, "project_admin");
      try {
        const created = structured<{ work_item: { id: string } }>(
          await session.call("create_work_item", { title: "Title a person wrote, never logged" }),
        );
        const [record, ...rest] = readFileSync(file, "utf8")
          .split("\n")
          .slice(0, -1)
          .map((line) => JSON.parse(line) as Record);
        expect(rest).toEqual([]);
        expect(record).toMatchObject({
          seq: 1,
          user: person.sub,
          client: session.provider.clientInformation()?.client_id,
          tool: "create_work_item",
          targets: {},
          result: { "work_item.id": created.work_item.id },
          outcome: "done",
          confirmation: "not_asked",
        });
        expect(record?.client).toEqual(expect.any(String));
        expect(readFileSync(file, "utf8")).not.toContain("never logged");
      } finally {
        await session.close();
      }
    } finally {
      await server.stop();
    }
    expect(await verifyAudit(file)).toMatchObject({ code: 0 });
  });
});
