import { z } from "zod";
import { type ConfigSourceValues, type LoadedConfig, parseConfig } from "../config.js";
import { RaytioError } from "../errors.js";
import { agentSettingsWarning, publicAddressProblems } from "./safety.js";

/**
 * Settings of the Streamable HTTP transport. They come from the same sources as the rest of the
 * configuration (environment first, then RAYTIO_CONFIG_FILE) but live in their own loader: in HTTP mode
 * every person signs in on the authorization page, so the agent account the stdio loader requires is
 * neither required nor used.
 */
export interface HttpConfig {
  host: string;
  /** 0 picks a free port (tests); the chosen one is in the start-up line. */
  port: number;
  /** Path of the MCP endpoint, e.g. /mcp. */
  route: string;
  /** Origin people's clients use to reach this server; undefined means http://host:port. */
  publicUrl: string | undefined;
  /** Extra browser origins allowed to call the server (CORS and the Origin gate). */
  allowedOrigins: string[];
  /** Extra Host header values accepted (DNS-rebinding protection), e.g. other replicas' names. */
  allowedHosts: string[];
  codeTtlSeconds: number;
  clientTtlSeconds: number;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  sessionIdleSeconds: number;
  registerLimit: { max: number; windowSeconds: number };
  signInLimit: { max: number; windowSeconds: number };
  /**
   * Proxies in front of this server that append to X-Forwarded-For (0: none, use the peer address).
   * The client address is the entry this many hops from the right: entries further left are whatever
   * the client sent.
   */
  trustProxy: number;
  /** Time a client has to send a request's headers, and its whole request (headers and body). */
  headersTimeoutSeconds: number;
  requestTimeoutSeconds: number;
  /** Concurrent connections one peer address may hold (0: no cap); not applied behind a proxy. */
  maxConnectionsPerAddress: number;
  /** How long an idle keep-alive connection is kept open between requests. */
  keepAliveTimeoutSeconds: number;
  /** Views of the authorization page per address per window, and in all per pending lifetime. */
  authorizeLimit: { max: number; windowSeconds: number };
  pendingAuthorizationsMax: number;
  /** Open MCP sessions and unfinished MCP tasks one person may have (0: no cap). */
  maxSessionsPerPerson: number;
  maxTasksPerPerson: number;
  /** Where Prometheus metrics are served; undefined: not served. */
  metrics: { host: string; port: number } | undefined;
  redisUrl: string | undefined;
  /** Client ID Metadata Documents: https `client_id`s whose document this server fetches. */
  clientMetadataDocuments: {
    enabled: boolean;
    /** Longest wait for one document: connection, headers and body. */
    timeoutMs: number;
    /** Lets documents come from loopback addresses; for tests on a loopback-bound server only. */
    allowLoopbackForTests: boolean;
  };
}

const seconds = (fallback: number) =>
  z.coerce
    .number({ error: "must be a number of seconds" })
    .int({ error: "must be a whole number of seconds" })
    .positive({ error: "must be greater than 0" })
    .default(fallback);

const count = (fallback: number) =>
  z.coerce
    .number({ error: "must be a number" })
    .int({ error: "must be a whole number" })
    .positive({ error: "must be greater than 0" })
    .default(fallback);

const list = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? "")
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== ""),
  );

/** `true` is one proxy (the usual single load balancer), `false` none, or a number of proxies. */
const proxyHops = z
  .string()
  .trim()
  .toLowerCase()
  .optional()
  .transform((value, context) => {
    if (value === undefined || value === "" || value === "false" || value === "no") return 0;
    if (value === "true" || value === "yes") return 1;
    if (/^\d{1,2}$/.test(value)) return Number(value);
    context.addIssue({ code: "custom", message: "must be true, false or a number of proxies (0 to 99)" });
    return z.NEVER;
  });

const flag = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no", ""], { error: "must be true or false" })
    .optional()
    .transform((value) =>
      value === undefined || value === "" ? fallback : value === "true" || value === "1" || value === "yes",
    );

const maybeZero = (fallback: number) =>
  z.coerce
    .number({ error: "must be a number" })
    .int({ error: "must be a whole number" })
    .min(0, { error: "must be 0 or more" })
    .default(fallback);

