import type { Transaction } from "@electric-sql/pglite";
import { statusFromBackend, statusToBackend, type WorkItemStatus } from "../../src/ppm/status.js";
import { planTransition, type TransitionIntent } from "../../src/ppm/transitions.js";
import { accountByKey, DEMO_CUSTOMER, OTHER_CUSTOMER } from "../accounts.js";
import { pick, random, seedWorkItems } from "./seed.js";

/**
 * PPM demo data: the 300 work items of seedWorkItems, then a history for each that the state machine
 * could really have produced (every status-change path is checked with planTransition, so seed data
 * and server rules cannot drift apart), plus comments and time entries by the project accounts.
 * One epic gets a long history so activity pagination has something to walk.
 */
export async function seedPpm(tx: Transaction): Promise<void> {
  // Seeding plays the platform's migration role: it may write statuses and STATUS_CHANGE rows directly.
  await tx.query("select set_config('ppm.transition', 'on', true)");
  await seedWorkItems(tx);
  await seedActivities(tx);
  await tx.query("select set_config('ppm.transition', '', true)");
}

/** Intents that lead from new to each status; one is picked per item. */
const HISTORIES: Record<WorkItemStatus, TransitionIntent[][]> = {
  new: [[], [], [], ["cancel", "reopen"]],
  in_progress: [["start"], ["start"], ["start", "block", "unblock"], ["start", "submit_for_review", "start"]],
  blocked: [
    ["start", "block"],
    ["start", "block", "unblock", "block"],
  ],
  in_review: [
    ["start", "submit_for_review"],
    ["start", "block", "unblock", "submit_for_review"],
  ],
  done: [
    ["start", "submit_for_review", "complete"],
    ["start", "submit_for_review", "start", "submit_for_review", "complete"],
    ["start", "submit_for_review", "complete", "reopen", "submit_for_review", "complete"],
  ],
  cancelled: [["cancel"], ["start", "cancel"], ["start", "block", "cancel"]],
};

const REASONS: Partial<Record<TransitionIntent, string[]>> = {
  block: [
    "Waiting for the supplier to return the signed contract.",
    "Blocked on legal sign-off of the privacy wording.",
    "Need production access approved by the security team.",
    "Waiting for the customer to confirm the data fields they need.",
    "Depends on the identity verification vendor fixing their sandbox.",
  ],
  unblock: ["Contract received.", "Sign-off given in Tuesday's meeting.", "Access granted."],
  cancel: [
    "Superseded by the new onboarding programme.",
    "Duplicate of an existing item.",
    "Customer withdrew the request.",
  ],
  reopen: ["Customer reported the export still misses the GST column.", "Reopened after audit feedback."],
  start: ["Changes requested: tighten the retention wording and add the test evidence."],
};

/** Blocking always says why; other changes mostly do, and a restart only after review ("changes requested"). */
function reasonFor(from: WorkItemStatus, intent: TransitionIntent, next: () => number): string | undefined {
  const options = REASONS[intent];
  if (!options || (intent === "start" && from !== "in_review")) return undefined;
  if (intent !== "block" && next() < 0.3) return undefined;
  return pick(next, options);
}

const COMMENTS = [
  "Talked to the finance team; they want this before month end.",
  "First draft is in the shared folder, feedback welcome.",
  "Can someone confirm which schema version we are targeting?",
  "Checked with the customer: the current form is fine for now.",
  "Added test evidence for the edge cases we discussed.",
  "This overlaps with the retention policy work; linking them.",
  "Reviewed: looks good apart from the wording in section 3.",
  "Moved the deadline conversation to the weekly sync.",
  "Note for whoever picks this up: the old export script is in the ops repo.",
  "Raised the priority after the audit finding.",
];

const TIME_NOTES = ["Drafting", "Review meeting", "Testing", "Customer call", "Research", null, null];

/** Who does what: reviewers close reviews, and the AI agent and project user do most of the work. */
const WORKERS = ["agent", "agent", "project_user", "project_admin"].map((key) => accountByKey(key).sub);
const REVIEWER = accountByKey("project_admin").sub;

interface ActivityRow {
  customer: string;
  workItem: string;
  kind: "COMMENT" | "STATUS_CHANGE" | "TIME_ENTRY";
  body: string | null;
  from: string | null;
  to: string | null;
  minutes: number | null;
  actor: string;
  at: Date;
}

