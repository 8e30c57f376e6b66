import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("..", import.meta.url));
// The independent vectors of docs/crypto.md, kept verbatim in the repository.
const VECTORS = fileURLToPath(new URL("../docs/crypto-vectors.json", import.meta.url));

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

function check(file: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      "npx",
      ["tsx", "scripts/crypto-check.ts", file],
      { cwd: REPO, timeout: 60_000 },
      (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

let dir: string;
let vectors: { spec: string; cases: Array<Record<string, unknown> & { id: string; password: string }> };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "crypto-check-"));
  vectors = JSON.parse(await readFile(VECTORS, "utf8"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("npm run crypto:check", () => {
  it("passes every shared vector", async () => {
    const run = await check(VECTORS);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(vectors.cases.length + 1);
    for (const [index, c] of vectors.cases.entries())
      expect(lines[index]).toMatch(new RegExp(`^${c.id}\\s+ok$`));
    expect(lines.at(-1)).toBe(`${vectors.cases.length} passed, 0 failed`);
    expect(run.status).toBe(0);
  });

  it("fails a tampered copy with exit 1, printing codes and never values or passwords", async () => {
    const tampered = structuredClone(vectors);
    const target = tampered.cases.find((c) => (c.expect as { ok: boolean }).ok);
    if (target === undefined) throw new Error("the vectors have no passing case to tamper with");
    const record = target.record as { encrypted_data: { ct: string } };
    const ct = Buffer.from(record.encrypted_data.ct, "base64");
    ct[0] = (ct[0] ?? 0) ^ 0x80;
    record.encrypted_data.ct = ct.toString("base64");
    const file = join(dir, "tampered.json");
    await writeFile(file, JSON.stringify(tampered));

    const run = await check(file);
    expect(run.status).toBe(1);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^${target.id}\\s+FAIL\\s+DECRYPTION_FAILED$`)),
    );
    expect(lines.at(-1)).toBe(`${vectors.cases.length - 1} passed, 1 failed`);
    const output = run.stdout + run.stderr;
    for (const c of vectors.cases) expect(output).not.toContain(c.password);
    expect(output).not.toContain(JSON.stringify((target.expect as { value: unknown }).value));
  });

  it("exits 1 when the file cannot be read or is not a vectors file", async () => {
    const missing = await check(join(dir, "missing.json"));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("cannot read");

    const notVectors = join(dir, "not-vectors.json");
    await writeFile(notVectors, JSON.stringify({ spec: "something-else", cases: [] }));
    expect((await check(notVectors)).status).toBe(1);
  });
});
