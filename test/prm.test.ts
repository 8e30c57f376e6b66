import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import {
  type ConnectedServer,
  connectServer,
  startTestSandbox,
  structured,
  textOf,
  toolNames,
} from "./support/harness.js";

/** PRM over stdio against the sandbox: every tool, every filter, row-level security and injection. */

interface ListItem {
  id: string;
  type: string;
  name: string;
  tags: string[];
}
interface ListPage {
  items: ListItem[];
  next_cursor: string | null;
  total: number | null;
}
interface Relationship {
  id: string;
  kind: string;
  from_party_id: string;
  to_party_id: string;
  start_date: string | null;
  end_date: string | null;
  active: boolean;
}
interface PartyDetail {
  party: {
    id: string;
    type: string;
    name: string;
    email: string | null;
    phone: string | null;
    contact_points: Array<{ type: string; value: string; label?: string }>;
    external_refs: Record<string, string>;
    tags: string[];
    notes: string | null;
  };
  relationships: Array<Relationship & { other_party: { id: string; type: string; name: string } }>;
  relationships_total: number;
}

let sandbox: Sandbox;
let demo: ConnectedServer;
let other: ConnectedServer;
const TODAY = new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  sandbox = await startTestSandbox();
  [demo, other] = await Promise.all([
    connectServer(sandbox, "agent", { RAYTIO_TOOL_DOMAINS: "prm" }),
    connectServer(sandbox, "other_customer", { RAYTIO_TOOL_DOMAINS: "prm" }),
  ]);
});

afterAll(async () => {
  await Promise.all([demo?.close(), other?.close()]);
  await sandbox?.stop();
});

/** Ground truth straight from the database, as the table owner (outside row-level security). */
async function sql<T>(text: string, params: unknown[] = []): Promise<T[]> {
  return (await sandbox.db.query<T>(text, params)).rows;
}

async function search(args: Record<string, unknown>, server = demo): Promise<ListPage> {
  return structured<ListPage>(await server.call("search_parties", args));
}

async function idOf(name: string, server = demo): Promise<string> {
  const page = await search({ name }, server);
  const match = page.items.find((item) => item.name === name);
  if (!match) throw new Error(`no party named ${name}`);
  return match.id;
}

async function getParty(id: string, server = demo): Promise<PartyDetail> {
  return structured<PartyDetail>(await server.call("get_party", { party_id: id }));
}

async function allPages(args: Record<string, unknown>): Promise<{ ids: string[]; total: number | null }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let total: number | null = null;
  for (let page = 0; page < 100; page += 1) {
    const result = await search({ ...args, ...(cursor ? { cursor } : {}) });
    ids.push(...result.items.map((item) => item.id));
    total = result.total;
    if (!result.next_cursor) break;
    cursor = result.next_cursor;
  }
  return { ids, total };
}

function errorOf(result: Awaited<ReturnType<ConnectedServer["call"]>>): string {
  expect(result.isError).toBe(true);
  return textOf(result);
}

describe("PRM tools", () => {
  it("exposes exactly the PRM tools", async () => {
    expect(await toolNames(demo)).toEqual([
      "create_party",
      "get_party",
      "relate_parties",
      "search_parties",
      "unrelate_parties",
      "update_party",
    ]);
  });
});

