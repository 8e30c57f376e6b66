import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseDotenv } from "dotenv";
import { z } from "zod";
import type { AuditSetting } from "./audit/log.js";
import type { Credentials } from "./credentials.js";
import { RaytioError } from "./errors.js";

/**
 * Where each setting may come from, highest priority first: the process environment, the file named by
 * RAYTIO_CONFIG_FILE, else `config.env` beside the installed package. The package-relative default
 * matters because MCP clients start servers from arbitrary working directories.
 */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const DEFAULT_CONFIG_FILE = path.join(PACKAGE_ROOT, "config.env");

const positiveNumber = (fallback: number) =>
  z.coerce
    .number({ error: "must be a number" })
    .positive({ error: "must be greater than 0" })
    .default(fallback);

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === "" ? undefined : value))
  .optional();

const booleanFlag = z
  .enum(["true", "false", "1", "0", "yes", "no", ""], { error: "must be true or false" })
  .optional()
  .transform((value) => value === "true" || value === "1" || value === "yes");

const listOfNames = optionalText.transform((value) =>
  value === undefined
    ? undefined
    : value
        .split(",")
        .map((item) => item.trim())
        .filter((item) => item !== ""),
);

/** Settings that shape the tool surface; they need no credentials, so --list-tools can use them alone. */
const surfaceShape = {
  RAYTIO_TOOL_DOMAINS: listOfNames,
  RAYTIO_TOOLS: listOfNames,
  RAYTIO_EXCLUDE_TOOLS: listOfNames,
  RAYTIO_READ_ONLY: booleanFlag,
};

/**
 * How the server signs in: Cognito SRP (the user pool, directly), or Raytio's documented token
 * endpoint `POST {RAYTIO_API_BASE_URL}/oauth/v1/token`. `auto` picks SRP when any Cognito setting is
 * present and the token endpoint otherwise.
 */
export const AUTH_FLOWS = ["srp", "token-endpoint", "auto"] as const;

/**
 * Whether an act that reaches another person or cannot be undone waits for the person's confirmation
 * through their client: `auto` asks where the client can show a form and otherwise acts as 1.17 did,
 * `always` refuses where it cannot ask, `never` never asks.
 */
export const CONFIRM_POLICIES = ["auto", "always", "never"] as const;
export type ConfirmPolicy = (typeof CONFIRM_POLICIES)[number];

/** Process settings every transport shares: no account and no secret of any person. */
const serviceShape = {
  ...surfaceShape,
  RAYTIO_API_BASE_URL: z.url({ error: "must be an http(s) URL such as https://api.rayt.io" }),
  RAYTIO_AUTH_FLOW: z
    .enum(AUTH_FLOWS, { error: "must be srp, token-endpoint or auto" })
    .optional()
    .default("auto"),
  // An empty value counts as absent, so a blanked-out line in a config file never blocks the token endpoint.
  RAYTIO_COGNITO_USER_POOL_ID: optionalText.pipe(
    z
      .string()
      .regex(/^[\w-]+_[0-9A-Za-z]+$/, {
        error: 'must look like "<region>_<id>", e.g. ap-southeast-2_AbCdEf123',
      })
      .optional(),
  ),
  RAYTIO_COGNITO_CLIENT_ID: optionalText,
  RAYTIO_COGNITO_REGION: optionalText.pipe(
    z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: "must be an AWS region such as ap-southeast-2" })
      .optional(),
  ),
  RAYTIO_COGNITO_ENDPOINT: z.url({ error: "must be an http(s) URL" }).optional(),
  RAYTIO_TARGET_USER_EMAIL: optionalText.pipe(z.email({ error: "must be an email address" }).optional()),
  RAYTIO_REQUEST_TIMEOUT_SECONDS: positiveNumber(600),
  RAYTIO_POLL_INTERVAL_SECONDS: positiveNumber(5),
  RAYTIO_REQUEST_EXPIRY_MINUTES: positiveNumber(10),
  // Tests and the sandbox only: smaller RSA keys for new access applications generate much faster.
  RAYTIO_DSM_KEY_BITS: z.coerce
    .number({ error: "must be a number" })
    .int({ error: "must be a whole number" })
    .refine((bits) => bits >= 2048 && bits % 8 === 0, { error: "must be 2048 or more, in whole bytes" })
    .default(4096),
  RAYTIO_HTTP_TIMEOUT_SECONDS: positiveNumber(30),
  RAYTIO_STARTUP_TIMEOUT_SECONDS: positiveNumber(20),
  RAYTIO_MAX_RESPONSE_TOKENS: positiveNumber(15_000),
  RAYTIO_CONFIRM: z
    .enum(CONFIRM_POLICIES, { error: "must be auto, always or never" })
    .optional()
    .default("auto"),
  RAYTIO_LOG_LEVEL: z
    .enum(["debug", "info", "warn", "error", "silent"], {
      error: "must be debug, info, warn, error or silent",
    })
    .default("info"),
  // Unset: a file under the user's state directory (see auditSetting). MCP clients start servers from
  // any working directory, so a relative path would land somewhere different each time: refused.
  RAYTIO_AUDIT_LOG: optionalText.pipe(
    z
      .string()
      .refine((value) => /^(off|stderr)$/i.test(value) || value.startsWith("~/") || path.isAbsolute(value), {
        error: "must be an absolute file path (or ~/…), stderr or off",
      })
      .optional(),
  ),
  RAYTIO_LOG_FORMAT: z.enum(["text", "json"], { error: "must be text or json" }).default("text"),
  // Both transports: how long in-flight calls get to finish once SIGTERM or SIGINT arrives.
  MCP_DRAIN_TIMEOUT: z.coerce
    .number({ error: "must be a number of seconds" })
    .min(0, { error: "must be 0 or more" })
    .default(30),
};

