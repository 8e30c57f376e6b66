import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:net";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import type { CallToolResult, LoggingMessageNotification } from "@modelcontextprotocol/sdk/types.js";
import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { accountByKey } from "../../sandbox/accounts.js";
import type { Sandbox } from "../../sandbox/sandbox.js";
import { CheckedClient, publishedShapes, SERVER_ENTRY, serverEnv } from "./harness.js";

/** Everything any HTTP server process wrote to stderr in this test file, for the no-secrets checks. */
export const httpStderr: string[] = [];

export interface HttpServerProcess {
  /** The MCP endpoint URL the server announced (its public URL). */
  url: string;
  /** The MCP endpoint at the address the process is bound to, whatever its public URL. */
  localUrl: string;
  origin: string;
  stderr: string[];
  stop(): Promise<void>;
  /** Ends the process at once (SIGKILL), as a crashed replica: nothing is cleaned up. */
  kill(): Promise<void>;
  /** Sends a signal without waiting; `exited` settles with the exit code. */
  signal(name: NodeJS.Signals): void;
  exited: Promise<number | null>;
}

/** The sandbox's service settings, without any agent account: over HTTP people sign in themselves. */
export function serviceEnv(sandbox: Sandbox): Record<string, string> {
  const {
    RAYTIO_AGENT_USERNAME: _username,
    RAYTIO_AGENT_PASSWORD: _password,
    RAYTIO_AGENT_ENCRYPTION_PASSWORD: _encryption,
    RAYTIO_AGENT_CUSTOMER_ID: _customer,
    ...rest
  } = sandbox.configFor("agent");
  return rest;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Spawns the built server with `--transport http` and waits for its "listening on" line. */
export async function startHttpServerProcess(
  sandbox: Sandbox,
  env: Record<string, string> = {},
): Promise<HttpServerProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [SERVER_ENTRY, "--transport", "http", "--port", env.MCP_PORT ?? "0"],
    {
      env: serverEnv({ ...serviceEnv(sandbox), ...env }),
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  const stderr: string[] = [];
  let partial = "";
  let bound = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`HTTP server did not start:\n${stderr.join("\n")}`)),
      30_000,
    );
    child.stderr?.on("data", (chunk: Buffer) => {
      partial += chunk.toString("utf8");
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        stderr.push(line);
        httpStderr.push(line);
        const match = /listening on ([^\s"]+)/.exec(line);
        if (match?.[1]) {
          bound = /"bound":"([^"]+)"/.exec(line)?.[1] ?? new URL(match[1]).host;
          clearTimeout(timer);
          resolve(match[1]);
        }
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`HTTP server exited with ${code}:\n${stderr.join("\n")}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
  return {
    url,
    exited,
    signal: (name) => {
      child.kill(name);
    },
    localUrl: `http://${bound}${new URL(url).pathname}`,
    origin: new URL(url).origin,
    stderr,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
  };
}

export const REDIRECT_URI = "http://127.0.0.1:53682/callback";

/** An MCP client's OAuth state, kept in memory the way a real client keeps it on disk. */
export class TestOAuthProvider implements OAuthClientProvider {
  client: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = "";
  authorizationUrl: URL | undefined;

  constructor(
    readonly name = "Raytio test client",
    readonly redirect = REDIRECT_URI,
  ) {}

  get redirectUrl(): string {
    return this.redirect;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.name,
      redirect_uris: [this.redirect],
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

export interface SignInForm {
  email: string;
  password: string;
  encryptionPassword?: string;
  decision?: "approve" | "deny";
  /** Extra headers on the form post, as a browser would send them (e.g. Sec-Fetch-Site). */
  postHeaders?: Record<string, string>;
}

/** What the person's browser does: open the page, read it, post the form; returns the redirect. */
export async function signInOnPage(
  authorizationUrl: URL | string,
  form: SignInForm,
): Promise<{ page: string; status: number; location: URL | undefined; headers: Headers }> {
  const shown = await fetch(authorizationUrl, { redirect: "manual" });
  const page = await shown.text();
  if (shown.status !== 200)
    return { page, status: shown.status, location: locationOf(shown), headers: shown.headers };
  const request = /name="request" value="([^"]+)"/.exec(page)?.[1];
  if (!request) throw new Error(`No pending request on the authorization page:\n${page}`);
  const body = new URLSearchParams({
    request,
    email: form.email,
    password: form.password,
    encryption_password: form.encryptionPassword ?? "",
    decision: form.decision ?? "approve",
  });
  const posted = await fetch(new URL("/oauth/authorize", authorizationUrl), {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...form.postHeaders },
    body,
    redirect: "manual",
  });
  return {
    page: await posted.text(),
    status: posted.status,
    location: locationOf(posted),
    headers: posted.headers,
  };
}

