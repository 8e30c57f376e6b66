import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import { decodeFallbacks, prepareInputSchema } from "../src/tools/core/schema-fallback.js";
import { findTool } from "../src/tools/registry.js";
import {
  type AbuseServer,
  expectCleanOutcome,
  expectHealthy,
  initializeRaw,
  type RawServer,
  spawnRaw,
  startServer,
} from "./support/abuse.js";
import {
  deeplyNested,
  type InvalidCase,
  invalidArgsArb,
  type JsonSchema,
  NASTY_STRINGS,
  ONE_MEBIBYTE,
  validArgsArb,
  withProtoKeys,
} from "./support/fuzz-arbitraries.js";
import { startTestSandbox } from "./support/harness.js";

/**
 * Bad input from the client: arguments generated from every tool's published input schema (valid-shaped
 * ones really execute against the sandbox, through a read-only server), hand-picked nasties, write
 * tools with only invalid arguments, and malformed JSON-RPC lines. Every call must come back (a
 * result or a JSON-RPC error), never as INTERNAL_ERROR, and the process must keep serving.
 */
/**
 * These tests do a fixed amount of work, sequentially; on a loaded two-core machine it can take minutes.
 * The limit only catches a hang, so it is far above what any machine needs.
 */
const FIXED_WORK_TIMEOUT_MS = 600_000;

const RUNS_PER_READ_TOOL = 25;
const RUNS_PER_WRITE_TOOL = 12;
/** FUZZ_SEED=<n> replays a failing run (fast-check prints the seed). */
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

let sandbox: Sandbox;
let reader: AbuseServer;
let writer: AbuseServer;
const ENV = {
  RAYTIO_TOOL_DOMAINS: "dsm,ppm,prm,wrm",
  RAYTIO_REQUEST_TIMEOUT_SECONDS: "2",
  RAYTIO_POLL_INTERVAL_SECONDS: "0.5",
};

beforeAll(async () => {
  sandbox = await startTestSandbox();
  [reader, writer] = await Promise.all([
    startServer(sandbox, "agent", { ...ENV, RAYTIO_READ_ONLY: "true" }),
    startServer(sandbox, "agent", ENV),
  ]);
});

afterAll(async () => {
  await Promise.all([reader?.close(), writer?.close()]);
  await sandbox.stop();
});

const schemaOf = (tool: Tool) => tool.inputSchema as JsonSchema;

/** True when the server would run the tool's handler with these arguments (both validation layers pass). */
function wouldExecute(name: string, args: unknown): boolean {
  const tool = findTool(name);
  if (!tool) return false;
  if (args !== undefined && (typeof args !== "object" || args === null || Array.isArray(args))) return false;
  const sent = JSON.parse(JSON.stringify(args ?? {})) as unknown;
  const prepared = prepareInputSchema(tool.inputSchema);
  const accepted = prepared.schema.safeParse(sent);
  if (!accepted.success) return false;
  if (prepared.fallbacks.length === 0) return true;
  return tool.inputSchema.safeParse(decodeFallbacks(accepted.data, prepared.fallbacks)).success;
}

/** A few ids of every kind of record in the sandbox, so generated calls also hit rows that exist. */
async function realIds(): Promise<string[]> {
  const tables = await sandbox.db.query<{ table_name: string }>(
    "select table_name from information_schema.columns where table_schema = 'api' and column_name = 'id' and data_type = 'uuid'",
  );
  const ids: string[] = [];
  for (const { table_name } of tables.rows) {
    const rows = await sandbox.db.query<{ id: string }>(
      `select id::text as id from api.${table_name} limit 5`,
    );
    ids.push(...rows.rows.map((row) => row.id));
  }
  return ids;
}

/** Assigns (and so consumes) one transaction id: an unchanged counter means nothing was written. */
async function currentXid(): Promise<number> {
  const result = await sandbox.db.query<{ xid: string }>("select pg_current_xact_id()::text as xid");
  return Number(result.rows[0]?.xid);
}

