import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type CallToolResult, Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { startSandbox } from "../sandbox/sandbox.js";

/**
 * The README's "see it work in one command": a local sandbox, the built server spawned over stdio
 * exactly as an MCP client would, and real tool calls through the SDK client.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const say = (line = "") => console.log(line);
const step = (title: string) => say(`\n== ${title}`);

function show(result: CallToolResult, maxLines = 12): void {
  const text = result.content.map((item) => (item.type === "text" ? item.text : `[${item.type}]`)).join("\n");
  const [summary, ...rest] = text.split("\n");
  say(`${result.isError ? "ERROR " : ""}${summary}`);
  const structured = result.structuredContent as { items?: unknown[] } | undefined;
  if (structured?.items) {
    for (const item of structured.items.slice(0, maxLines)) say(`   ${JSON.stringify(item)}`);
  } else if (rest.length > 0) {
    say(rest.join("\n").trim().slice(0, 2000));
  }
}

/** The headline DSM flow: ask a person for data and decrypt their end-to-end-encrypted answer locally. */
async function dsmFlow(client: Client): Promise<void> {
  const callFor = async <T>(name: string, args: Record<string, unknown>): Promise<T> => {
    step(`tools/call ${name} ${JSON.stringify(args)}`);
    const result = await client.callTool({ name, arguments: args });
    show(result, 6);
    if (result.isError || result.structuredContent === undefined) throw new Error(`${name} failed`);
    return result.structuredContent as T;
  };
  say("\n== DSM: request a person's data, wait for it, decrypt it locally");
  await callFor("list_schemas", { query: "bank", limit: 3 });
  const aa = await callFor<{ data: { access_application_id: string } }>("create_access_application", {
    name: "Contractor onboarding",
    description: "Name, addresses and bank account of new contractors",
    schemas: ["ss_Person_Name", "ss_Address", "ss_Bank_Account"],
  });
  const form = await callFor<{ data: { short_link_key: string } }>("create_form", {
    access_application_id: aa.data.access_application_id,
    name: "Contractor details",
    reference: "CON-042",
    pages: [
      { name: "Your name", schemas: ["ss_Person_Name"] },
      { name: "Addresses", schemas: ["ss_Address"], allow_multiple: true },
      { name: "Where we pay you", schemas: ["ss_Bank_Account"] },
    ],
  });
  const request = await callFor<{ data: { request_short_code: string } }>("send_request", {
    short_link_key: form.data.short_link_key,
    recipient_email: "aroha.ngata@example.com",
    message: "Kia ora Aroha, please share your details for the contract.",
  });

  const args = { request_short_code: request.data.request_short_code, wait_seconds: 30 };
  step(`tools/call poll_and_retrieve ${JSON.stringify(args)} (with a progress token)`);
  const result = await client.callTool(
    { name: "poll_and_retrieve", arguments: args },
    {
      onprogress: (update) =>
        say(`   progress ${update.progress}/${update.total} s: ${update.message ?? ""}`),
    },
  );
  const output = result.structuredContent as
    | { data: unknown; submission?: { id: string } | null }
    | undefined;
  const text = result.content.map((item) => (item.type === "text" ? item.text : "")).join("\n");
  say(`${result.isError ? "ERROR " : ""}${text.split("\n")[0]}`);
  if (output?.data && output.submission) {
    say("   decrypted in this process (the sandbox only ever stored ciphertext for encrypted fields):");
    say(JSON.stringify(output.data, null, 2).replace(/^/gm, "   "));
    await callFor("update_submission_status", {
      submission_id: output.submission.id,
      status: "received",
      message: "Thanks, we have your details.",
    });
  }
}

const DEMO_DOMAINS = "dsm,ppm,prm,wrm";
const workDir = mkdtempSync(path.join(tmpdir(), "raytio-demo-"));
step("Starting the sandbox (Cognito with SRP + Raytio API over PGlite with row-level security)");
// autoSubmitSeconds: the sandbox plays the person and answers each new data request after 3 s.
const sandbox = await startSandbox({
  autoSubmitSeconds: 3,
  log: (line) => console.error(`   [sandbox] ${line}`),
});
const configFile = path.join(workDir, "raytio.env");
sandbox.writeConfig(configFile, "agent");
say(`   sandbox at ${sandbox.url}; config written to ${configFile}`);

step("Spawning the built server over stdio: node dist/index.js");
const transport = new StdioClientTransport({
  command: process.execPath,
  args: [path.join(root, "dist/index.js")],
  // A 1 s poll interval (default 5 s) so the wait below shows a few progress lines. Domains are set
  // statically: the agent account's roles grant no prm, and the demo shows all four domains.
  env: {
    PATH: process.env.PATH ?? "",
    RAYTIO_CONFIG_FILE: configFile,
    // The sandbox's acts stay out of the person's own audit log (the default file).
    RAYTIO_AUDIT_LOG: path.join(workDir, "audit.jsonl"),
    RAYTIO_POLL_INTERVAL_SECONDS: "1",
    RAYTIO_TOOL_DOMAINS: DEMO_DOMAINS,
  },
  stderr: "pipe",
});
transport.stderr?.on("data", (chunk: Buffer) => {
  for (const line of chunk.toString("utf8").split("\n"))
    if (line.trim()) console.error(`   [server] ${line}`);
});
const client = new Client({ name: "raytio-demo", version: "1.0.0" });
await client.connect(transport);
const info = client.getServerVersion();
say(`   connected to ${info?.name} ${info?.version}`);

try {
  step(`tools/list (RAYTIO_TOOL_DOMAINS=${DEMO_DOMAINS}: the account's roles alone grant no prm)`);
  const { tools } = await client.listTools();
  for (const tool of tools) {
    say(
      `   ${tool.name.padEnd(28)} ${tool.annotations?.readOnlyHint ? "read " : "write"}  ${tool.title ?? ""}`,
    );
  }
  const has = (name: string) => tools.some((tool) => tool.name === name);
  const call = async (name: string, args: Record<string, unknown>) => {
    step(`tools/call ${name} ${JSON.stringify(args)}`);
    show(await client.callTool({ name, arguments: args }));
  };

  if (has("list_work_items")) await call("list_work_items", { status: "blocked", limit: 5 });
  if (has("list_workers")) await call("list_workers", { status: "active" });
  if (has("list_access_applications")) await call("list_access_applications", {});
  if (has("search_parties")) await call("search_parties", { type: "organisation", limit: 5 });
  if (has("list_work_items")) await call("list_work_items", { due_before: "not-a-date" });
  // An argument that belongs to another tool is refused with a pointer, never silently dropped.
  if (has("update_work_item"))
    await call("update_work_item", { work_item_id: "00000000-0000-4000-8000-000000000000", status: "done" });
  if (has("poll_and_retrieve")) await dsmFlow(client);
  say("\nDone: every call above went through Cognito SRP sign-in, the API client and row-level security.");
} finally {
  await client.close();
  await sandbox.stop();
  rmSync(workDir, { recursive: true, force: true });
}
