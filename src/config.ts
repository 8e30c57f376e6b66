import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseDotenv } from "dotenv";
import { z } from "zod";
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

const rawConfigSchema = z.object({
  ...surfaceShape,
  RAYTIO_API_BASE_URL: z.url({ error: "must be an http(s) URL such as https://api.rayt.io" }),
  RAYTIO_COGNITO_USER_POOL_ID: z.string({ error: "is required" }).regex(/^[\w-]+_[0-9A-Za-z]+$/, {
    error: 'must look like "<region>_<id>", e.g. ap-southeast-2_AbCdEf123',
  }),
  RAYTIO_COGNITO_CLIENT_ID: z.string({ error: "is required" }).min(1, { error: "is required" }),
  RAYTIO_COGNITO_REGION: z
    .string({ error: "is required" })
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: "must be an AWS region such as ap-southeast-2" }),
  RAYTIO_COGNITO_ENDPOINT: z.url({ error: "must be an http(s) URL" }).optional(),
  RAYTIO_AGENT_USERNAME: z.string({ error: "is required" }).min(1, { error: "is required" }),
  RAYTIO_AGENT_PASSWORD: z.string({ error: "is required" }).min(1, { error: "is required" }),
  RAYTIO_AGENT_ENCRYPTION_PASSWORD: optionalText,
  RAYTIO_AGENT_CUSTOMER_ID: optionalText,
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
  RAYTIO_LOG_LEVEL: z
    .enum(["debug", "info", "warn", "error", "silent"], {
      error: "must be debug, info, warn, error or silent",
    })
    .default("info"),
});

export type RawConfig = z.infer<typeof rawConfigSchema>;

/** Every variable the server reads (besides RAYTIO_CONFIG_FILE); manifests and docs are checked against it. */
export const CONFIG_VARIABLE_NAMES: readonly string[] = Object.keys(rawConfigSchema.shape);

export interface Config {
  apiBaseUrl: string;
  cognito: { userPoolId: string; clientId: string; region: string; endpoint: string | undefined };
  agent: {
    username: string;
    password: string;
    encryptionPassword: string | undefined;
    customerId: string | undefined;
  };
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
  logLevel: RawConfig["RAYTIO_LOG_LEVEL"];
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

export interface ConfigSources {
  env: NodeJS.ProcessEnv;
  defaultFile?: string;
  platform?: NodeJS.Platform;
}

const HOW_TO_FIX: Partial<Record<keyof RawConfig, string>> = {
  RAYTIO_API_BASE_URL: "the Raytio API base URL (the sandbox writes it for you)",
  RAYTIO_COGNITO_USER_POOL_ID: "your Raytio Cognito user pool id",
  RAYTIO_COGNITO_CLIENT_ID: "your Raytio Cognito app client id",
  RAYTIO_COGNITO_REGION: "the AWS region of the user pool",
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

export interface ConfigSourceValues {
  values: Record<string, string | undefined>;
  file: string | undefined;
  warnings: string[];
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
  return { values, file, warnings };
}

function invalid(
  error: z.ZodError,
  values: Record<string, string | undefined>,
  file: string | undefined,
): RaytioError {
  const problems = new Map<string, string>();
  for (const issue of error.issues) {
    const key = String(issue.path[0] ?? "config");
    if (problems.has(key)) continue;
    const hint = HOW_TO_FIX[key as keyof RawConfig];
    const missing = values[key] === undefined;
    // zod's message for a value never contains the value itself, so secrets cannot leak through it.
    const what = missing ? "is missing" : issue.message;
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

function toSurface(raw: z.infer<z.ZodObject<typeof surfaceShape>>): SurfaceSettings {
  return {
    domains: raw.RAYTIO_TOOL_DOMAINS,
    tools: raw.RAYTIO_TOOLS,
    excludeTools: raw.RAYTIO_EXCLUDE_TOOLS ?? [],
    readOnly: raw.RAYTIO_READ_ONLY,
  };
}

/** Only the tool-surface settings, from the same sources, without requiring credentials. */
export function loadSurfaceSettings(sources: ConfigSources = { env: process.env }): SurfaceSettings {
  const { values, file } = readSources(sources);
  const parsed = z.object(surfaceShape).safeParse(values);
  if (!parsed.success) throw invalid(parsed.error, values, file);
  return toSurface(parsed.data);
}

export function loadConfig(
  sources: ConfigSources = { env: process.env },
  options: { agentAccount?: boolean } = {},
): LoadedConfig {
  const { values, file, warnings } = readSources(sources);
  // Over HTTP each person signs in on the authorization page: an agent account is neither needed nor used.
  const schema =
    options.agentAccount === false
      ? rawConfigSchema.extend({
          RAYTIO_AGENT_USERNAME: z
            .unknown()
            .optional()
            .transform(() => ""),
          RAYTIO_AGENT_PASSWORD: z
            .unknown()
            .optional()
            .transform(() => ""),
          RAYTIO_AGENT_ENCRYPTION_PASSWORD: z
            .unknown()
            .optional()
            .transform(() => undefined),
        })
      : rawConfigSchema;
  const parsed = schema.safeParse(values);
  if (!parsed.success) throw invalid(parsed.error, values, file);

  const raw = parsed.data;
  return {
    file,
    warnings,
    config: {
      apiBaseUrl: raw.RAYTIO_API_BASE_URL.replace(/\/+$/, ""),
      cognito: {
        userPoolId: raw.RAYTIO_COGNITO_USER_POOL_ID,
        clientId: raw.RAYTIO_COGNITO_CLIENT_ID,
        region: raw.RAYTIO_COGNITO_REGION,
        endpoint: raw.RAYTIO_COGNITO_ENDPOINT,
      },
      agent: {
        username: raw.RAYTIO_AGENT_USERNAME,
        password: raw.RAYTIO_AGENT_PASSWORD,
        encryptionPassword: raw.RAYTIO_AGENT_ENCRYPTION_PASSWORD,
        customerId: raw.RAYTIO_AGENT_CUSTOMER_ID,
      },
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
      logLevel: raw.RAYTIO_LOG_LEVEL,
    },
  };
}

/** Secret values the logger must scrub from any line, whatever the line's origin. */
export function secretValues(config: Config): string[] {
  const values: Array<string | undefined> = [config.agent.password, config.agent.encryptionPassword];
  return values.filter((value): value is string => typeof value === "string" && value.length >= 4);
}
