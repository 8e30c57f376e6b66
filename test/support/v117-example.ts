import { expect } from "vitest";

/**
 * The published 1.17 README's DSM usage example, call for call, over any connection: every era and
 * transport must run it as written. What 1.17's README documents:
 *
 *   const schemas = await list_schemas();
 *   const aa = await create_access_application({ name: 'Tax Filing Assistant',
 *     description: 'Collecting tax information' });
 *   const form = await create_form({ access_application_id: aa.data.access_application_id,
 *     system_schemas: ['ss_Right_To_Work', 'ss_Phone_Number'], recipient_email: <the person> });
 *   const request = await send_request({ access_application_id: aa.data.access_application_id,
 *     short_link_key: form.data.short_link_key, recipient_email: <the person>,
 *     message: 'Please share your information', expiry_minutes: 10 });
 *   let data = null;
 *   while (!data) {
 *     const result = await poll_and_retrieve({ request_short_code: request.data.request_short_code });
 *     if (result.data) data = result.data;
 *     else await sleep(5000);
 *   }
 *
 * Each call is an MCP tools/call; its result is the tool's structuredContent.
 */

/** What the person types in when they answer. */
export const SUBMITTED = {
  ss_Right_To_Work: {
    country: "NZ",
    basis: "work_visa",
    document_type: "visa",
    document_number: "WV-2026-0417",
    expiry_date: "2028-03-31",
    work_conditions: "Up to 30 hours a week; Ōtautahi only",
    declaration: true,
  },
  ss_Phone_Number: { phone_number: "+64211234567", phone_type: "mobile" },
};

export interface PollResult {
  status: string;
  data: Record<string, unknown> | null;
  submission: { id: string; status: string; confirmation_code: string; submitted_at: string } | null;
}

/** A tools/call that fails the test unless it succeeds; its structuredContent. */
export type StructuredCall = (name: string, args: Record<string, unknown>) => Promise<unknown>;

/**
 * Runs the example and checks what it promises. `submit` answers as the person, once the example has
 * seen the request unanswered (so the first poll is always pending: no race with the clock).
 */
export async function runV117Example(
  call: StructuredCall,
  submit: (requestShortCode: string) => Promise<void>,
): Promise<void> {
  const polls: PollResult[] = [];
  let answered = false;

  // The README's functions, one MCP tool call each.
  const list_schemas = async () => (await call("list_schemas", {})) as { items: Array<{ name: string }> };
  const create_access_application = async (args: Record<string, unknown>) =>
    (await call("create_access_application", args)) as {
      data: { access_application_id: string; schemas: string[] };
    };
  const create_form = async (args: Record<string, unknown>) =>
    (await call("create_form", args)) as {
      data: { short_link_key: string; recipient_email: string; pages: Array<{ schemas: string[] }> };
    };
  const send_request = async (args: Record<string, unknown>) =>
    (await call("send_request", args)) as {
      data: { request_short_code: string; recipient_email: string; access_application_id: string };
    };
  const poll_and_retrieve = async (args: { request_short_code: string }) => {
    const result = (await call("poll_and_retrieve", args)) as PollResult;
    polls.push(result);
    if (result.data === null && !answered) {
      answered = true;
      await submit(args.request_short_code);
    }
    return result;
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  // ---- the README's example, unchanged apart from the recipient's address ----
  const schemas = await list_schemas();

  const aa = await create_access_application({
    name: "Tax Filing Assistant",
    description: "Collecting tax information",
  });

  const form = await create_form({
    access_application_id: aa.data.access_application_id,
    system_schemas: ["ss_Right_To_Work", "ss_Phone_Number"],
    recipient_email: "user@example.com",
  });

  const request = await send_request({
    access_application_id: aa.data.access_application_id,
    short_link_key: form.data.short_link_key,
    recipient_email: "user@example.com",
    message: "Please share your information",
    expiry_minutes: 10,
  });

  let data = null;
  while (!data) {
    const result = await poll_and_retrieve({
      request_short_code: request.data.request_short_code,
    });
    if (result.data) data = result.data;
    else await sleep(5000);
  }
  // ---- end of the example ----

  expect(data).toEqual(SUBMITTED);

  expect(schemas.items.map((item) => item.name)).toEqual(
    expect.arrayContaining(["ss_Right_To_Work", "ss_Phone_Number"]),
  );
  // The documented names carry the ids.
  expect(aa.data.access_application_id).toMatch(/^[0-9a-f-]{36}$/);
  expect(aa.data.schemas).toEqual([]);
  expect(form.data.short_link_key).toMatch(/^[A-Za-z0-9_-]{22}$/);
  expect(form.data.recipient_email).toBe("user@example.com");
  expect(form.data.pages.map((page) => page.schemas)).toEqual([["ss_Right_To_Work"], ["ss_Phone_Number"]]);
  expect(request.data.request_short_code).toMatch(/^[A-Za-z0-9_-]{22}$/);
  expect(request.data).toMatchObject({
    recipient_email: "user@example.com",
    access_application_id: aa.data.access_application_id,
  });

  // data is null until the person answers, and status and submission details sit beside it.
  expect(polls).toHaveLength(2);
  expect(polls[0]).toMatchObject({ status: "pending", data: null, submission: null });
  expect(polls[1]).toMatchObject({
    status: "submitted",
    submission: {
      status: "submitted",
      confirmation_code: expect.any(String),
      submitted_at: expect.any(String),
    },
  });
}

/** The sandbox's stand-in for the person answering the request. */
export function submitAs(sandboxUrl: string): (requestShortCode: string) => Promise<void> {
  return async (code) => {
    const response = await fetch(`${sandboxUrl}/sandbox/v1/requests/${code}/submit`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ data: SUBMITTED }),
    });
    expect(response.status).toBe(201);
  };
}