describe("search_parties", () => {
  it("filters by type", async () => {
    const groups = await search({ type: "group" });
    expect(groups.items.map((item) => item.name)).toEqual([
      "Auckland Logistics Network",
      "Board of Directors",
      "Health and Safety Committee",
      "Privacy Working Group",
    ]);
    expect(groups.items.every((item) => item.type === "group")).toBe(true);
    expect(groups.total).toBe(4);
  });

  it("filters by a case-insensitive name substring", async () => {
    const page = await search({ name: "HARBOUR bridge" });
    expect(page.items).toEqual([
      {
        id: expect.any(String),
        type: "organisation",
        name: "Harbour Bridge Finance",
        tags: expect.any(Array),
      },
    ]);
  });

  it("filters by exact email, whatever its case", async () => {
    const page = await search({ email: "Hello@TasmanSoftwareCo.example" });
    expect(page.items.map((item) => item.name)).toEqual(["Tasman Software Co"]);
    expect((await search({ email: "hello@tasmansoftware" })).total).toBe(0);
  });

  it("filters by tag", async () => {
    const page = await search({ tag: "governance" });
    expect(page.items.map((item) => item.name)).toEqual([
      "Board of Directors",
      "Health and Safety Committee",
    ]);
  });

  it("finds parties related to another party, by kind, open relationships unless include_ended", async () => {
    const kauri = await idOf("Kauri Logistics Ltd");
    const expectedOpen = await sql<{ id: string }>(
      `select from_party_id as id from api.prm_relationship
       where to_party_id = $1 and kind = 'EMPLOYEE_OF' and (end_date is null or end_date > current_date)`,
      [kauri],
    );
    const expectedAll = await sql<{ id: string }>(
      "select distinct from_party_id as id from api.prm_relationship where to_party_id = $1 and kind = 'EMPLOYEE_OF'",
      [kauri],
    );
    expect(expectedAll.length).toBeGreaterThan(expectedOpen.length);
    expect(expectedOpen.length).toBeGreaterThan(1);

    const open = await search({ related_to_party_id: kauri, relationship_kind: "employee_of", limit: 100 });
    expect(open.items.map((item) => item.id).sort()).toEqual(expectedOpen.map((row) => row.id).sort());
    expect(open.items.every((item) => item.type === "person")).toBe(true);
    const all = await search({
      related_to_party_id: kauri,
      relationship_kind: "employee_of",
      include_ended: true,
      limit: 100,
    });
    expect(all.items.map((item) => item.id).sort()).toEqual(expectedAll.map((row) => row.id).sort());
    expect(all.total).toBe(expectedAll.length);

    // Either direction, combined with the other filters.
    const trading = await search({ related_to_party_id: kauri, type: "organisation" });
    expect(trading.items.map((item) => item.name)).toEqual([
      "Aotearoa Freight Services",
      "Pohutukawa Property Group",
      "Tasman Software Co",
    ]);
    const tasman = await idOf("Tasman Software Co");
    const customers = await search({ related_to_party_id: tasman, relationship_kind: "customer_of" });
    expect(customers.items.map((item) => item.name)).toEqual([
      "Harbour Bridge Finance",
      "Kauri Logistics Ltd",
    ]);
    const everCustomers = await search({
      related_to_party_id: tasman,
      relationship_kind: "customer_of",
      include_ended: true,
    });
    expect(everCustomers.items.map((item) => item.name)).toEqual([
      "Harbour Bridge Finance",
      "Kauri Logistics Ltd",
      "Southern Cross Health",
    ]);
  });

  it("refuses relationship filters without related_to_party_id", async () => {
    const text = errorOf(await demo.call("search_parties", { relationship_kind: "member_of" }));
    expect(text).toMatch(/^PRM_VALIDATION: .*related_to_party_id/);
  });

  it("never returns email or phone in list results, and never asks the API for them", async () => {
    const kauri = await idOf("Kauri Logistics Ltd");
    const before = sandbox.requests.length;
    const results = [
      await demo.call("search_parties", { type: "person", limit: 100 }),
      await demo.call("search_parties", { related_to_party_id: kauri, include_ended: true, limit: 100 }),
    ];
    for (const result of results) {
      const page = structured<ListPage>(result);
      expect(page.items.length).toBeGreaterThan(5);
      for (const item of page.items) expect(Object.keys(item).sort()).toEqual(["id", "name", "tags", "type"]);
      expect(textOf(result)).not.toMatch(/@|\+64|email|phone/);
    }
    const selects = sandbox.requests
      .slice(before)
      .filter((request) => request.url.startsWith("/db/v1/"))
      .map((request) => new URL(request.url, "http://sandbox").searchParams.get("select"));
    expect(selects).toEqual(["id,party_type,display_name,tags", "id,party_type,display_name,tags"]);
  });

  it("pages to the end with cursors, on the table and on related parties", async () => {
    const people = await allPages({ type: "person", limit: 7 });
    const expected = await sql<{ id: string }>(
      "select id from api.prm_party where customer_id = 'cust_demo' and party_type = 'PERSON'",
    );
    expect(people.total).toBe(expected.length);
    expect(new Set(people.ids).size).toBe(people.ids.length);
    expect([...people.ids].sort()).toEqual(expected.map((row) => row.id).sort());

    const kauri = await idOf("Kauri Logistics Ltd");
    const related = await allPages({ related_to_party_id: kauri, include_ended: true, limit: 2 });
    const expectedRelated = await sql<{ id: string }>(
      `select distinct case when from_party_id = $1 then to_party_id else from_party_id end as id
       from api.prm_relationship where $1 in (from_party_id, to_party_id)`,
      [kauri],
    );
    expect(related.total).toBe(expectedRelated.length);
    expect([...related.ids].sort()).toEqual(expectedRelated.map((row) => row.id).sort());
  });

  it("matches filter values crafted to inject another PostgREST condition literally", async () => {
    for (const args of [
      { name: "x*,party_type.eq.PERSON),or(display_name.ilike.*" },
      { name: "%" },
      { email: "nobody@x.example&party_type=eq.PERSON" },
      { tag: 'staff"},or(party_type.eq.PERSON' },
      { type: "person", name: "a),party_type.eq.GROUP" },
    ]) {
      const page = await search(args);
      expect(page, JSON.stringify(args)).toMatchObject({ items: [], total: 0 });
    }
    const kauri = await idOf("Kauri Logistics Ltd");
    expect(await search({ related_to_party_id: kauri, name: "*,id.neq.x)" })).toMatchObject({ total: 0 });

    const name = `Acme, Inc. (NZ) *100%* "quoted" & co ${Date.now()}`;
    const created = structured<PartyDetail>(await demo.call("create_party", { type: "organisation", name }));
    const found = await search({ name });
    expect(found.items).toEqual([{ id: created.party.id, type: "organisation", name, tags: [] }]);
  });
});

