import { chmodSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PGlite } from "@electric-sql/pglite";
import { ACCOUNTS, accountByKey, type SandboxAccount } from "./accounts.js";
import { FakeCognito, type FakeCognitoFault, FakeCognitoTokenError } from "./cognito/fake-cognito.js";
import { migrateAndSeed } from "./db/index.js";
import { AutoSubmitter, fakeAnswer } from "./dsm/auto-submit.js";
import { SubmitError, submitAnswer } from "./dsm/recipient.js";
import { FaultInjector, type FaultRule } from "./faults.js";
import { createPostgrestHandler } from "./postgrest/server.js";
import { TOKEN_ENDPOINT_PATH, TokenEndpoint } from "./token-endpoint.js";

export const SANDBOX_REGION = "ap-southeast-2";
export const SANDBOX_USER_POOL_ID = `${SANDBOX_REGION}_Sandbox01`;
export const SANDBOX_CLIENT_ID = "raytio-sandbox-client";
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface SandboxOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Keep the database here between runs; omitted means in memory. */
  dataDir?: string;
  /** Start from a database snapshot made by `dumpDatabase` (tests use this to skip seeding). */
  snapshot?: Blob;
  keyBits?: number;
  pbkdf2Iterations?: number;
  idTokenTtlSeconds?: number;
  /** Keeps full request bodies in `requests` (tests inspect them for leaked secrets). */
  recordBodies?: boolean;
  /** Answers every new DSM request with fake data this many seconds after it is created. */
  autoSubmitSeconds?: number;
  log?: (line: string) => void;
}

export interface RecordedRequest {
  method: string;
  url: string;
  host: string | undefined;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string | undefined;
}