/** The stdio agent account: the one person a stdio server acts for. */
const agentShape = {
  RAYTIO_AGENT_USERNAME: z.string({ error: "is required" }).min(1, { error: "is required" }),
  RAYTIO_AGENT_PASSWORD: z.string({ error: "is required" }).min(1, { error: "is required" }),
  RAYTIO_AGENT_ENCRYPTION_PASSWORD: optionalText,
  RAYTIO_AGENT_CUSTOMER_ID: optionalText,
};

const serviceSchema = z.object(serviceShape);
const rawConfigSchema = z.object({ ...serviceShape, ...agentShape });

export type RawConfig = z.infer<typeof rawConfigSchema>;

/** Every variable the server reads (besides RAYTIO_CONFIG_FILE); manifests and docs are checked against it. */
export const CONFIG_VARIABLE_NAMES: readonly string[] = Object.keys(rawConfigSchema.shape);

export interface CognitoSettings {
  userPoolId: string;
  clientId: string;
  region: string;
  endpoint: string | undefined;
}

/** The sign-in flow, resolved: `auto` never reaches the rest of the server. */
export type SignInSettings =
  | { flow: "srp"; cognito: CognitoSettings }
  | {
      flow: "token-endpoint";
      /** `{RAYTIO_API_BASE_URL}/oauth/v1/token`, the one publicly documented Raytio endpoint. */
      tokenUrl: string;
    };

/** Process settings, shared by every session of a process; credentials live in `Credentials`. */
export interface Config {
  apiBaseUrl: string;
  signIn: SignInSettings;
  targetUserEmail: string | undefined;
  requestTimeoutSeconds: number;
  pollIntervalSeconds: number;
  requestExpiryMinutes: number;
  /** RSA modulus of new access application keys (4096 unless RAYTIO_DSM_KEY_BITS says otherwise). */
  dsmKeyBits: number;
  httpTimeoutSeconds: number;
  startupTimeoutSeconds: number;
  toolDomains: string[] | undefined;
  surface: SurfaceSettings;
  /** Largest tool result, in tokens (bytes / 4), before it is truncated with a way to continue. */
  maxResponseTokens: number;
  /** RAYTIO_CONFIRM; over HTTP the operator's setting applies to everyone. */
  confirm: ConfirmPolicy;
  logLevel: RawConfig["RAYTIO_LOG_LEVEL"];
  /** Where audit records go (RAYTIO_AUDIT_LOG): a file, stderr, or off. */
  auditLog: AuditSetting;
  logFormat: RawConfig["RAYTIO_LOG_FORMAT"];
  /** How long in-flight calls may take to finish after SIGTERM before the process closes anyway. */
  drainTimeoutSeconds: number;
}

export interface SurfaceSettings {
  domains: string[] | undefined;
  tools: string[] | undefined;
  excludeTools: string[];
  readOnly: boolean;
}

export interface LoadedConfig {
  config: Config;
  /** The file that supplied values, if any (for --check and the start-up log line). */
  file: string | undefined;
  warnings: string[];
}

/** The stdio configuration: the settings and the agent account the process acts for. */
export interface LoadedAgentConfig extends LoadedConfig {
  credentials: Credentials;
}

export interface ConfigSources {
  env: NodeJS.ProcessEnv;
  defaultFile?: string;
  platform?: NodeJS.Platform;
}

const TOKEN_ENDPOINT_HINT = "or set RAYTIO_AUTH_FLOW=token-endpoint to sign in without Cognito";