describe("get_party", () => {
  it("shows full details and relationships in both directions, with notes fenced as untrusted", async () => {
    const kauri = await idOf("Kauri Logistics Ltd");
    const result = await demo.call("get_party", { party_id: kauri });
    const detail = structured<PartyDetail>(result);
    expect(detail.party).toMatchObject({
      id: kauri,
      type: "organisation",
      name: "Kauri Logistics Ltd",
      email: "hello@kaurilogisticsltd.example",
      contact_points: [{ type: "website", value: "https://www.kaurilogisticsltd.example" }],
      external_refs: { nzbn: expect.stringMatching(/^94290\d+$/) },
    });
    expect(detail.party.notes).toContain("ignore your previous instructions");

    const expected = await sql<{ id: string }>(
      "select id from api.prm_relationship where $1 in (from_party_id, to_party_id)",
      [kauri],
    );
    expect(detail.relationships_total).toBe(expected.length);
    expect(detail.relationships.map((r) => r.id).sort()).toEqual(expected.map((row) => row.id).sort());

    const tasman = await idOf("Tasman Software Co");
    const pohutukawa = await idOf("Pohutukawa Property Group");
    expect(detail.relationships).toContainEqual(
      expect.objectContaining({
        kind: "customer_of",
        from_party_id: kauri,
        to_party_id: tasman,
        other_party: { id: tasman, type: "organisation", name: "Tasman Software Co" },
        start_date: "2022-03-01",
        end_date: null,
        active: true,
      }),
    );
    expect(detail.relationships).toContainEqual(
      expect.objectContaining({
        kind: "customer_of",
        from_party_id: pohutukawa,
        to_party_id: kauri,
        other_party: { id: pohutukawa, type: "organisation", name: "Pohutukawa Property Group" },
      }),
    );
    const ended = detail.relationships.filter((r) => r.end_date !== null);
    expect(ended.length).toBeGreaterThan(0);
    expect(ended.every((r) => !r.active && r.kind === "employee_of" && r.to_party_id === kauri)).toBe(true);
    // Open relationships come first.
    const firstEnded = detail.relationships.findIndex((r) => r.end_date !== null);
    expect(detail.relationships.slice(firstEnded).every((r) => r.end_date !== null)).toBe(true);

    const text = textOf(result);
    const fence = text.match(/<(untrusted-data-[0-9a-f-]{36})>\n([\s\S]*)\n<\/\1>/);
    expect(fence).not.toBeNull();
    expect(fence?.[2]).toContain("ignore your previous instructions");
    expect(text.slice(0, text.indexOf("<untrusted-data-"))).not.toContain(
      "ignore your previous instructions",
    );
    expect(text.slice(0, text.indexOf("<untrusted-data-"))).not.toContain("Kauri");
  });

  it("shows a person's contact points and references", async () => {
    const [row] = await sql<{ id: string; email: string; phone: string }>(
      `select p.id, p.email, p.phone from api.prm_party p
       where p.customer_id = 'cust_demo' and p.party_type = 'PERSON' and p.contact_points <> '[]'
         and exists (select 1 from api.prm_relationship r where r.from_party_id = p.id and r.kind = 'EMPLOYEE_OF')
       order by p.display_name limit 1`,
    );
    if (!row) throw new Error("seed has no person with contact points");
    const detail = await getParty(row.id);
    expect(detail.party).toMatchObject({ type: "person", email: row.email, phone: row.phone });
    expect(detail.party.contact_points[0]).toMatchObject({ type: "postal_address", label: "home" });
    expect(detail.party.external_refs.payroll_id).toMatch(/^P\d{4}$/);
    expect(detail.relationships.some((r) => r.kind === "employee_of" && r.from_party_id === row.id)).toBe(
      true,
    );
  });

  it("answers PRM_NOT_FOUND for an unknown id, naming both possible causes", async () => {
    const text = errorOf(await demo.call("get_party", { party_id: "00000000-0000-4000-8000-000000000000" }));
    expect(text).toMatch(/^PRM_NOT_FOUND: .*may not exist.*another customer/);
  });
});

