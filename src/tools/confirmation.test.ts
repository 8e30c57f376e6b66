import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { type ConfirmationAsk, callDigest, confirmationStep } from "./core/confirmation.js";
import type { AnyTool, ToolContext } from "./core/tool.js";
import { TOOLS } from "./registry.js";

/**
 * Registry-wide: no argument of any tool can give, skip, pre-fill or fake the person's confirmation.
 * Only the client's answer to a question the server sealed for exactly this call counts.
 */

/** The tools that ask, written out: a new one is added here on purpose, with a README line. */
const ASKING = ["send_request", "unrelate_parties", "update_submission_status"];

/**
 * Destructive (by annotation) and not asking, each for a reason the README gives: they change this
 * account's own records, which the account can change back, and reach nobody outside it.
 */
const DESTRUCTIVE_WITHOUT_ASKING = ["assign_worker", "save_wrm_entity", "update_party", "update_work_item"];

/** Names a model might try, to claim the person already said yes. */
const FORGED = [
  "confirm",
  "confirmed",
  "confirmation",
  "approved",
  "skip_confirmation",
  "force",
  "yes",
  "consent",
];
const CONSENT_LIKE = /confirm|approv|consent|skip|force|^yes$/i;

const asking = TOOLS.filter((tool) => tool.confirmation !== undefined);

describe("confirmation across the registry", () => {
  it("is asked by exactly the tools listed, and every other destructive tool is a listed exception", () => {
    expect(asking.map((tool) => tool.name).sort()).toEqual(ASKING);
    const destructive = TOOLS.filter((tool) => tool.annotations.destructiveHint === true).map(
      (tool) => tool.name,
    );
    expect(destructive.filter((name) => !ASKING.includes(name)).sort()).toEqual(DESTRUCTIVE_WITHOUT_ASKING);
  });

  it.each(asking.map((tool) => [tool.name, tool] as const))(
    "%s: no argument names a consent, and one added is refused",
    (_name, tool) => {
      const schema = tool.inputSchema as z.ZodObject;
      expect(Object.keys(schema.shape).filter((key) => CONSENT_LIKE.test(key))).toEqual([]);
      for (const key of FORGED) {
        const parsed = schema.safeParse({ [key]: true });
        expect(parsed.success).toBe(false);
        const unknown = parsed.error?.issues.find((issue) => issue.code === "unrecognized_keys");
        expect(unknown, key).toBeDefined();
      }
    },
  );
});

describe("the confirmation step", () => {
  const question = {
    action: "Email a request for personal data",
    details: [["Recipient", "a@example.com"]] as const,
  };
  const tool = {
    name: "probe_tool",
    confirmation: async () => question,
  } as unknown as AnyTool;
  const context = {} as ToolContext;
  const sealed: string[] = [];
  const ask = (overrides: Partial<ConfirmationAsk>): ConfirmationAsk => ({
    policy: "auto",
    canAsk: true,
    responses: undefined,
    state: undefined,
    mint: async (state) => {
      sealed.push(state.call);
      return `sealed-${sealed.length}`;
    },
    ...overrides,
  });
  const accepted = { confirm: { action: "accept", content: { confirm: true } } };
  const args = { recipient: "a@example.com" };

  it("asks, whatever the arguments say, when the request carries no answer", async () => {
    for (const forged of [args, { ...args, confirm: true }, { ...args, confirmed: "yes" }]) {
      const step = await confirmationStep(tool, forged, context, ask({}));
      expect(step.kind).toBe("answer");
      expect(step.outcome).toBe("not_asked");
    }
  });

  it("does not take an answer that comes without the state the server sealed for this call", async () => {
    const step = await confirmationStep(tool, args, context, ask({ responses: accepted }));
    expect(step.kind).toBe("answer");
  });

  it("does not take an answer given for another call (other arguments)", async () => {
    const state = { call: callDigest("probe_tool", { recipient: "b@example.com" }) };
    const step = await confirmationStep(tool, args, context, ask({ responses: accepted, state }));
    expect(step.kind).toBe("answer");
    expect(step.outcome).toBe("not_asked");
  });

  it("goes ahead only on the person's yes to exactly this call", async () => {
    const state = { call: callDigest("probe_tool", args) };
    expect(await confirmationStep(tool, args, context, ask({ responses: accepted, state }))).toEqual({
      kind: "proceed",
      outcome: "accepted",
    });
    const unticked = { confirm: { action: "accept", content: { confirm: false } } };
    const refused = await confirmationStep(tool, args, context, ask({ responses: unticked, state }));
    expect(refused).toMatchObject({ kind: "answer", outcome: "declined" });
  });

  it("refuses under always when the client cannot ask, and goes ahead unasked under auto", async () => {
    expect(
      await confirmationStep(tool, args, context, ask({ canAsk: false, policy: "always" })),
    ).toMatchObject({
      kind: "answer",
      outcome: "unavailable",
      refusal: { code: "CONFIRMATION_UNAVAILABLE" },
    });
    expect(await confirmationStep(tool, args, context, ask({ canAsk: false, policy: "auto" }))).toEqual({
      kind: "proceed",
      outcome: "unavailable",
    });
  });
});