const HOW_TO_FIX: Partial<Record<keyof RawConfig, string>> = {
  RAYTIO_API_BASE_URL: "the Raytio API base URL (the sandbox writes it for you)",
  RAYTIO_COGNITO_USER_POOL_ID: `your Raytio Cognito user pool id (SRP sign-in; ${TOKEN_ENDPOINT_HINT})`,
  RAYTIO_COGNITO_CLIENT_ID: `your Raytio Cognito app client id (SRP sign-in; ${TOKEN_ENDPOINT_HINT})`,
  RAYTIO_COGNITO_REGION: `the AWS region of the user pool (SRP sign-in; ${TOKEN_ENDPOINT_HINT})`,
  RAYTIO_AGENT_USERNAME: "the agent account's sign-in name (usually an email)",
  RAYTIO_AGENT_PASSWORD: "the agent account's sign-in password",
};

function readConfigFile(file: string, platform: NodeJS.Platform, warnings: string[]): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : "cannot be read";
    throw new RaytioError(
      "CONFIG_INVALID",
      `Config file ${file} ${reason}. Fix RAYTIO_CONFIG_FILE or create the file.`,
    );
  }
  // POSIX permission bits mean nothing on Windows, where ACLs decide access.
  if (platform !== "win32") {
    const mode = statSync(file).mode;
    if ((mode & 0o077) !== 0) {
      warnings.push(
        `Config file ${file} is readable by other users (mode ${(mode & 0o777).toString(8)}); it holds passwords. Run: chmod 600 ${file}`,
      );
    }
  }
  return parseDotenv(text);
}

/**
 * Every source of settings, read once per process (src/start.ts) and handed to each parser: the
 * stdio configuration, the transport choice, the HTTP settings and the tool surface.
 */
export interface ConfigSourceValues {
  /** File values for every key, with the environment's on top for the keys of this module. */
  values: Record<string, string | undefined>;
  file: string | undefined;
  warnings: string[];
  /** This user's home directory, from the same environment (for `~/` and the default audit log). */
  home: string;
  /** Where this user's state belongs on this platform; the default audit log lives in it. */
  stateDirectory: string;
  /** The environment (flags applied) the values were read with; other modules' settings are looked up in it first. */
  env: NodeJS.ProcessEnv;
}

/**
 * The per-user state directory: $XDG_STATE_HOME (else ~/.local/state) on Linux and other Unixes,
 * ~/Library/Logs on macOS, %LOCALAPPDATA% on Windows; each with a raytio-mcp-server folder. Read from
 * the configuration's environment, so a test or a service manager that sets it is obeyed.
 */
export function stateDirectory(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, home: string): string {
  if (platform === "win32") {
    const local = env.LOCALAPPDATA?.trim() || path.win32.join(home, "AppData", "Local");
    return path.win32.join(local, "raytio-mcp-server");
  }
  if (platform === "darwin") return path.posix.join(home, "Library", "Logs", "raytio-mcp-server");
  // The XDG spec says to ignore a relative value.
  const xdg = env.XDG_STATE_HOME?.trim();
  const base = xdg && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(home, ".local", "state");
  return path.posix.join(base, "raytio-mcp-server");
}