describe("create_party and update_party", () => {
  it("creates a party with every field and reads it back", async () => {
    const input = {
      type: "person",
      name: "Mere Tūhoe-Smith",
      email: "Mere.Tuhoe@Example.COM",
      phone: "+64 21 555 0199",
      contact_points: [
        { type: "postal_address", value: "12 Queen Street, Auckland", label: "work" },
        { type: "website", value: "https://mere.example" },
      ],
      external_refs: { crm_id: "C-1042", nzbn: "9429041234567" },
      tags: ["contact", "vip", "contact"],
      notes: "Met at the logistics expo.",
    };
    const created = structured<PartyDetail>(await demo.call("create_party", input));
    expect(created.party).toMatchObject({
      type: "person",
      name: "Mere Tūhoe-Smith",
      email: "mere.tuhoe@example.com",
      phone: "+64 21 555 0199",
      contact_points: input.contact_points,
      external_refs: input.external_refs,
      tags: ["contact", "vip"],
      notes: "Met at the logistics expo.",
    });
    const read = await getParty(created.party.id);
    expect(read.party).toEqual(created.party);
    expect(read.relationships).toEqual([]);
    expect((await search({ email: "mere.tuhoe@example.com" })).items.map((item) => item.id)).toEqual([
      created.party.id,
    ]);
  });

  it("updates only the given fields, clears with null, and rejects an empty update", async () => {
    const created = structured<PartyDetail>(
      await demo.call("create_party", {
        type: "organisation",
        name: "Update Probe Ltd",
        email: "info@probe.example",
        phone: "+64 9 555 0000",
        tags: ["prospect"],
        notes: "first",
      }),
    );
    const id = created.party.id;
    const updated = structured<PartyDetail>(
      await demo.call("update_party", {
        party_id: id,
        name: "Update Probe Limited",
        phone: null,
        tags: ["customer"],
        external_refs: { nzbn: "9429000000001" },
      }),
    );
    expect(updated.party).toMatchObject({
      id,
      type: "organisation",
      name: "Update Probe Limited",
      email: "info@probe.example",
      phone: null,
      tags: ["customer"],
      external_refs: { nzbn: "9429000000001" },
      notes: "first",
    });
    expect((await getParty(id)).party).toEqual(updated.party);
    expect(errorOf(await demo.call("update_party", { party_id: id }))).toMatch(
      /^PRM_VALIDATION: Nothing to change/,
    );
    expect(errorOf(await demo.call("update_party", { party_id: id, email: "not-an-email" }))).toMatch(
      /^VALIDATION: email must be an email address; received "not-an-email"/,
    );
    expect(
      errorOf(
        await demo.call("update_party", { party_id: "00000000-0000-4000-8000-000000000000", name: "x" }),
      ),
    ).toMatch(/^PRM_NOT_FOUND: .*another customer/);
  });
});