async function seedActivities(tx: Transaction): Promise<void> {
  const next = random(11);
  const items = await tx.query<{ id: string; status: string; created_at: Date; updated_at: Date }>(
    "select id, status, created_at, updated_at from api.ppm_work_item where customer_id = $1 order by created_at, id",
    [DEMO_CUSTOMER],
  );
  const rows: ActivityRow[] = [];
  const add = (row: Omit<ActivityRow, "customer">) => rows.push({ customer: DEMO_CUSTOMER, ...row });

  for (const [index, item] of items.rows.entries()) {
    const status = statusFromBackend(item.status);
    if (!status) throw new Error(`seed item ${item.id} has unknown status ${item.status}`);
    const start = item.created_at.getTime();
    const span = Math.max(item.updated_at.getTime() - start, 60_000);
    const at = (fraction: number) => new Date(start + Math.round(span * fraction));

    // Status changes evenly spaced, the last one at updated_at, which it would have set.
    const history = pick(next, HISTORIES[status]);
    let current: WorkItemStatus = "new";
    for (const [step, intent] of history.entries()) {
      const planned = planTransition(current, intent, reasonFor(current, intent, next));
      add({
        workItem: item.id,
        kind: "STATUS_CHANGE",
        body: planned.reason ?? null,
        from: statusToBackend(planned.from),
        to: statusToBackend(planned.to),
        minutes: null,
        actor:
          intent === "complete" || (intent === "start" && planned.from === "in_review")
            ? REVIEWER
            : pick(next, WORKERS),
        at: at((step + 1) / history.length),
      });
      current = planned.to;
    }
    if (current !== status) throw new Error(`seed history of ${item.id} ends in ${current}, not ${status}`);

    const comments = next() < 0.65 ? 1 + Math.floor(next() * 3) : 0;
    for (let count = 0; count < comments; count += 1) {
      add({
        workItem: item.id,
        kind: "COMMENT",
        body: pick(next, COMMENTS),
        from: null,
        to: null,
        minutes: null,
        actor: pick(next, WORKERS),
        at: at(next()),
      });
    }
    const worked = history.includes("start");
    const entries = worked ? 1 + Math.floor(next() * 4) : 0;
    for (let count = 0; count < entries; count += 1) {
      add({
        workItem: item.id,
        kind: "TIME_ENTRY",
        body: pick(next, TIME_NOTES),
        from: null,
        to: null,
        minutes: 15 * (1 + Math.floor(next() * 16)),
        actor: pick(next, WORKERS),
        at: at(next()),
      });
    }

    // The oldest item (an epic) is a long-running programme with a long history.
    if (index === 0) {
      for (let week = 0; week < 120; week += 1) {
        const comment = week % 3 === 0;
        add({
          workItem: item.id,
          kind: comment ? "COMMENT" : "TIME_ENTRY",
          body: comment
            ? `Weekly programme update ${week / 3 + 1}: ${pick(next, COMMENTS)}`
            : "Programme coordination",
          from: null,
          to: null,
          minutes: comment ? null : 30 * (1 + Math.floor(next() * 8)),
          actor: pick(next, WORKERS),
          at: at((week + 0.5) / 121),
        });
      }
    }
  }

  const other = await tx.query<{ id: string }>(
    "select id from api.ppm_work_item where customer_id = $1 order by created_at limit 1",
    [OTHER_CUSTOMER],
  );
  const otherItem = other.rows[0]?.id;
  if (!otherItem) throw new Error("the other customer's work item is missing");
  rows.push({
    customer: OTHER_CUSTOMER,
    workItem: otherItem,
    kind: "COMMENT",
    body: "Other customer confidential comment",
    from: null,
    to: null,
    minutes: null,
    actor: accountByKey("other_customer").sub,
    at: new Date(),
  });

  // One statement for the lot: a row-at-a-time insert makes a fresh sandbox noticeably slower.
  await tx.query(
    `insert into api.ppm_activity
       (customer_id, work_item_id, kind, body, from_status, to_status, minutes, actor_id, created_at)
     select * from unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[], $9::timestamptz[])`,
    [
      rows.map((row) => row.customer),
      rows.map((row) => row.workItem),
      rows.map((row) => row.kind),
      rows.map((row) => row.body),
      rows.map((row) => row.from),
      rows.map((row) => row.to),
      rows.map((row) => row.minutes),
      rows.map((row) => row.actor),
      rows.map((row) => row.at.toISOString()),
    ],
  );
}