const originOnly = z
  .url({ error: "must be an http(s) URL such as https://mcp.example.com" })
  .refine(
    (value) => {
      const url = new URL(value);
      return (
        (url.protocol === "https:" || url.protocol === "http:") &&
        (url.pathname === "/" || url.pathname === "") &&
        !url.search &&
        !url.hash &&
        !url.username &&
        !url.password
      );
    },
    { error: "must be an origin only (scheme, host and port; no path, query or credentials)" },
  )
  .transform((value) => new URL(value).origin)
  .optional();

const httpSchema = z.object({
  MCP_HOST: z.string().trim().min(1).default("127.0.0.1"),
  MCP_PORT: z.coerce
    .number({ error: "must be a port number" })
    .int({ error: "must be a port number" })
    .min(0, { error: "must be from 0 to 65535" })
    .max(65_535, { error: "must be from 0 to 65535" })
    .default(8808),
  MCP_SERVER_ROUTE: z
    .string()
    .default("/mcp")
    .refine(
      (route) =>
        /^\/[A-Za-z0-9._~/-]*$/.test(route) &&
        !route.startsWith("/.well-known") &&
        !route.startsWith("/oauth"),
      {
        error: "must be a path such as /mcp, outside /.well-known and /oauth",
      },
    ),
  MCP_PUBLIC_URL: originOnly,
  MCP_ALLOWED_ORIGINS: list,
  MCP_ALLOWED_HOSTS: list,
  MCP_OAUTH_CODE_TTL: seconds(300),
  MCP_OAUTH_CLIENT_TTL: seconds(30 * 24 * 3600),
  MCP_OAUTH_ACCESS_TTL: seconds(3600),
  MCP_OAUTH_REFRESH_TTL: seconds(30 * 24 * 3600),
  MCP_SESSION_IDLE_TTL: seconds(1800),
  MCP_OAUTH_REGISTER_LIMIT: count(5),
  MCP_OAUTH_REGISTER_WINDOW: seconds(3600),
  MCP_OAUTH_SIGNIN_LIMIT: count(10),
  MCP_OAUTH_SIGNIN_WINDOW: seconds(900),
  MCP_TRUST_PROXY: proxyHops,
  MCP_HEADERS_TIMEOUT: seconds(10),
  MCP_REQUEST_TIMEOUT: seconds(30),
  MCP_MAX_CONNECTIONS_PER_IP: maybeZero(64),
  MCP_OAUTH_CIMD: flag(true),
  MCP_OAUTH_CIMD_TIMEOUT: z.coerce
    .number({ error: "must be a number of seconds" })
    .positive({ error: "must be greater than 0" })
    .max(60, { error: "must be 60 seconds or less" })
    .default(5),
  // Named so that nobody mistakes it for a production setting: it opens the SSRF guard to this machine.
  MCP_TEST_ONLY_CIMD_ALLOW_LOOPBACK: flag(false),
  MCP_KEEP_ALIVE_TIMEOUT: seconds(5),
  MCP_OAUTH_AUTHORIZE_LIMIT: count(30),
  MCP_OAUTH_AUTHORIZE_WINDOW: seconds(600),
  MCP_OAUTH_PENDING_MAX: count(10_000),
  MCP_MAX_SESSIONS_PER_PERSON: maybeZero(16),
  MCP_MAX_TASKS_PER_PERSON: maybeZero(20),
  MCP_METRICS_PORT: z
    .string()
    .trim()
    .optional()
    .transform((value, context) => {
      if (value === undefined || value === "") return undefined;
      const port = Number(value);
      if (/^\d{1,5}$/.test(value) && port <= 65_535) return port;
      context.addIssue({ code: "custom", message: "must be a port number from 0 to 65535" });
      return z.NEVER;
    }),
  MCP_METRICS_HOST: z.string().trim().min(1).default("127.0.0.1"),
  MCP_ALLOW_INSECURE_HTTP: z
    .enum(["true", "false", "1", "0", "yes", "no", ""], { error: "must be true or false" })
    .optional()
    .transform((value) => value === "true" || value === "1" || value === "yes"),
  REDIS_URL: z
    .string()
    .trim()
    .optional()
    .transform((value) => (value ? value : undefined))
    .refine((value) => value === undefined || /^rediss?:\/\//.test(value), {
      error: "must be a redis:// or rediss:// URL",
    }),
});