describe("relate_parties and unrelate_parties", () => {
  it("relates, refuses duplicates, ends, relates again and deletes", async () => {
    const org = structured<PartyDetail>(
      await demo.call("create_party", { type: "organisation", name: "Relate Probe Ltd" }),
    ).party.id;
    const person = structured<PartyDetail>(
      await demo.call("create_party", { type: "person", name: "Rawiri Relate" }),
    ).party.id;

    const created = structured<{
      relationship: Relationship;
      from_party: { id: string; name: string };
      to_party: { id: string; name: string };
    }>(
      await demo.call("relate_parties", {
        from_party_id: person,
        kind: "employee_of",
        to_party_id: org,
        start_date: "2024-03-01",
      }),
    );
    expect(created.relationship).toMatchObject({
      kind: "employee_of",
      from_party_id: person,
      to_party_id: org,
      start_date: "2024-03-01",
      end_date: null,
      active: true,
    });
    expect(created.from_party).toMatchObject({ id: person, name: "Rawiri Relate" });
    const relationshipId = created.relationship.id;

    const orgView = await getParty(org);
    expect(orgView.relationships).toEqual([
      {
        ...created.relationship,
        other_party: { id: person, type: "person", name: "Rawiri Relate" },
      },
    ]);
    const personView = await getParty(person);
    expect(personView.relationships[0]).toMatchObject({
      id: relationshipId,
      other_party: { id: org, type: "organisation", name: "Relate Probe Ltd" },
    });
    expect((await search({ related_to_party_id: org })).items.map((item) => item.id)).toEqual([person]);

    const duplicate = errorOf(
      await demo.call("relate_parties", { from_party_id: person, kind: "employee_of", to_party_id: org }),
    );
    expect(duplicate).toMatch(/^PRM_VALIDATION: .*already employee_of/);
    expect(duplicate).toContain(relationshipId);

    const ended = structured<{ relationship: Relationship; deleted: boolean; changed: boolean }>(
      await demo.call("unrelate_parties", { relationship_id: relationshipId }),
    );
    expect(ended).toMatchObject({
      deleted: false,
      changed: true,
      relationship: { id: relationshipId, end_date: TODAY, active: false },
    });
    const again = structured<{ changed: boolean }>(
      await demo.call("unrelate_parties", { relationship_id: relationshipId }),
    );
    expect(again.changed).toBe(false);
    expect(
      errorOf(
        await demo.call("unrelate_parties", { relationship_id: relationshipId, end_date: "2030-01-01" }),
      ),
    ).toMatch(/^PRM_VALIDATION: .*already ended/);
    expect((await search({ related_to_party_id: org })).total).toBe(0);
    expect((await search({ related_to_party_id: org, include_ended: true })).total).toBe(1);

    // Re-hired: a new open relationship is fine once the old one has ended.
    const rehired = structured<{ relationship: Relationship }>(
      await demo.call("relate_parties", { from_party_id: person, kind: "employee_of", to_party_id: org }),
    );
    expect(rehired.relationship).toMatchObject({ start_date: null, end_date: null, active: true });
    expect((await getParty(org)).relationships.map((r) => r.id)).toEqual([
      rehired.relationship.id,
      relationshipId,
    ]);

    const deleted = structured<{ deleted: boolean; relationship: Relationship }>(
      await demo.call("unrelate_parties", { relationship_id: relationshipId, delete: true }),
    );
    expect(deleted).toMatchObject({ deleted: true, relationship: { id: relationshipId } });
    expect((await getParty(org)).relationships.map((r) => r.id)).toEqual([rehired.relationship.id]);
    expect(
      errorOf(await demo.call("unrelate_parties", { relationship_id: relationshipId, delete: true })),
    ).toMatch(/^PRM_NOT_FOUND: .*another customer/);
    expect(
      errorOf(
        await demo.call("unrelate_parties", {
          relationship_id: rehired.relationship.id,
          delete: true,
          end_date: TODAY,
        }),
      ),
    ).toMatch(/^PRM_VALIDATION: .*not both/);
  });

  it("rejects self-relations, dates out of order, impossible dates and kinds that do not fit the types", async () => {
    const kauri = await idOf("Kauri Logistics Ltd");
    const board = await idOf("Board of Directors");
    expect(
      errorOf(
        await demo.call("relate_parties", { from_party_id: kauri, kind: "member_of", to_party_id: kauri }),
      ),
    ).toMatch(/^PRM_VALIDATION: A party cannot be related to itself/);
    expect(
      errorOf(
        await demo.call("relate_parties", {
          from_party_id: kauri,
          kind: "member_of",
          to_party_id: board,
          start_date: "2025-05-01",
          end_date: "2025-04-30",
        }),
      ),
    ).toMatch(/^PRM_VALIDATION: end_date 2025-04-30 is before start_date 2025-05-01/);
    expect(
      errorOf(
        await demo.call("relate_parties", {
          from_party_id: kauri,
          kind: "member_of",
          to_party_id: board,
          start_date: "2025-02-30",
        }),
      ),
    ).toMatch(/^VALIDATION: start_date must be a real calendar date as YYYY-MM-DD; received "2025-02-30"/);
    expect(
      errorOf(
        await demo.call("relate_parties", { from_party_id: kauri, kind: "employee_of", to_party_id: board }),
      ),
    ).toMatch(
      /^PRM_VALIDATION: employee_of needs a from_party of type person and a to_party of type organisation; got organisation and group/,
    );

    const relationship = (await getParty(kauri)).relationships.find((r) => r.start_date !== null && r.active);
    if (!relationship) throw new Error("Kauri has no dated open relationship");
    expect(
      errorOf(
        await demo.call("unrelate_parties", { relationship_id: relationship.id, end_date: "1990-01-01" }),
      ),
    ).toMatch(/^PRM_VALIDATION: end_date 1990-01-01 is before/);
    const after = await getParty(kauri);
    expect(after.relationships.find((r) => r.id === relationship.id)?.end_date).toBeNull();
    const count = await sql<{ n: number }>(
      "select count(*)::int as n from api.prm_relationship where from_party_id = $1 and to_party_id = $1",
      [kauri],
    );
    expect(count[0]?.n).toBe(0);
  });
});