export interface Sandbox {
  url: string;
  cognito: FakeCognito;
  /** `POST /oauth/v1/token`, Raytio's documented sign-in, backed by the same accounts as `cognito`. */
  tokenEndpoint: TokenEndpoint;
  db: PGlite;
  faults: FaultInjector;
  requests: RecordedRequest[];
  accounts: readonly SandboxAccount[];
  /** Environment for the MCP server, signed in as the given account. */
  configFor(accountKey: string, extra?: Record<string, string>): Record<string, string>;
  writeConfig(file: string, accountKey: string): void;
  /** Turns auto-submit on (seconds after each new request) or off (undefined). */
  setAutoSubmit(seconds: number | undefined): void;
  dumpDatabase(): Promise<Blob>;
  stop(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error("body too large"), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}

async function openDatabase(options: SandboxOptions, log: (line: string) => void): Promise<PGlite> {
  if (options.snapshot) return PGlite.create({ loadDataDir: options.snapshot });
  const db = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
  const seeded = await db.query<{ exists: boolean }>(
    "select to_regclass('api.fnd_user') is not null as exists",
  );
  if (seeded.rows[0]?.exists) {
    log(`Reusing the sandbox database in ${options.dataDir}`);
    return db;
  }
  await migrateAndSeed(db, {
    keyBits: options.keyBits ?? 2048,
    pbkdf2Iterations: options.pbkdf2Iterations ?? 600_000,
  });
  log(
    `Created and seeded the sandbox database${options.dataDir ? ` in ${options.dataDir}` : " (in memory)"}`,
  );
  return db;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const log = options.log ?? (() => undefined);
  const host = options.host ?? "127.0.0.1";
  const db = await openDatabase(options, log);

  const cognito = new FakeCognito({
    userPoolId: SANDBOX_USER_POOL_ID,
    clientId: SANDBOX_CLIENT_ID,
    region: SANDBOX_REGION,
    ...(options.idTokenTtlSeconds ? { idTokenTtlSeconds: options.idTokenTtlSeconds } : {}),
  });
  for (const account of ACCOUNTS) {
    cognito.addUser({
      username: account.email,
      password: account.password,
      sub: account.sub,
      email: account.email,
      groups: account.groups,
      attributes: { "custom:customer_id": account.customerId, name: account.displayName },
    });
  }

  const tokenEndpoint = new TokenEndpoint(cognito);
  const faults = new FaultInjector();
  const requests: RecordedRequest[] = [];
  const autoSubmitter = new AutoSubmitter(db, log, options.autoSubmitSeconds);

  const postgrest = createPostgrestHandler({
    db,
    basePath: "/db/v1",
    schema: "api",
    authenticate: async (header) => {
      const token = header?.startsWith("Bearer ") ? header.slice("Bearer ".length) : undefined;
      if (!token) throw { status: 401, code: "PGRST302", message: "Anonymous access is disabled" };
      try {
        return await cognito.verify(token, "id");
      } catch (error) {
        if (error instanceof FakeCognitoTokenError && error.reason === "expired") {
          throw { status: 401, code: "PGRST303", message: "JWT expired" };
        }
        throw { status: 401, code: "PGRST301", message: "JWT could not be verified" };
      }
    },
  });

  // The person's browser answering a request (recipient simulation, sandbox/dsm/recipient.ts). No body
  // at all answers with fake data, as --auto-submit does: one short command for someone trying it by hand.
  const submit = async (res: ServerResponse, code: string, body: Buffer) => {
    let payload: unknown;
    try {
      payload = body.length === 0 ? undefined : JSON.parse(body.toString("utf8"));
    } catch {
      return json(res, 400, { message: 'Body must be JSON: {"data": {...}}, or empty for fake data' });
    }
    try {
      const data =
        payload === undefined ? await fakeAnswer(db, code) : (payload as { data?: unknown } | null)?.data;
      json(res, 201, await submitAnswer(db, code, data));
    } catch (error) {
      if (!(error instanceof SubmitError)) throw error;
      json(res, error.status, { message: error.message });
    }
  };

  const control = async (req: IncomingMessage, res: ServerResponse, route: string, body: Buffer) => {
    const submitRoute = /^\/requests\/([A-Za-z0-9_-]{1,100})\/submit$/.exec(route);
    if (submitRoute?.[1] && req.method === "POST") return submit(res, submitRoute[1], body);
    const payload = body.length > 0 ? JSON.parse(body.toString("utf8")) : {};
    if (route === "/faults" && req.method === "POST")
      return json(res, 201, { id: faults.add(payload as FaultRule) });
    if (route === "/faults" && req.method === "DELETE") {
      faults.clear();
      cognito.clearFaults();
      res.writeHead(204).end();
      return;
    }
    if (route === "/cognito/faults" && req.method === "POST") {
      cognito.injectFault(payload as FakeCognitoFault);
      res.writeHead(204).end();
      return;
    }
    if (route === "/cognito/token-lifetimes" && req.method === "POST") {
      cognito.setTokenLifetimes(payload);
      res.writeHead(204).end();
      return;
    }
    if (route === "/stats" && req.method === "GET")
      return json(res, 200, { cognito: cognito.stats(), tokenEndpoint: tokenEndpoint.stats() });
    json(res, 404, { message: `No sandbox control route ${req.method} ${route}` });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = Date.now();
    const url = new URL(req.url ?? "/", "http://sandbox");
    const pathname = url.pathname;
    let body: Buffer | undefined;
    try {
      body = await readBody(req);
      if (pathname.startsWith("/sandbox/v1/")) {
        await control(req, res, pathname.slice("/sandbox/v1".length), body);
      } else if (pathname.startsWith("/cognito/") && pathname.endsWith("/.well-known/jwks.json")) {
        cognito.handleJwks(req, res);
      } else if (pathname === "/cognito/" || pathname === "/cognito") {
        if (!(await faults.apply("cognito", req, res, pathname))) await cognito.handle(req, res, body);
      } else if (pathname === TOKEN_ENDPOINT_PATH) {
        if (!(await faults.apply("api", req, res, pathname))) await tokenEndpoint.handle(req, res, body);
      } else if (pathname.startsWith("/db/v1/")) {
        if (!(await faults.apply("api", req, res, pathname))) await postgrest(req, res, body);
      } else {
        json(res, 404, { message: `Not a sandbox route: ${pathname}` });
      }
    } catch (error) {
      const status = (error as { status?: number }).status ?? 500;
      if (!res.headersSent)
        json(res, status, { message: status === 413 ? "Body too large" : "Sandbox error" });
      if (status === 500)
        log(`Sandbox error on ${req.method} ${pathname}: ${(error as Error).stack ?? error}`);
    } finally {
      requests.push({
        method: req.method ?? "GET",
        url: req.url ?? "/",
        host: req.headers.host,
        status: res.statusCode,
        headers: { ...req.headers },
        body: options.recordBodies ? body?.toString("utf8") : undefined,
      });
      log(`${req.method} ${pathname} ${res.statusCode} ${Date.now() - started}ms`);
      if (req.method === "POST" && pathname === "/db/v1/dsm_request" && res.statusCode < 300) {
        void autoSubmitter.scan();
      }
    }
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;

  const configFor = (accountKey: string, extra: Record<string, string> = {}): Record<string, string> => {
    const account = accountByKey(accountKey);
    return {
      RAYTIO_API_BASE_URL: url,
      RAYTIO_COGNITO_USER_POOL_ID: SANDBOX_USER_POOL_ID,
      RAYTIO_COGNITO_CLIENT_ID: SANDBOX_CLIENT_ID,
      RAYTIO_COGNITO_REGION: SANDBOX_REGION,
      RAYTIO_COGNITO_ENDPOINT: `${url}/cognito/`,
      RAYTIO_AGENT_USERNAME: account.email,
      RAYTIO_AGENT_PASSWORD: account.password,
      RAYTIO_AGENT_ENCRYPTION_PASSWORD: account.encryptionPassword,
      RAYTIO_AGENT_CUSTOMER_ID: account.customerId,
      ...extra,
    };
  };

  return {
    url,
    cognito,
    tokenEndpoint,
    db,
    faults,
    requests,
    accounts: ACCOUNTS,
    configFor,
    writeConfig(file, accountKey) {
      const lines = [
        "# Written by `npm run sandbox`: points the Raytio MCP server at the local sandbox.",
        `# Signed in as ${accountByKey(accountKey).email}. Sandbox credentials protect nothing real.`,
        ...Object.entries(configFor(accountKey)).map(([key, value]) => `${key}=${JSON.stringify(value)}`),
        "# Uncomment to choose tool domains instead of deriving them from the account's roles:",
        "# RAYTIO_TOOL_DOMAINS=dsm,ppm,prm,wrm",
        "",
      ];
      writeFileSync(file, lines.join("\n"), { mode: 0o600 });
      // mode only applies when the file is created; an existing file keeps its old permissions.
      chmodSync(file, 0o600);
    },
    setAutoSubmit: (seconds) => autoSubmitter.setDelay(seconds),
    dumpDatabase: () => db.dumpDataDir("none") as Promise<Blob>,
    async stop() {
      autoSubmitter.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
    },
  };
}