/**
 * Keryx's names for two of our settings (docs/http.md, "Differences from Keryx"), so a Keryx
 * deployment's configuration keeps working. Its window is in milliseconds, ours in seconds.
 */
const KERYX_ALIASES = [
  { alias: "RATE_LIMIT_OAUTH_REGISTER_LIMIT", name: "MCP_OAUTH_REGISTER_LIMIT", unitsPerOurs: 1 },
  { alias: "RATE_LIMIT_OAUTH_REGISTER_WINDOW_MS", name: "MCP_OAUTH_REGISTER_WINDOW", unitsPerOurs: 1000 },
] as const;

export const HTTP_VARIABLE_NAMES: readonly string[] = [
  "MCP_TRANSPORT",
  "MCP_SERVER_ENABLED",
  ...Object.keys(httpSchema.shape),
  ...KERYX_ALIASES.map(({ alias }) => alias),
];

/**
 * Moves each Keryx alias onto our name. Both names with different values is refused rather than
 * letting one silently win: whoever set the loser would be debugging a limit they never set.
 */
function applyAliases(values: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  for (const { alias, name, unitsPerOurs } of KERYX_ALIASES) {
    const given = values[alias];
    if (given === undefined || given === "") continue;
    const units = Number(given);
    const converted = units / unitsPerOurs;
    if (!Number.isInteger(units) || units <= 0 || !Number.isInteger(converted)) {
      problems.push(
        unitsPerOurs === 1
          ? `  - ${alias} must be a whole number greater than 0`
          : `  - ${alias} must be a whole number of seconds written in milliseconds, e.g. 3600000`,
      );
      continue;
    }
    const ours = values[name];
    if (ours !== undefined && ours !== "" && Number(ours) !== converted) {
      const shown = unitsPerOurs === 1 ? given : `${given} (${converted} s)`;
      problems.push(
        `  - ${alias}=${shown} and ${name}=${ours} disagree (the first is Keryx's name for the second): set only one of them`,
      );
      continue;
    }
    values[name] = String(converted);
  }
  return problems;
}

/**
 * Addresses that keep the server on this machine. The CIMD draft's SSRF section allows fetching from
 * loopback only when the authorization server itself runs on a loopback address.
 */
const LOOPBACK_BINDINGS = new Set(["127.0.0.1", "::1", "[::1]", "localhost"]);

export interface LoadedHttpConfig {
  http: HttpConfig;
  service: LoadedConfig;
}

/** The merged sources: file values first, then any non-empty environment value on top. */
function httpValues({ values, file, env }: ConfigSourceValues): {
  values: Record<string, string | undefined>;
  file: string | undefined;
} {
  const merged: Record<string, string | undefined> = { ...values };
  for (const key of HTTP_VARIABLE_NAMES) {
    const fromEnv = env[key];
    if (fromEnv !== undefined && fromEnv !== "") merged[key] = fromEnv;
  }
  return { values: merged, file };
}

