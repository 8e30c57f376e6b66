import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { raytioErrorFrom as configError } from "../test/support/raytio-error.js";
import { loadConfig } from "./config.js";

const VALID = {
  RAYTIO_API_BASE_URL: "https://api.example.test/",
  RAYTIO_COGNITO_USER_POOL_ID: "ap-southeast-2_AbC123",
  RAYTIO_COGNITO_CLIENT_ID: "client123",
  RAYTIO_COGNITO_REGION: "ap-southeast-2",
  RAYTIO_AGENT_USERNAME: "agent@example.test",
  RAYTIO_AGENT_PASSWORD: "correct horse battery staple",
};

const noDefaultFile = path.join(tmpdir(), "raytio-no-such-config.env");

describe("loadConfig", () => {
  it("reads the environment and applies documented defaults", () => {
    const { config, credentials, file } = loadConfig({ env: VALID, defaultFile: noDefaultFile });
    expect(file).toBeUndefined();
    expect(config.apiBaseUrl).toBe("https://api.example.test");
    expect(config.requestTimeoutSeconds).toBe(600);
    expect(config.pollIntervalSeconds).toBe(5);
    expect(config.requestExpiryMinutes).toBe(10);
    expect(config.toolDomains).toBeUndefined();
    expect(credentials.encryptionPassword).toBeUndefined();
  });

  it("names every problem variable at once without echoing secret values", () => {
    const error = configError(() =>
      loadConfig({
        env: {
          ...VALID,
          RAYTIO_COGNITO_USER_POOL_ID: "nope",
          RAYTIO_AGENT_USERNAME: "",
          RAYTIO_POLL_INTERVAL_SECONDS: "-1",
        },
        defaultFile: noDefaultFile,
      }),
    );
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain("RAYTIO_COGNITO_USER_POOL_ID");
    expect(error.message).toContain("RAYTIO_AGENT_USERNAME is missing");
    expect(error.message).toContain("RAYTIO_POLL_INTERVAL_SECONDS");
    expect(error.message).not.toContain(VALID.RAYTIO_AGENT_PASSWORD);
  });

  it("never includes a rejected secret value in the message", () => {
    const error = configError(() =>
      loadConfig({
        env: { ...VALID, RAYTIO_TARGET_USER_EMAIL: "s3cr3t-not-an-email" },
        defaultFile: noDefaultFile,
      }),
    );
    expect(error.message).toContain("RAYTIO_TARGET_USER_EMAIL");
    expect(error.message).not.toContain("s3cr3t-not-an-email");
  });

  it("lets the environment win over RAYTIO_CONFIG_FILE, and warns about a world-readable file", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "raytio-config-"));
    const file = path.join(dir, "raytio.env");
    writeFileSync(
      file,
      Object.entries({ ...VALID, RAYTIO_AGENT_USERNAME: "from-file@example.test" })
        .map(([k, v]) => `${k}=${v}`)
        .join("\n"),
    );
    chmodSync(file, 0o644);
    const loaded = loadConfig({
      env: { RAYTIO_CONFIG_FILE: file, RAYTIO_API_BASE_URL: "https://env-wins.example.test" },
      platform: "linux",
    });
    expect(loaded.file).toBe(file);
    expect(loaded.config.apiBaseUrl).toBe("https://env-wins.example.test");
    expect(loaded.credentials.username).toBe("from-file@example.test");
    expect(loaded.warnings.join("\n")).toContain("chmod 600");

    chmodSync(file, 0o600);
    expect(loadConfig({ env: { RAYTIO_CONFIG_FILE: file }, platform: "linux" }).warnings).toEqual([]);
  });

  it("falls back to config.env beside the package, not the working directory", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "raytio-default-"));
    const file = path.join(dir, "config.env");
    writeFileSync(
      file,
      Object.entries(VALID)
        .map(([k, v]) => `${k}=${v}`)
        .join("\n"),
      { mode: 0o600 },
    );
    expect(loadConfig({ env: {}, defaultFile: file }).credentials.username).toBe(VALID.RAYTIO_AGENT_USERNAME);
  });

  it("reports a missing RAYTIO_CONFIG_FILE by name", () => {
    const error = configError(() => loadConfig({ env: { RAYTIO_CONFIG_FILE: "/no/such/file.env" } }));
    expect(error.message).toContain("/no/such/file.env does not exist");
  });

  it("splits RAYTIO_TOOL_DOMAINS into names", () => {
    const { config } = loadConfig({
      env: { ...VALID, RAYTIO_TOOL_DOMAINS: " ppm, wrm-readonly ,," },
      defaultFile: noDefaultFile,
    });
    expect(config.toolDomains).toEqual(["ppm", "wrm-readonly"]);
  });

  describe("RAYTIO_AUTH_FLOW", () => {
    const {
      RAYTIO_COGNITO_USER_POOL_ID: _pool,
      RAYTIO_COGNITO_CLIENT_ID: _client,
      RAYTIO_COGNITO_REGION: _region,
      ...WITHOUT_COGNITO
    } = VALID;

    it("auto signs in with SRP when the Cognito settings are present", () => {
      const { config } = loadConfig({ env: VALID, defaultFile: noDefaultFile });
      expect(config.signIn).toEqual({
        flow: "srp",
        cognito: { userPoolId: "ap-southeast-2_AbC123", clientId: "client123", region: "ap-southeast-2" },
      });
    });

    it("auto uses the token endpoint below the API base URL when no Cognito setting is present", () => {
      const { config } = loadConfig({ env: WITHOUT_COGNITO, defaultFile: noDefaultFile });
      expect(config.signIn).toEqual({
        flow: "token-endpoint",
        tokenUrl: "https://api.example.test/oauth/v1/token",
      });
    });

    it("token-endpoint needs no Cognito setting and ignores the ones present", () => {
      const { config } = loadConfig({
        env: { ...VALID, RAYTIO_AUTH_FLOW: "token-endpoint" },
        defaultFile: noDefaultFile,
      });
      expect(config.signIn.flow).toBe("token-endpoint");
    });

    it("srp names every missing Cognito setting and how to do without them", () => {
      const error = configError(() =>
        loadConfig({ env: { ...WITHOUT_COGNITO, RAYTIO_AUTH_FLOW: "srp" }, defaultFile: noDefaultFile }),
      );
      expect(error.details?.variables).toEqual([
        "RAYTIO_COGNITO_USER_POOL_ID",
        "RAYTIO_COGNITO_CLIENT_ID",
        "RAYTIO_COGNITO_REGION",
      ]);
      expect(error.message).toContain("RAYTIO_AUTH_FLOW=token-endpoint");
    });

    it("auto refuses a half-configured Cognito instead of silently switching flow", () => {
      const error = configError(() =>
        loadConfig({
          env: { ...WITHOUT_COGNITO, RAYTIO_COGNITO_USER_POOL_ID: "ap-southeast-2_AbC123" },
          defaultFile: noDefaultFile,
        }),
      );
      expect(error.details?.variables).toEqual(["RAYTIO_COGNITO_CLIENT_ID", "RAYTIO_COGNITO_REGION"]);
    });

    it("rejects an unknown flow by name", () => {
      const error = configError(() =>
        loadConfig({ env: { ...VALID, RAYTIO_AUTH_FLOW: "password" }, defaultFile: noDefaultFile }),
      );
      expect(error.message).toContain("RAYTIO_AUTH_FLOW must be srp, token-endpoint or auto");
    });
  });
  describe("RAYTIO_AUDIT_LOG", () => {
    const audit = (env: Record<string, string>, platform: NodeJS.Platform = "linux") =>
      loadConfig({ env: { ...VALID, ...env }, platform, defaultFile: noDefaultFile }).config.auditLog;

    it("is on by default, to a file in the user's state directory on each platform", () => {
      expect(audit({ HOME: "/home/ana" })).toEqual({
        to: "file",
        path: "/home/ana/.local/state/raytio-mcp-server/audit.jsonl",
        byDefault: true,
      });
      expect(audit({ HOME: "/home/ana", XDG_STATE_HOME: "/var/state/ana" })).toMatchObject({
        path: "/var/state/ana/raytio-mcp-server/audit.jsonl",
      });
      // The XDG spec ignores a relative XDG_STATE_HOME.
      expect(audit({ HOME: "/home/ana", XDG_STATE_HOME: "state" })).toMatchObject({
        path: "/home/ana/.local/state/raytio-mcp-server/audit.jsonl",
      });
      expect(audit({ HOME: "/Users/ana" }, "darwin")).toMatchObject({
        path: "/Users/ana/Library/Logs/raytio-mcp-server/audit.jsonl",
      });
      expect(audit({ LOCALAPPDATA: "C:\\Users\\ana\\AppData\\Local" }, "win32")).toMatchObject({
        path: path.join("C:\\Users\\ana\\AppData\\Local\\raytio-mcp-server", "audit.jsonl"),
      });
    });

    it("takes an absolute path or ~/, stderr or off", () => {
      expect(audit({ RAYTIO_AUDIT_LOG: "/srv/audit/raytio.jsonl" })).toEqual({
        to: "file",
        path: "/srv/audit/raytio.jsonl",
        byDefault: false,
      });
      expect(audit({ HOME: "/home/ana", RAYTIO_AUDIT_LOG: "~/audit.jsonl" })).toMatchObject({
        path: "/home/ana/audit.jsonl",
      });
      expect(audit({ RAYTIO_AUDIT_LOG: "stderr" })).toEqual({ to: "stderr" });
      expect(audit({ RAYTIO_AUDIT_LOG: "OFF" })).toEqual({ to: "off" });
    });

    it("refuses a relative path, which would land wherever a client starts the server", () => {
      const error = configError(() => audit({ RAYTIO_AUDIT_LOG: "audit.jsonl" }));
      expect(error.message).toContain(
        "RAYTIO_AUDIT_LOG must be an absolute file path (or ~/…), stderr or off",
      );
    });
  });
});

describe("the configuration's sources", () => {
  it("are read in one place on start-up, src/start.ts, and parsed from that one read everywhere else", () => {
    const src = path.dirname(new URL(import.meta.url).pathname);
    const readers = readdirSync(src, { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts") && file !== "config.ts")
      .filter((file) => /\b(readSources|loadConfig)\(/.test(readFileSync(path.join(src, file), "utf8")));
    expect(readers).toEqual(["start.ts"]);
  });
});
