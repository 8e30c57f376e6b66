import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { chainLine, EMPTY_CHAIN, GENESIS } from "./chain.js";
import { AuditLogError, openAuditLog } from "./log.js";
import type { AuditEntry } from "./record.js";
import { runVerifyAudit, verifyAuditFile } from "./verify.js";

const dir = mkdtempSync(path.join(tmpdir(), "raytio-audit-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const freshFile = () => path.join(dir, `log-${++files}`, "audit.jsonl");

function entry(tool: string, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    time: "2026-12-04T10:00:00.000Z",
    user: "7b0d6c2e-5d43-4f0c-9a53-0d2c8f1e4a10",
    client: "stdio",
    tool,
    act: "write",
    decrypted: false,
    targets: { id: "0c7f3c1e-7d43-4f0c-9a53-0d2c8f1e4a11" },
    result: {},
    outcome: "done",
    confirmation: "not_asked",
    ...overrides,
  };
}

async function fileWith(records: number): Promise<string> {
  const file = freshFile();
  const { log } = await openAuditLog({ to: "file", path: file, byDefault: false });
  for (let index = 1; index <= records; index += 1) await log.append(entry(`tool_${index}`));
  return file;
}

const linesOf = (file: string) => readFileSync(file, "utf8").split("\n").slice(0, -1);
const writeLines = (file: string, lines: readonly string[]) => writeFileSync(file, `${lines.join("\n")}\n`);

describe("the audit chain", () => {
  it("writes one line per record, chained from GENESIS, and verifies whole", async () => {
    const file = await fileWith(3);
    const lines = linesOf(file);
    expect(lines).toHaveLength(3);
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed.map((record) => record.seq)).toEqual([1, 2, 3]);
    expect(parsed[0]?.prev).toBe(GENESIS);
    expect(parsed[1]?.prev).toBe(parsed[0]?.hash);
    expect(parsed[2]).toMatchObject({ audit: 1, tool: "tool_3", outcome: "done", confirmation: "not_asked" });
    expect(await verifyAuditFile(file)).toEqual({
      ok: true,
      records: 3,
      head: { seq: 3, hash: parsed[2]?.hash },
    });
  });

  it("creates the file with mode 0600 in a directory of its own", async () => {
    const file = await fileWith(1);
    if (process.platform === "win32") return;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o077).toBe(0);
  });

  it("continues the chain of an existing file when opened again, and says where it stands", async () => {
    const file = await fileWith(2);
    const head = JSON.parse(linesOf(file)[1] ?? "") as { hash: string };
    const reopened = await openAuditLog({ to: "file", path: file, byDefault: false });
    expect(reopened.description).toContain(`continuing the chain after record 2, whose hash is ${head.hash}`);
    await reopened.log.append(entry("after_restart"));
    expect(JSON.parse(linesOf(file)[2] ?? "")).toMatchObject({ seq: 3, prev: head.hash });
    expect(await verifyAuditFile(file)).toMatchObject({ ok: true, records: 3 });
  });

  it("names the line of any edit, the last line included", async () => {
    const file = await fileWith(4);
    const original = linesOf(file);
    for (let index = 0; index < original.length; index += 1) {
      const edited = [...original];
      edited[index] = (edited[index] ?? "").replace(`"tool_${index + 1}"`, `"tool_X"`);
      expect(edited[index]).not.toBe(original[index]);
      writeLines(file, edited);
      expect(await verifyAuditFile(file)).toMatchObject({ ok: false, line: index + 1 });
    }
  });

  it("shows an edit that keeps the meaning (the bytes are hashed, not the parsed record)", async () => {
    const file = await fileWith(2);
    const lines = linesOf(file);
    writeLines(file, [lines[0] ?? "", (lines[1] ?? "").replace('"seq":2', '"seq":2.0')]);
    expect(await verifyAuditFile(file)).toMatchObject({ ok: false, line: 2 });
  });

  it("shows a line recomputed after an edit, since the next line no longer follows it", async () => {
    const file = await fileWith(3);
    const lines = linesOf(file);
    const first = JSON.parse(lines[0] ?? "") as Record<string, unknown>;
    // A forger rewrites line 1 with a valid hash of its own; line 2 still carries the old one.
    const { hash: _hash, audit: _audit, seq: _seq, prev: _prev, ...fields } = first;
    const forged = chainLine(EMPTY_CHAIN, { ...fields, tool: "forged" }).line;
    writeLines(file, [forged, lines[1] ?? "", lines[2] ?? ""]);
    expect(await verifyAuditFile(file)).toMatchObject({ ok: false, line: 2 });
  });

  it("names the line where lines were removed, moved or duplicated", async () => {
    const file = await fileWith(4);
    const [a = "", b = "", c = "", d = ""] = linesOf(file);
    const cases: Array<[string[], number]> = [
      [[b, c, d], 1], // the top cut off: line 1 does not start a chain
      [[a, c, d], 2], // a line removed from the middle
      [[a, c, b, d], 2], // two lines swapped
      [[a, b, b, c, d], 3], // a line repeated
    ];
    for (const [lines, broken] of cases) {
      writeLines(file, lines);
      expect(await verifyAuditFile(file)).toMatchObject({ ok: false, line: broken });
    }
  });

  it("names a last line cut mid-way or without its newline", async () => {
    const file = await fileWith(3);
    const text = readFileSync(file, "utf8");
    writeFileSync(file, text.slice(0, -40));
    expect(await verifyAuditFile(file)).toMatchObject({ ok: false, line: 3 });
    writeFileSync(file, text.slice(0, -1));
    expect(await verifyAuditFile(file)).toMatchObject({
      ok: false,
      line: 3,
      reason: expect.stringContaining("not terminated"),
    });
  });

  it("refuses to continue a file whose last line is broken, at open and at append", async () => {
    const file = await fileWith(2);
    const { log } = await openAuditLog({ to: "file", path: file, byDefault: false });
    const text = readFileSync(file, "utf8");
    writeFileSync(file, text.slice(0, -10));
    await expect(openAuditLog({ to: "file", path: file, byDefault: false })).rejects.toThrow(AuditLogError);
    await expect(log.append(entry("after_cut"))).rejects.toThrow(/ends in a broken line/);
    expect(readFileSync(file, "utf8")).toBe(text.slice(0, -10));
  });

  it("never forks the chain: concurrent appends within a process and from two writers of one file", async () => {
    const file = freshFile();
    const first = (await openAuditLog({ to: "file", path: file, byDefault: false })).log;
    // A second writer has its own queue, as another process would: only the file lock orders them.
    const second = (await openAuditLog({ to: "file", path: file, byDefault: false })).log;
    await Promise.all(
      Array.from({ length: 40 }, (_, index) => (index % 2 ? first : second).append(entry(`tool_${index}`))),
    );
    expect(await verifyAuditFile(file)).toMatchObject({ ok: true, records: 40 });
    expect(new Set(linesOf(file).map((line) => (JSON.parse(line) as { tool: string }).tool)).size).toBe(40);
  });

  it("takes over a lock left by a process that is gone", async () => {
    const file = await fileWith(1);
    // No process has pid 2^22 + 1 (above Linux's pid_max), so its lock is stale at once.
    writeFileSync(`${file}.lock`, `4194305 ${hostname()}`);
    const { log } = await openAuditLog({ to: "file", path: file, byDefault: false });
    await log.append(entry("after_stale_lock"));
    expect(await verifyAuditFile(file)).toMatchObject({ ok: true, records: 2 });
  });

  it("starts a new chain in a new file when the old one is moved aside (rotation)", async () => {
    const file = await fileWith(2);
    const { log } = await openAuditLog({ to: "file", path: file, byDefault: false });
    rmSync(file);
    await log.append(entry("rotated"));
    expect(JSON.parse(linesOf(file)[0] ?? "")).toMatchObject({ seq: 1, prev: GENESIS, tool: "rotated" });
  });

  it("writes a chain of its own to stderr, one record per line", async () => {
    const written: string[] = [];
    const { log, description } = await openAuditLog(
      { to: "stderr" },
      { writeStderr: (text) => written.push(text) },
    );
    expect(description).toContain("stderr");
    await log.append(entry("one"));
    await log.append(entry("two"));
    expect(written.every((text) => text.startsWith('{"audit":1,') && text.endsWith("}\n"))).toBe(true);
    const file = path.join(dir, "from-stderr.jsonl");
    writeFileSync(file, written.join(""));
    expect(await verifyAuditFile(file)).toMatchObject({ ok: true, records: 2 });
  });

  it("says when it is off, and writes nothing", async () => {
    const { log, description } = await openAuditLog({ to: "off" });
    expect(description).toMatch(/off.*not recorded/);
    await log.append(entry("ignored"));
    expect(log.destination).toBe("off");
  });

  it("reports an unwritable location with how to fix it", async () => {
    const blocker = path.join(dir, "a-file");
    writeFileSync(blocker, "");
    await expect(
      openAuditLog({ to: "file", path: path.join(blocker, "audit.jsonl"), byDefault: false }),
    ).rejects.toThrow(/cannot be opened.*RAYTIO_AUDIT_LOG/);
  });
});

describe("--verify-audit", () => {
  it("exits 0 with the head for a whole chain, and 1 naming the line otherwise", async () => {
    const file = await fileWith(2);
    const printed: string[] = [];
    expect(await runVerifyAudit(file, (line) => printed.push(line))).toBe(0);
    expect(printed.at(-1)).toMatch(/chain whole, 2 records; the last record's hash is [0-9a-f]{64}/);
    const lines = linesOf(file);
    writeLines(file, [lines[0] ?? "", (lines[1] ?? "").replace("stdio", "stdiO")]);
    expect(await runVerifyAudit(file, (line) => printed.push(line))).toBe(1);
    expect(printed.at(-1)).toMatch(/BROKEN at line 2: its content does not match its hash/);
    expect(await runVerifyAudit(path.join(dir, "missing.jsonl"), (line) => printed.push(line))).toBe(1);
    expect(printed.at(-1)).toContain("cannot be read (ENOENT)");
  });
});