function locationOf(response: Response): URL | undefined {
  const location = response.headers.get("location");
  return location ? new URL(location) : undefined;
}

/** A PKCE verifier and its S256 challenge. */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

/**
 * The code flow at `origin` up to the code, by hand: register a client (dynamic registration, with
 * `registration` added to the body and `headers` on the request), open the authorization page with PKCE
 * and `params` added, then sign in as `account` and approve. Returns the code with what redeems it.
 */
export async function authorizeAt(
  origin: string,
  account: string,
  options: {
    registration?: Record<string, unknown>;
    headers?: Record<string, string>;
    params?: Record<string, string>;
  } = {},
) {
  const registered = (await (
    await fetch(`${origin}/oauth/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...options.headers },
      body: JSON.stringify({ redirect_uris: [REDIRECT_URI], ...options.registration }),
    })
  ).json()) as { client_id: string };
  const clientId = String(registered.client_id);
  const { verifier, challenge } = pkce();
  const url = new URL(`${origin}/oauth/authorize`);
  for (const [key, value] of Object.entries({
    response_type: "code",
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...options.params,
  }))
    url.searchParams.set(key, value);
  const { email, password } = accountByKey(account);
  const result = await signInOnPage(url, { email, password });
  return { clientId, verifier, result, code: result.location?.searchParams.get("code") ?? undefined };
}

/** The token request that redeems a code from authorizeAt, as its form. */
export function codeRedemption(authorized: {
  clientId: string;
  verifier: string;
  code?: string | undefined;
}) {
  return new URLSearchParams({
    grant_type: "authorization_code",
    code: authorized.code ?? "",
    client_id: authorized.clientId,
    redirect_uri: REDIRECT_URI,
    code_verifier: authorized.verifier,
  });
}

export interface HttpSession {
  client: Client;
  transport: StreamableHTTPClientTransport;
  provider: TestOAuthProvider;
  logs: LoggingMessageNotification["params"][];
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

/** The whole flow a person goes through with a real MCP client: discover, register, sign in, connect. */
export async function connectAs(
  url: string,
  accountKey: string,
  options: {
    withEncryptionPassword?: boolean;
    provider?: TestOAuthProvider;
    /** false: a stream the server drops stays dropped, so a test can tell it was dropped. */
    reconnect?: boolean;
  } = {},
): Promise<HttpSession> {
  await publishedShapes();
  const provider = options.provider ?? new TestOAuthProvider();
  // Each simulated person gets their own address, as they would on a team; a server that does not
  // trust X-Forwarded-For ignores it.
  const address = `10.200.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
  const fetchFrom: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set("X-Forwarded-For", address);
    return fetch(input, { ...init, headers });
  };
  if (!provider.saved) {
    const probe = new StreamableHTTPClientTransport(new URL(url), {
      authProvider: provider,
      fetch: fetchFrom,
    });
    const probeClient = new Client({ name: "raytio-http-test", version: "1.0.0" });
    await expectUnauthorized(probeClient.connect(probe));
    if (!provider.authorizationUrl) throw new Error("The client was not sent to the authorization page");
    const account = accountByKey(accountKey);
    const signedIn = await signInOnPage(provider.authorizationUrl, {
      email: account.email,
      password: account.password,
      ...(options.withEncryptionPassword ? { encryptionPassword: account.encryptionPassword } : {}),
    });
    const code = signedIn.location?.searchParams.get("code");
    if (!code)
      throw new Error(`Sign-in did not redirect with a code (${signedIn.status}):\n${signedIn.page}`);
    await probe.finishAuth(code);
  }
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    authProvider: provider,
    fetch: fetchFrom,
    ...(options.reconnect === false
      ? {
          reconnectionOptions: {
            maxRetries: 0,
            initialReconnectionDelay: 1000,
            maxReconnectionDelay: 1000,
            reconnectionDelayGrowFactor: 1,
          },
        }
      : {}),
  });
  const client = new CheckedClient({ name: "raytio-http-test", version: "1.0.0" });
  const logs: LoggingMessageNotification["params"][] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
    logs.push(notification.params);
  });
  await client.connect(transport);
  return {
    client,
    transport,
    provider,
    logs,
    call: async (name, args = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    close: () => client.close(),
  };
}

async function expectUnauthorized(connecting: Promise<void>): Promise<void> {
  try {
    await connecting;
  } catch (error) {
    if (error instanceof UnauthorizedError) return;
    throw error;
  }
  throw new Error("Expected the first connection to need authorization");
}

/** Raw JSON-RPC over HTTP, for the status-code checks the SDK client hides. */
export async function rawPost(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      ...headers,
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

export const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
};

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for a condition by polling; fails with `what` after `timeoutMs` (a bound, not a measurement). */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await pause(100);
  }
}