/** The service and HTTP settings, both from the one read of the sources the start made. */
export function parseHttpConfig(read: ConfigSourceValues): LoadedHttpConfig {
  const service = parseConfig(read, { agentAccount: false });
  const { values, file } = httpValues(read);
  const aliasProblems = applyAliases(values);
  const parsed = httpSchema.safeParse(values);
  if (aliasProblems.length > 0 || !parsed.success) {
    const problems = [
      ...aliasProblems,
      ...new Map(
        (parsed.error?.issues ?? []).map((issue) => [
          String(issue.path[0]),
          `  - ${String(issue.path[0])} ${issue.message}`,
        ]),
      ).values(),
    ];
    throw new RaytioError(
      "CONFIG_INVALID",
      `Raytio MCP server HTTP configuration is invalid (read from ${file ? `the environment and ${file}` : "the environment"}):\n${problems.join("\n")}`,
    );
  }
  const raw = parsed.data;
  if (raw.MCP_TEST_ONLY_CIMD_ALLOW_LOOPBACK && !LOOPBACK_BINDINGS.has(raw.MCP_HOST)) {
    throw new RaytioError(
      "CONFIG_INVALID",
      `MCP_TEST_ONLY_CIMD_ALLOW_LOOPBACK lets client metadata documents be fetched from this machine's loopback addresses, which is only for tests: it needs MCP_HOST to be a loopback address (127.0.0.1, ::1 or localhost), not ${raw.MCP_HOST}. Unset it in production.`,
    );
  }
  const unsafe = publicAddressProblems({
    host: raw.MCP_HOST,
    publicUrl: raw.MCP_PUBLIC_URL,
    allowInsecureHttp: raw.MCP_ALLOW_INSECURE_HTTP,
  });
  if (
    raw.MCP_METRICS_PORT !== undefined &&
    raw.MCP_METRICS_PORT !== 0 &&
    raw.MCP_METRICS_PORT === raw.MCP_PORT
  )
    unsafe.push("  - MCP_METRICS_PORT must differ from MCP_PORT: metrics are served on a port of their own");
  if (unsafe.length > 0) {
    throw new RaytioError(
      "CONFIG_INVALID",
      `Raytio MCP server HTTP configuration is unsafe (read from ${file ? `the environment and ${file}` : "the environment"}):\n${unsafe.join("\n")}`,
    );
  }
  const agentWarning = agentSettingsWarning(read.values);
  if (agentWarning) service.warnings.push(agentWarning);
  return {
    service,
    http: {
      host: raw.MCP_HOST,
      port: raw.MCP_PORT,
      route:
        raw.MCP_SERVER_ROUTE.length > 1 ? raw.MCP_SERVER_ROUTE.replace(/\/+$/, "") : raw.MCP_SERVER_ROUTE,
      publicUrl: raw.MCP_PUBLIC_URL,
      allowedOrigins: raw.MCP_ALLOWED_ORIGINS.map((origin) => origin.replace(/\/+$/, "")),
      allowedHosts: raw.MCP_ALLOWED_HOSTS,
      codeTtlSeconds: raw.MCP_OAUTH_CODE_TTL,
      clientTtlSeconds: raw.MCP_OAUTH_CLIENT_TTL,
      accessTokenTtlSeconds: raw.MCP_OAUTH_ACCESS_TTL,
      refreshTokenTtlSeconds: raw.MCP_OAUTH_REFRESH_TTL,
      sessionIdleSeconds: raw.MCP_SESSION_IDLE_TTL,
      registerLimit: { max: raw.MCP_OAUTH_REGISTER_LIMIT, windowSeconds: raw.MCP_OAUTH_REGISTER_WINDOW },
      signInLimit: { max: raw.MCP_OAUTH_SIGNIN_LIMIT, windowSeconds: raw.MCP_OAUTH_SIGNIN_WINDOW },
      trustProxy: raw.MCP_TRUST_PROXY,
      // Node refuses a headers timeout longer than the request timeout.
      headersTimeoutSeconds: Math.min(raw.MCP_HEADERS_TIMEOUT, raw.MCP_REQUEST_TIMEOUT),
      requestTimeoutSeconds: raw.MCP_REQUEST_TIMEOUT,
      maxConnectionsPerAddress: raw.MCP_MAX_CONNECTIONS_PER_IP,
      keepAliveTimeoutSeconds: raw.MCP_KEEP_ALIVE_TIMEOUT,
      authorizeLimit: { max: raw.MCP_OAUTH_AUTHORIZE_LIMIT, windowSeconds: raw.MCP_OAUTH_AUTHORIZE_WINDOW },
      pendingAuthorizationsMax: raw.MCP_OAUTH_PENDING_MAX,
      maxSessionsPerPerson: raw.MCP_MAX_SESSIONS_PER_PERSON,
      maxTasksPerPerson: raw.MCP_MAX_TASKS_PER_PERSON,
      metrics:
        raw.MCP_METRICS_PORT === undefined
          ? undefined
          : { host: raw.MCP_METRICS_HOST, port: raw.MCP_METRICS_PORT },
      redisUrl: raw.REDIS_URL,
      clientMetadataDocuments: {
        enabled: raw.MCP_OAUTH_CIMD,
        timeoutMs: Math.round(raw.MCP_OAUTH_CIMD_TIMEOUT * 1000),
        allowLoopbackForTests: raw.MCP_TEST_ONLY_CIMD_ALLOW_LOOPBACK,
      },
    },
  };
}