describe("arguments generated from every tool's input schema", () => {
  it(
    "read tools: valid-shaped arguments execute and invalid ones are refused, never INTERNAL_ERROR",
    async () => {
      const tools = await reader.tools();
      expect(tools.length).toBeGreaterThan(0);
      expect(tools.every((tool) => tool.annotations?.readOnlyHint === true)).toBe(true);
      const ids = await realIds();
      let executed = 0;
      for (const tool of tools) {
        const cases: fc.Arbitrary<InvalidCase> = fc.oneof(
          validArgsArb(schemaOf(tool), { ids }).map((args) => ({ args, mutation: "valid-shaped" })),
          invalidArgsArb(schemaOf(tool)),
        );
        await fc.assert(
          fc.asyncProperty(cases, async ({ args, mutation }) => {
            const outcome = await reader.call(tool.name, args);
            expectCleanOutcome(outcome, `${tool.name} (${mutation})`);
            if (outcome.result && !outcome.result.isError) executed += 1;
          }),
          { numRuns: RUNS_PER_READ_TOOL, ...(SEED === undefined ? {} : { seed: SEED }) },
        );
      }
      // Enough generated calls got past validation to exercise the tools themselves.
      expect(executed).toBeGreaterThan(tools.length);
      await expectHealthy(reader);
    },
    FIXED_WORK_TIMEOUT_MS,
  );

  it(
    "write tools: only invalid arguments, none of which writes anything",
    async () => {
      const tools = (await writer.tools()).filter((tool) => tool.annotations?.readOnlyHint !== true);
      expect(tools.length).toBeGreaterThan(0);
      const xidBefore = await currentXid();
      const requestsBefore = sandbox.requests.length;
      for (const tool of tools) {
        await fc.assert(
          fc.asyncProperty(invalidArgsArb(schemaOf(tool)), async ({ args, mutation }) => {
            fc.pre(!wouldExecute(tool.name, args));
            const outcome = await writer.call(tool.name, args);
            expectCleanOutcome(outcome, `${tool.name} (${mutation})`);
            expect(outcome.rpcError !== undefined || outcome.result.isError === true).toBe(true);
          }),
          { numRuns: RUNS_PER_WRITE_TOOL, ...(SEED === undefined ? {} : { seed: SEED }) },
        );
      }
      const writes = sandbox.requests
        .slice(requestsBefore)
        .filter((request) => request.method !== "GET" && request.url.startsWith("/db/v1/"));
      expect(writes.map((request) => `${request.method} ${request.url}`)).toEqual([]);
      expect(await currentXid()).toBe(xidBefore + 1);
      await expectHealthy(writer);
    },
    FIXED_WORK_TIMEOUT_MS,
  );
});

describe("hand-picked nasty arguments", () => {
  const hugeString = "h".repeat(ONE_MEBIBYTE);
  const nastyValues: Array<[string, unknown]> = [
    ...NASTY_STRINGS.map((value): [string, unknown] => [
      `string ${JSON.stringify(value).slice(0, 40)}`,
      value,
    ]),
    ["a 1 MiB string", hugeString],
    ["a 1 MiB string of NUL bytes", "\u0000".repeat(ONE_MEBIBYTE)],
    ["an object nested 1,000 levels", deeplyNested(1_000)],
    ["an array nested 1,000 levels", deeplyNested(1_000, "array")],
    ["an array of 10,000 items", Array.from({ length: 10_000 }, (_, index) => `item-${index}`)],
    ["-1", -1],
    ["1e308", 1e308],
    ["-0.5", -0.5],
    ["2^53 + 2", 2 ** 53 + 2],
    ["an object with prototype-pollution keys", withProtoKeys({})],
  ];
  const wholeArguments: Array<[string, unknown]> = [
    ["prototype-pollution keys at the top", withProtoKeys({})],
    ["an extra key nested 1,000 levels", { extra: deeplyNested(1_000) }],
    [
      "5,000 extra keys",
      Object.fromEntries(Array.from({ length: 5_000 }, (_, index) => [`k${index}`, index])),
    ],
    ["a 1 MiB key", { [hugeString]: 1 }],
    ["no arguments", undefined],
  ];

  it(
    "every tool survives each nasty value in every one of its properties, and in place of its arguments",
    async () => {
      const baseline = await reader.call("list_work_items", { limit: 3 });
      expect(baseline.result?.isError).toBeFalsy();
      const tools = [
        ...(await reader.tools()),
        ...(await writer.tools()).filter((tool) => tool.annotations?.readOnlyHint !== true),
      ];
      const xidBefore = await currentXid();
      let calls = 0;
      for (const tool of tools) {
        const target = tool.annotations?.readOnlyHint === true ? reader : writer;
        const properties = Object.keys(schemaOf(tool).properties ?? {});
        const attempts: Array<[string, unknown]> = [
          ...nastyValues.map(([label, value]): [string, unknown] => [
            `every property = ${label}`,
            Object.fromEntries(properties.map((key) => [key, value])),
          ]),
          ...wholeArguments,
        ];
        for (const [label, args] of attempts) {
          // Writes stay harmless: a write tool only gets what it will refuse.
          if (target === writer && wouldExecute(tool.name, args)) continue;
          const outcome = await target.call(tool.name, args);
          expectCleanOutcome(outcome, `${tool.name}: ${label}`);
          calls += 1;
        }
      }
      expect(calls).toBeGreaterThan(tools.length * 10);
      expect(await currentXid()).toBe(xidBefore + 1);
      // Same answer as before: no state inside the server was changed (or polluted) by what came in.
      const after = await reader.call("list_work_items", { limit: 3 });
      expect(after.result?.structuredContent).toEqual(baseline.result?.structuredContent);
      expect(JSON.stringify(after.result)).not.toContain("polluted");
      await expectHealthy(reader);
      await expectHealthy(writer);
    },
    FIXED_WORK_TIMEOUT_MS,
  );
});

