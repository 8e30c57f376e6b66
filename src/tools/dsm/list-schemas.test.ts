import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { RaytioError } from "../../errors.js";
import { listSystemSchemas } from "../../schemas/loader.js";
import type { ToolContext } from "../core/tool.js";
import tool from "./list-schemas.js";

/** Any touch of the API, tokens or config fails the test: the catalogue is local. */
const forbidden = (what: string) =>
  new Proxy(
    {},
    {
      get: (_target, property) => {
        throw new Error(`list_schemas used ${what}.${String(property)}`);
      },
    },
  );

const context = {
  api: forbidden("api"),
  tokens: forbidden("tokens"),
  config: forbidden("config"),
  logger: forbidden("logger"),
  signal: new AbortController().signal,
  progress: async () => undefined,
} as unknown as ToolContext;

type Output = z.output<typeof tool.outputSchema>;

async function call(input: Record<string, unknown>): Promise<Output> {
  const raw = await tool.handler(tool.inputSchema.parse(input), context);
  return tool.outputSchema.parse(raw);
}

describe("list_schemas", () => {
  it("is a read-only, closed-world dsm tool", () => {
    expect(tool.name).toBe("list_schemas");
    expect(tool.domain).toBe("dsm");
    expect(tool.annotations).toEqual({
      readOnlyHint: true,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: false,
    });
    expect(tool.description.length).toBeLessThan(200);
  });

  it("lists every schema without fields by default", async () => {
    const output = await call({ limit: 100 });
    expect(output.total).toBe(listSystemSchemas().length);
    expect(output.items).toHaveLength(listSystemSchemas().length);
    expect(output.next_cursor).toBeNull();
    expect(output.items.every((item) => item.fields === undefined)).toBe(true);
    const passport = output.items.find((item) => item.name === "ss_Passport");
    expect(passport?.encrypted_fields).toContain("passport_number");
    expect(passport?.field_count).toBeGreaterThan(0);
  });

  it("filters by keyword", async () => {
    const output = await call({ query: "passport" });
    expect(output.items.map((item) => item.name)).toEqual(expect.arrayContaining(["ss_Passport", "ss_Visa"]));
    expect(output.total).toBe(output.items.length);
    expect(output.items.map((item) => item.name)).not.toContain("ss_Phone_Number");

    const none = await call({ query: "zebra crossing" });
    expect(none).toMatchObject({ items: [], total: 0, next_cursor: null });
    expect(tool.summarize?.(none)).toBe("0 schemas of 0.");
  });

  it("includes each field's name, title, type, encryption and requiredness on request", async () => {
    const output = await call({ query: "ss_Passport", include_fields: true });
    const passport = output.items.find((item) => item.name === "ss_Passport");
    expect(passport?.fields).toHaveLength(passport?.field_count ?? -1);
    expect(passport?.fields).toContainEqual({
      name: "passport_number",
      title: "Passport number",
      type: "string",
      encrypted: true,
      required: true,
    });
    expect(passport?.fields).toContainEqual({
      name: "nationality",
      title: "Nationality",
      type: "string",
      encrypted: false,
      required: false,
    });
    const encrypted = passport?.fields?.filter((field) => field.encrypted).map((field) => field.name);
    expect(encrypted).toEqual(passport?.encrypted_fields);
  });

  it("pages to the end without repeats or gaps", async () => {
    const everything = listSystemSchemas().map((summary) => summary.name);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const output = await call({ limit: 4, include_fields: pages % 2 === 1, ...(cursor ? { cursor } : {}) });
      expect(output.total).toBe(everything.length);
      expect(output.items.length).toBeLessThanOrEqual(4);
      seen.push(...output.items.map((item) => item.name));
      cursor = output.next_cursor ?? undefined;
      if (cursor) expect(tool.summarize?.(output)).toContain("pass next_cursor as cursor");
      pages += 1;
    } while (cursor && pages < 20);
    expect(seen).toEqual(everything);
    expect(pages).toBe(Math.ceil(everything.length / 4));
  });

  it("pages a filtered list and refuses a cursor replayed with another query", async () => {
    const first = await call({ query: "verify", limit: 2 });
    expect(first.next_cursor).not.toBeNull();
    const second = await call({ query: "verify", limit: 2, cursor: first.next_cursor });
    expect(second.items[0]?.name).not.toBe(first.items[0]?.name);
    await expect(call({ query: "passport", limit: 2, cursor: first.next_cursor })).rejects.toBeInstanceOf(
      RaytioError,
    );
  });

  it("rejects an over-long query", () => {
    expect(tool.inputSchema.safeParse({ query: "x".repeat(101) }).success).toBe(false);
  });
});
