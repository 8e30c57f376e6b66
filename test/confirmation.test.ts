import { readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import { startTestSandbox, structured } from "./support/harness.js";
import { connectStdio, type Era, person, type V2Connection } from "./support/sdk-v2-client.js";

/**
 * An act that reaches another person is confirmed by the person at the keyboard, through their client:
 * in 2026-07-28 as an `input_required` round, in the 2025 era as `elicitation/create` (the SDK's shim
 * serves the same code). Whatever they answer, the sandbox's own tables say what happened.
 */

const FAST = { RAYTIO_DSM_KEY_BITS: "2048", RAYTIO_TOOL_DOMAINS: "dsm,prm" };
const ERAS: Era[] = ["legacy", "modern"];

type V1Result = Parameters<typeof structured>[0];
const ok = async <T>(connection: V2Connection, name: string, args: Record<string, unknown>) =>
  structured<T>((await connection.call(name, args)) as unknown as V1Result);
const textOf = (result: { content?: unknown }) =>
  ((result.content ?? []) as Array<{ text?: string }>).map((item) => item.text ?? "").join("\n");

let sandbox: Sandbox;
let auditDirectory = "";
const open: V2Connection[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox();
  auditDirectory = await mkdtemp(path.join(tmpdir(), "raytio-confirm-audit-"));
});

afterAll(async () => {
  await Promise.all(open.map((each) => each.close().catch(() => undefined)));
  await sandbox?.stop();
});

async function connect(
  era: Era,
  answer?: "accept" | "decline" | "cancel",
  env: Record<string, string> = {},
): Promise<{ agent: V2Connection; shown: Array<{ message: string }> }> {
  const someone = answer ? person(answer) : undefined;
  const agent = await connectStdio(sandbox, "agent", era, {
    ...(someone ? { person: someone } : {}),
    env: { ...FAST, ...env },
  });
  open.push(agent);
  return { agent, shown: someone?.shown ?? [] };
}

/** A form ready to send, and how many requests the sandbox holds for it. */
async function formToSend(
  agent: V2Connection,
): Promise<{ shortLinkKey: string; requests(): Promise<number> }> {
  const application = await ok<{ data: { access_application_id: string } }>(
    agent,
    "create_access_application",
    {
      name: `Confirmation probe ${Date.now()}`,
    },
  );
  const form = await ok<{ data: { short_link_key: string } }>(agent, "create_form", {
    access_application_id: application.data.access_application_id,
    system_schemas: ["ss_Person_Name"],
    recipient_email: "stranger@example.com",
  });
  const shortLinkKey = form.data.short_link_key;
  return {
    shortLinkKey,
    requests: async () =>
      (
        await sandbox.db.query<{ n: number }>(
          "select count(*)::int as n from api.dsm_request r join api.dsm_form f on f.id = r.form_id where f.short_link_key = $1",
          [shortLinkKey],
        )
      ).rows[0]?.n ?? -1,
  };
}

describe.each(ERAS)("send_request, the %s era", (era) => {
  it("shows the person who it goes to, what it asks for and the message, and sends once they accept", async () => {
    const { agent, shown } = await connect(era, "accept");
    const form = await formToSend(agent);
    const sent = await ok<{ data: { request_short_code: string; recipient_email: string } }>(
      agent,
      "send_request",
      {
        short_link_key: form.shortLinkKey,
        message: "Kia ora, please share your name.",
        expiry_minutes: 90,
      },
    );
    expect(sent.data.recipient_email).toBe("stranger@example.com");
    expect(await form.requests()).toBe(1);
    expect(shown).toHaveLength(1);
    const question = shown[0]?.message ?? "";
    for (const part of [
      "stranger@example.com",
      "Confirmation probe",
      "ss_Person_Name",
      "Kia ora, please share your name.",
    ])
      expect(question).toContain(part);
  });

  it.each(["decline", "cancel"] as const)(
    "creates and sends nothing when they %s, and says so with DECLINED",
    async (answer) => {
      const { agent, shown } = await connect(era, answer);
      const form = await formToSend(agent);
      const refused = await agent.call("send_request", { short_link_key: form.shortLinkKey });
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toMatch(/^DECLINED: /);
      expect(textOf(refused)).toMatch(answer === "cancel" ? /cancel/i : /declin/i);
      expect(shown).toHaveLength(1);
      expect(await form.requests()).toBe(0);
    },
  );
});

describe("a client that cannot show a form", () => {
  it("under auto: the send goes ahead as in 1.17, and the server warns once at start", async () => {
    const { agent } = await connect("legacy", undefined, { RAYTIO_CONFIRM: "auto" });
    const form = await formToSend(agent);
    await ok(agent, "send_request", { short_link_key: form.shortLinkKey });
    await ok(agent, "send_request", { short_link_key: form.shortLinkKey });
    expect(await form.requests()).toBe(2);
    const warnings = agent.stderr.filter((line) => line.includes("cannot show a confirmation form"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/warn: .*RAYTIO_CONFIRM=auto/);
  });

  it.each(ERAS)("under always (%s era): CONFIRMATION_UNAVAILABLE, and nothing is created", async (era) => {
    const { agent } = await connect(era, undefined, { RAYTIO_CONFIRM: "always" });
    const form = await formToSend(agent);
    const refused = await agent.call("send_request", { short_link_key: form.shortLinkKey });
    expect(textOf(refused)).toMatch(
      /^CONFIRMATION_UNAVAILABLE: send_request needs the person's confirmation/,
    );
    expect(await form.requests()).toBe(0);
  });
});

describe("other acts that cannot be undone", () => {
  it("deleting a relationship asks too; declined, the relationship is still there", async () => {
    const { agent, shown } = await connect("modern", "decline");
    const org = await ok<{ party: { id: string } }>(agent, "create_party", {
      type: "organisation",
      name: `Keep Ltd ${Date.now()}`,
    });
    const who = await ok<{ party: { id: string } }>(agent, "create_party", {
      type: "person",
      name: "Kept Person",
    });
    const related = await ok<{ relationship: { id: string } }>(agent, "relate_parties", {
      from_party_id: who.party.id,
      kind: "employee_of",
      to_party_id: org.party.id,
    });
    const refused = await agent.call("unrelate_parties", {
      relationship_id: related.relationship.id,
      delete: true,
    });
    expect(textOf(refused)).toMatch(/^DECLINED: /);
    expect(shown).toHaveLength(1);
    const kept = await sandbox.db.query<{ n: number }>(
      "select count(*)::int as n from api.prm_relationship where id = $1",
      [related.relationship.id],
    );
    expect(kept.rows[0]?.n).toBe(1);
    // Ending it (which keeps the record and its history) is not asked about.
    await ok(agent, "unrelate_parties", { relationship_id: related.relationship.id });
    expect(shown).toHaveLength(1);
  });
});

describe("the audit log", () => {
  it("records a declined send as an act that did not happen, with the person's answer", async () => {
    const file = path.join(auditDirectory, "declined.jsonl");
    const { agent } = await connect("modern", "decline", { RAYTIO_AUDIT_LOG: file });
    const form = await formToSend(agent);
    await agent.call("send_request", { short_link_key: form.shortLinkKey });
    const records = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const declined = records.filter((record) => record.tool === "send_request");
    expect(declined).toHaveLength(1);
    expect(declined[0]).toMatchObject({ outcome: "declined", confirmation: "declined" });
    expect(JSON.stringify(declined[0])).toContain(form.shortLinkKey);
  });
});