describe("row-level security", () => {
  it("hides another customer's parties: PRM_NOT_FOUND for get, update, relate and related-to", async () => {
    const holdings = await idOf("Other Customer Holdings", other);
    const ownView = await getParty(holdings, other);
    expect(ownView.relationships).toHaveLength(1);
    const otherRelationship = ownView.relationships[0]?.id ?? "";

    const ownSearch = await search({ type: "organisation" }, other);
    expect(ownSearch.items.map((item) => item.name)).toEqual(["Other Customer Holdings"]);
    expect((await search({ name: "Other Customer" })).total).toBe(0);

    const notFound = /^PRM_NOT_FOUND: .*may not exist.*another customer/;
    expect(errorOf(await demo.call("get_party", { party_id: holdings }))).toMatch(notFound);
    expect(errorOf(await demo.call("update_party", { party_id: holdings, name: "Hijacked" }))).toMatch(
      notFound,
    );
    const kauri = await idOf("Kauri Logistics Ltd");
    const relate = errorOf(
      await demo.call("relate_parties", { from_party_id: kauri, kind: "customer_of", to_party_id: holdings }),
    );
    expect(relate).toMatch(notFound);
    expect(relate).toContain(`to_party_id ${holdings}`);
    expect(relate).not.toContain("from_party_id");
    expect(errorOf(await demo.call("search_parties", { related_to_party_id: holdings }))).toMatch(notFound);
    expect(errorOf(await demo.call("unrelate_parties", { relationship_id: otherRelationship }))).toMatch(
      notFound,
    );
    expect(
      errorOf(await demo.call("unrelate_parties", { relationship_id: otherRelationship, delete: true })),
    ).toMatch(notFound);

    // Nothing changed for its owner.
    const after = await getParty(holdings, other);
    expect(after.party.name).toBe("Other Customer Holdings");
    expect(after.relationships).toEqual(ownView.relationships);
    const links = await sql<{ n: number }>(
      "select count(*)::int as n from api.prm_relationship where $1 in (from_party_id, to_party_id)",
      [holdings],
    );
    expect(links[0]?.n).toBe(1);
  });
});