function homeDirectory(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string {
  const fromEnv = (platform === "win32" ? env.USERPROFILE : env.HOME)?.trim();
  return fromEnv || homedir();
}

/**
 * A setting outside this module's list (the transport's): a non-empty environment value, else the
 * file's.
 */
export function sourceValue(read: ConfigSourceValues, key: string): string | undefined {
  const fromEnv = read.env[key];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  const fromFile = read.values[key];
  return fromFile === "" ? undefined : fromFile;
}

/** The merged values of every source (file values for every key; the environment wins for config keys). */
export function readSources(sources: ConfigSources): ConfigSourceValues {
  const { env } = sources;
  const platform = sources.platform ?? process.platform;
  const warnings: string[] = [];

  let file: string | undefined;
  let fileValues: Record<string, string> = {};
  const namedFile = env.RAYTIO_CONFIG_FILE?.trim();
  if (namedFile) {
    file = path.resolve(namedFile);
    fileValues = readConfigFile(file, platform, warnings);
  } else {
    const defaultFile = sources.defaultFile ?? DEFAULT_CONFIG_FILE;
    try {
      statSync(defaultFile);
      file = defaultFile;
      fileValues = readConfigFile(defaultFile, platform, warnings);
    } catch (error) {
      if (error instanceof RaytioError) throw error;
    }
  }

  const values: Record<string, string | undefined> = { ...fileValues };
  for (const key of Object.keys(rawConfigSchema.shape)) {
    const fromEnv = env[key];
    if (fromEnv !== undefined && fromEnv !== "") values[key] = fromEnv;
  }
  const home = homeDirectory(env, platform);
  return { values, file, warnings, home, stateDirectory: stateDirectory(env, platform, home), env };
}

interface Problem {
  key: string;
  message: string;
}

function invalid(
  problemsFound: readonly Problem[],
  values: Record<string, string | undefined>,
  file: string | undefined,
): RaytioError {
  const problems = new Map<string, string>();
  for (const { key, message } of problemsFound) {
    if (problems.has(key)) continue;
    const hint = HOW_TO_FIX[key as keyof RawConfig];
    const missing = values[key] === undefined;
    // zod's message for a value never contains the value itself, so secrets cannot leak through it.
    const what = missing ? "is missing" : message;
    problems.set(key, `  - ${key} ${what}${missing && hint ? `: set it to ${hint}` : ""}`);
  }
  const origin = file ? `the environment and ${file}` : "the environment (no config file found)";
  return new RaytioError(
    "CONFIG_INVALID",
    `Raytio MCP server configuration is invalid (read from ${origin}):\n${[...problems.values()].join("\n")}\n` +
      "Set these as environment variables or in a config file named by RAYTIO_CONFIG_FILE. " +
      "See config.env.example, or run `npm run sandbox -- --write-config <file>` for a local sandbox.",
    { details: { variables: [...problems.keys()] } },
  );
}

const zodProblems = (error: z.ZodError | undefined): Problem[] =>
  (error?.issues ?? []).map((issue) => ({ key: String(issue.path[0] ?? "config"), message: issue.message }));

function toSurface(raw: z.infer<z.ZodObject<typeof surfaceShape>>): SurfaceSettings {
  return {
    domains: raw.RAYTIO_TOOL_DOMAINS,
    tools: raw.RAYTIO_TOOLS,
    excludeTools: raw.RAYTIO_EXCLUDE_TOOLS ?? [],
    readOnly: raw.RAYTIO_READ_ONLY,
  };
}

/** Only the tool-surface settings, without requiring credentials (--list-tools). */
export function parseSurfaceSettings(read: ConfigSourceValues): SurfaceSettings {
  const { values, file } = read;
  const parsed = z.object(surfaceShape).safeParse(values);
  if (!parsed.success) throw invalid(zodProblems(parsed.error), values, file);
  return toSurface(parsed.data);
}

const COGNITO_KEYS = [
  "RAYTIO_COGNITO_USER_POOL_ID",
  "RAYTIO_COGNITO_CLIENT_ID",
  "RAYTIO_COGNITO_REGION",
] as const;

/** Path of the documented token endpoint below the API base URL. */
export const TOKEN_ENDPOINT_PATH = "/oauth/v1/token";

type ServiceRaw = z.infer<typeof serviceSchema>;

/**
 * The Cognito settings the chosen flow lacks: SRP needs all three, the token endpoint none. Read from
 * the raw values, so they are reported together with any other problem. A half-configured Cognito under
 * `auto` is an error, never a silent switch of flow.
 */
function missingForFlow(values: Record<string, string | undefined>): Problem[] {
  const present = COGNITO_KEYS.filter((key) => (values[key] ?? "").trim() !== "");
  const flow = (values.RAYTIO_AUTH_FLOW ?? "").trim() || "auto";
  const srp = flow === "srp" || (flow === "auto" && present.length > 0);
  if (!srp) return [];
  return COGNITO_KEYS.filter((key) => !present.includes(key)).map((key) => ({ key, message: "is missing" }));
}

/** Resolves `auto`: SRP when a Cognito setting is present, else the token endpoint. */
function signInSettings(raw: ServiceRaw): SignInSettings | undefined {
  const { RAYTIO_COGNITO_USER_POOL_ID: userPoolId, RAYTIO_COGNITO_CLIENT_ID: clientId } = raw;
  const region = raw.RAYTIO_COGNITO_REGION;
  const anyCognito = COGNITO_KEYS.some((key) => raw[key] !== undefined);
  const flow =
    raw.RAYTIO_AUTH_FLOW === "auto" ? (anyCognito ? "srp" : "token-endpoint") : raw.RAYTIO_AUTH_FLOW;
  if (flow === "token-endpoint") {
    const apiBaseUrl = raw.RAYTIO_API_BASE_URL.replace(/\/+$/, "");
    return { flow, tokenUrl: `${apiBaseUrl}${TOKEN_ENDPOINT_PATH}` };
  }
  if (userPoolId === undefined || clientId === undefined || region === undefined) return undefined;
  return { flow, cognito: { userPoolId, clientId, region, endpoint: raw.RAYTIO_COGNITO_ENDPOINT } };
}

/**
 * On by default, to a file: an organisation that asks people for their data must be able to show
 * what its agents did, and a default that records nothing shows nothing. Not stderr by default: a
 * stdio client decides what becomes of a server's stderr (kept for a while, or dropped), and there the
 * records would be mixed with diagnostics.
 */
function auditSetting(value: string | undefined, read: ConfigSourceValues): AuditSetting {
  if (value === undefined)
    return { to: "file", path: path.join(read.stateDirectory, "audit.jsonl"), byDefault: true };
  if (/^off$/i.test(value)) return { to: "off" };
  if (/^stderr$/i.test(value)) return { to: "stderr" };
  const file = value.startsWith("~/") ? path.join(read.home, value.slice(2)) : value;
  return { to: "file", path: path.resolve(file), byDefault: false };
}

function toConfig(raw: ServiceRaw, signIn: SignInSettings, read: ConfigSourceValues): Config {
  return {
    apiBaseUrl: raw.RAYTIO_API_BASE_URL.replace(/\/+$/, ""),
    signIn,
    targetUserEmail: raw.RAYTIO_TARGET_USER_EMAIL,
    requestTimeoutSeconds: raw.RAYTIO_REQUEST_TIMEOUT_SECONDS,
    pollIntervalSeconds: raw.RAYTIO_POLL_INTERVAL_SECONDS,
    requestExpiryMinutes: raw.RAYTIO_REQUEST_EXPIRY_MINUTES,
    dsmKeyBits: raw.RAYTIO_DSM_KEY_BITS,
    httpTimeoutSeconds: raw.RAYTIO_HTTP_TIMEOUT_SECONDS,
    startupTimeoutSeconds: raw.RAYTIO_STARTUP_TIMEOUT_SECONDS,
    toolDomains: raw.RAYTIO_TOOL_DOMAINS,
    surface: toSurface(raw),
    maxResponseTokens: raw.RAYTIO_MAX_RESPONSE_TOKENS,
    confirm: raw.RAYTIO_CONFIRM,
    logLevel: raw.RAYTIO_LOG_LEVEL,
    auditLog: auditSetting(raw.RAYTIO_AUDIT_LOG, read),
    logFormat: raw.RAYTIO_LOG_FORMAT,
    drainTimeoutSeconds: raw.MCP_DRAIN_TIMEOUT,
  };
}

/**
 * Parses values already read by `readSources`, so every command and transport of one start works from
 * one read of the file. With `agentAccount: false` (HTTP, where each person signs in on the
 * authorization page) the agent settings are neither required nor read.
 */
export function parseConfig(read: ConfigSourceValues): LoadedAgentConfig;
export function parseConfig(read: ConfigSourceValues, options: { agentAccount: false }): LoadedConfig;
export function parseConfig(
  read: ConfigSourceValues,
  options: { agentAccount?: boolean } = {},
): LoadedConfig | LoadedAgentConfig {
  const { values, file, warnings } = read;
  const service = serviceSchema.safeParse(values);
  const agent = options.agentAccount === false ? undefined : z.object(agentShape).safeParse(values);
  const problems = [...zodProblems(service.error), ...missingForFlow(values), ...zodProblems(agent?.error)];
  const signIn = service.success ? signInSettings(service.data) : undefined;
  if (!service.success || !signIn || problems.length > 0) throw invalid(problems, values, file);
  const config = toConfig(service.data, signIn, read);
  if (!agent?.success) return { file, warnings, config };
  return {
    file,
    warnings,
    config,
    credentials: {
      username: agent.data.RAYTIO_AGENT_USERNAME,
      password: agent.data.RAYTIO_AGENT_PASSWORD,
      encryptionPassword: agent.data.RAYTIO_AGENT_ENCRYPTION_PASSWORD,
      customerId: agent.data.RAYTIO_AGENT_CUSTOMER_ID,
    },
  };
}

/** Reads and parses in one step, for callers outside the start-up path (tests, scripts). */
export function loadConfig(sources?: ConfigSources): LoadedAgentConfig;
export function loadConfig(sources: ConfigSources, options: { agentAccount: false }): LoadedConfig;
export function loadConfig(
  sources: ConfigSources = { env: process.env },
  options: { agentAccount?: boolean } = {},
): LoadedConfig | LoadedAgentConfig {
  const read = readSources(sources);
  return options.agentAccount === false ? parseConfig(read, { agentAccount: false }) : parseConfig(read);
}