describe("malformed JSON-RPC on stdin", () => {
  let raw: RawServer;
  let nextId = 100;

  beforeAll(async () => {
    raw = spawnRaw(sandbox.configFor("agent", ENV));
    await initializeRaw(raw, "fuzz");
  });

  afterAll(async () => {
    raw?.child.stdin.end();
    await raw?.exit;
  });

  /** Sends a bad line followed by a ping; the error must come before the pong. */
  async function errorFor(line: string | Buffer): Promise<Record<string, unknown>> {
    const seen = raw.stdoutLines.length;
    const ping = nextId++;
    if (typeof line === "string") raw.send(line);
    else raw.child.stdin.write(Buffer.concat([line, Buffer.from("\n")]));
    raw.send(JSON.stringify({ jsonrpc: "2.0", id: ping, method: "ping" }));
    await raw.waitFor((message) => message.id === ping, `ping after ${String(line).slice(0, 60)}`);
    const answers = raw.stdoutLines.slice(seen).map((text) => JSON.parse(text) as Record<string, unknown>);
    const errors = answers.filter((message) => "error" in message);
    expect(errors, `answers to ${String(line).slice(0, 80)}`).toHaveLength(1);
    return errors[0] as Record<string, unknown>;
  }

  const code = (message: Record<string, unknown>) => (message.error as { code: number }).code;

  it.each<[string, string, number, unknown]>([
    ["not JSON", "this is not json", -32700, null],
    ["truncated JSON", '{"jsonrpc":"2.0","id":7,"method":"ping"', -32700, null],
    ["a lone brace", "{", -32700, null],
    ["JSON that is not JSON-RPC", '{"hello":"world"}', -32600, null],
    ["a JSON string", '"ping"', -32600, null],
    ["a JSON number", "42", -32600, null],
    ["JSON null", "null", -32600, null],
    ["an empty batch", "[]", -32600, null],
    [
      "a batch (not supported since MCP 2025-06-18)",
      '[{"jsonrpc":"2.0","id":8,"method":"ping"}]',
      -32600,
      null,
    ],
    ["the wrong jsonrpc version", '{"jsonrpc":"1.0","id":9,"method":"ping"}', -32600, 9],
    ["no jsonrpc member", '{"id":10,"method":"ping"}', -32600, 10],
    ["an object as id", '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}', -32600, null],
    ["a number as method", '{"jsonrpc":"2.0","id":11,"method":42}', -32600, 11],
    ["an unknown method", '{"jsonrpc":"2.0","id":12,"method":"no/such/method"}', -32601, 12],
    [
      "params that are not an object",
      '{"jsonrpc":"2.0","id":13,"method":"tools/call","params":"x"}',
      -32600,
      13,
    ],
  ])("%s gets a JSON-RPC error", async (_label, line, expectedCode, expectedId) => {
    const error = await errorFor(line);
    expect(error.jsonrpc).toBe("2.0");
    expect(code(error)).toBe(expectedCode);
    expect(error.id).toEqual(expectedId);
  });

  it("invalid UTF-8 and control bytes get a parse error", async () => {
    const error = await errorFor(Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x80, 0x22]));
    expect(code(error)).toBe(-32700);
  });

  it("a tools/call with malformed params gets an invalid-params error, not a crash", async () => {
    const id = nextId++;
    raw.send(
      JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: 42, arguments: [] } }),
    );
    const answer = await raw.waitFor((message) => message.id === id, "tools/call with bad params");
    expect(code(answer)).toBe(-32602);
  });

  it("a huge line: 2 MiB of valid JSON-RPC is served, 12 MiB of junk is refused, and serving continues", async () => {
    const id = nextId++;
    raw.send(
      JSON.stringify({
        jsonrpc: "2.0",
        id,
        method: "ping",
        params: { _meta: { pad: "p".repeat(2 * ONE_MEBIBYTE) } },
      }),
    );
    const pong = await raw.waitFor((message) => message.id === id, "2 MiB ping");
    expect(pong.result).toEqual({});
    const error = await errorFor("j".repeat(12 * ONE_MEBIBYTE));
    expect(code(error)).toBe(-32600);
  });

  it("keeps serving afterwards: tools/list works, the process is up, stdout held only JSON-RPC", async () => {
    const id = nextId++;
    raw.send(JSON.stringify({ jsonrpc: "2.0", id, method: "tools/list" }));
    const listed = await raw.waitFor((message) => message.id === id, "tools/list");
    expect((listed.result as { tools: unknown[] }).tools.length).toBeGreaterThan(0);
    expect(raw.child.exitCode).toBeNull();
    for (const line of raw.stdoutLines)
      expect((JSON.parse(line) as { jsonrpc: unknown }).jsonrpc).toBe("2.0");
    expect(raw.stderr.join("")).not.toMatch(/Unhandled rejection|Uncaught exception/);
  });
});
