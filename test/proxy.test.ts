import { once } from "node:events";
import { readFileSync } from "node:fs";
import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
} from "node:http";
import { type AddressInfo, type Server as NetServer, connect as netConnect, type Socket } from "node:net";
import path from "node:path";
import type { Duplex } from "node:stream";
import { createServer as createTlsServer } from "node:tls";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox/sandbox.js";
import { type ConnectedServer, ROOT, serverPool, startTestSandbox, textOf } from "./support/harness.js";

/**
 * Every outgoing request, the API client's and sign-in's (Cognito SRP and the token endpoint), honours
 * HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY as axios did before it: an https origin is reached
 * through a CONNECT tunnel (TLS runs end to end, so the proxy sees a host name and nothing else), a
 * plain-HTTP origin through an absolute-URL request to the proxy. The proxy here is a real forward
 * proxy that records what it carried; the https origin is a TLS front on the sandbox.
 */
const TLS_DIR = path.join(ROOT, "test/fixtures/tls");
const CERTIFICATE = path.join(TLS_DIR, "localhost.crt");
const PROXY_PASSWORD = "proxy-secret-5b1f0e";
/**
 * Nothing listens on this loopback address: a server told to use it reaches the sandbox only through
 * the proxy, which carries requests for it to 127.0.0.1, as a mandatory corporate proxy would.
 */
const HIDDEN_HOST = "127.0.0.3";
const upstreamHost = (host: string) => (host === "localhost" || host === HIDDEN_HOST ? "127.0.0.1" : host);

interface Carried {
  /** `CONNECT host:port` or `GET http://…`: what the proxy was asked to do. */
  line: string;
  authorization: string | undefined;
  host: string | undefined;
}

let sandbox: Sandbox;
let sandboxPort: number;
let tlsFront: NetServer;
let tlsPort: number;
let httpsApi: string;
let proxy: Server;
let proxyPort: number;
let carried: Carried[] = [];
/** A status the proxy answers every request with instead of carrying it. */
let refuseWith: number | undefined;

const pool = serverPool(() => sandbox, { RAYTIO_TOOL_DOMAINS: "ppm" });
const proxyUrl = (credentials = "") => `http://${credentials}127.0.0.1:${proxyPort}`;
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

const listen = async (server: NetServer): Promise<number> => {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
};

const splice = (a: Duplex, b: Duplex) => {
  a.pipe(b).pipe(a);
  a.on("error", () => b.destroy());
  b.on("error", () => a.destroy());
};

const workItemsRead = () =>
  sandbox.requests.filter((request) => request.url.startsWith("/db/v1/ppm_work_item")).length;

async function listWorkItems(server: ConnectedServer) {
  return server.call("list_work_items", { limit: 1 });
}

/** The call failed at the proxy's 407, said so, and was not retried: the same proxy would refuse again. */
function expectRefusedOnce(result: CallToolResult, apiReadsBefore: number): void {
  expect(textOf(result)).toMatch(
    new RegExp(
      `^API_UNAVAILABLE: The proxy ${proxyUrl()} would not carry GET .*\\(HTTP 407\\)\\. It wants credentials`,
    ),
  );
  expect(carried).toHaveLength(1);
  expect(workItemsRead()).toBe(apiReadsBefore);
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  sandboxPort = Number(new URL(sandbox.configFor("project_user").RAYTIO_API_BASE_URL ?? "").port);

  tlsFront = createTlsServer(
    { key: readFileSync(path.join(TLS_DIR, "localhost.key")), cert: readFileSync(CERTIFICATE) },
    (socket) => splice(socket, netConnect(sandboxPort, "127.0.0.1")),
  );
  tlsFront.on("tlsClientError", () => {});
  tlsPort = await listen(tlsFront);
  httpsApi = `https://localhost:${tlsPort}`;

  proxy = createHttpServer((req, res) => {
    carried.push({
      line: `${req.method} ${req.url}`,
      authorization: req.headers["proxy-authorization"],
      host: req.headers.host,
    });
    if (refuseWith !== undefined) {
      res.writeHead(refuseWith, { "Proxy-Authenticate": "Basic" }).end();
      return;
    }
    const { "proxy-authorization": _credentials, ...headers } = req.headers;
    const target = new URL(req.url ?? "");
    const upstream = httpRequest(
      {
        hostname: upstreamHost(target.hostname),
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: req.method,
        headers,
      },
      (answer: IncomingMessage) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  proxy.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    carried.push({
      line: `CONNECT ${req.url}`,
      authorization: req.headers["proxy-authorization"],
      host: req.headers.host,
    });
    if (refuseWith !== undefined) {
      client.end(`HTTP/1.1 ${refuseWith} Refused\r\nProxy-Authenticate: Basic\r\n\r\n`);
      return;
    }
    const [host, port] = (req.url ?? "").split(/:(?=\d+$)/);
    const upstream = netConnect(Number(port), upstreamHost(host ?? ""), () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      splice(client, upstream);
    });
    upstream.on("error", () => client.destroy());
  });
  proxyPort = await listen(proxy);
});

afterEach(async () => {
  // A server left running would go on signing in through the proxy during the next test.
  await pool.closeAll();
  carried = [];
  refuseWith = undefined;
});

afterAll(async () => {
  await pool.closeAll();
  proxy.closeAllConnections();
  await new Promise((resolve) => proxy.close(resolve));
  await new Promise((resolve) => tlsFront.close(resolve));
  await sandbox.stop();
});

describe("an https API behind HTTPS_PROXY", () => {
  it("is reached through a CONNECT tunnel, with the proxy's credentials from its URL", async () => {
    const server = await pool.connect("project_user", {
      RAYTIO_API_BASE_URL: httpsApi,
      NODE_EXTRA_CA_CERTS: CERTIFICATE,
      HTTPS_PROXY: proxyUrl(`tunnel-user:${PROXY_PASSWORD}@`),
    });
    const before = workItemsRead();
    const result = await listWorkItems(server);
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(workItemsRead()).toBeGreaterThan(before);
    const authority = new URL(httpsApi).host;
    expect(carried.length).toBeGreaterThan(0);
    for (const entry of carried) {
      expect(entry).toEqual({
        line: `CONNECT ${authority}`,
        authorization: basic("tunnel-user", PROXY_PASSWORD),
        host: authority,
      });
    }
  });

  it("still checks the API's certificate: the proxy cannot stand in for it", async () => {
    const server = await pool.connect("project_user", {
      RAYTIO_API_BASE_URL: httpsApi,
      HTTPS_PROXY: proxyUrl(),
    });
    const result = await listWorkItems(server);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(
      new RegExp(`^API_UNAVAILABLE: .*could not be reached \\(\\w+\\).* through the proxy ${proxyUrl()}\\.`),
    );
    expect(carried.map((entry) => entry.line)).toContain(`CONNECT ${new URL(httpsApi).host}`);
  });

  it("says what the proxy answered when it will not open the tunnel, never echoing its password", async () => {
    refuseWith = 407;
    const server = await pool.connect("project_user", {
      RAYTIO_API_BASE_URL: httpsApi,
      NODE_EXTRA_CA_CERTS: CERTIFICATE,
      https_proxy: proxyUrl(`tunnel-user:${PROXY_PASSWORD}@`),
    });
    const before = workItemsRead();
    const result = await listWorkItems(server);
    expectRefusedOnce(result, before);
    expect(`${textOf(result)}\n${server.stderr.join("\n")}`).not.toContain(PROXY_PASSWORD);
  });

  it("refuses a proxy setting that is not an http(s) URL, without repeating it", async () => {
    const server = await pool.connect("project_user", {
      RAYTIO_API_BASE_URL: httpsApi,
      NODE_EXTRA_CA_CERTS: CERTIFICATE,
      ALL_PROXY: `socks5://someone:${PROXY_PASSWORD}@127.0.0.1:1080`,
    });
    const result = await listWorkItems(server);
    expect(textOf(result)).toMatch(/^CONFIG_INVALID: The proxy named by HTTPS_PROXY \(or ALL_PROXY\)/);
    expect(`${textOf(result)}\n${server.stderr.join("\n")}`).not.toContain(PROXY_PASSWORD);
    expect(carried).toEqual([]);
  });
});

describe("a plain-HTTP API behind HTTP_PROXY", () => {
  it("is sent to the proxy as an absolute URL with the API's own Host", async () => {
    const api = sandbox.configFor("project_user").RAYTIO_API_BASE_URL ?? "";
    const server = await pool.connect("project_user", {
      http_proxy: proxyUrl(`forward-user:${PROXY_PASSWORD}@`),
    });
    const result = await listWorkItems(server);
    expect(result.isError, textOf(result)).toBeFalsy();
    const reads = carried.filter((entry) => entry.line.includes("/db/v1/ppm_work_item"));
    expect(reads.length).toBeGreaterThan(0);
    for (const entry of reads) {
      expect(entry.line).toMatch(new RegExp(`^GET ${api}/db/v1/ppm_work_item\\?`));
      expect(entry.authorization).toBe(basic("forward-user", PROXY_PASSWORD));
      expect(entry.host).toBe(new URL(api).host);
    }
  });

  it("says so when the proxy wants credentials, rather than blaming the API", async () => {
    refuseWith = 407;
    // Sign-in goes to Cognito over https, which HTTP_PROXY does not cover, so only the API call meets the proxy.
    const server = await pool.connect("project_user", {
      HTTP_PROXY: proxyUrl(),
      RAYTIO_COGNITO_ENDPOINT: `${httpsApi}/cognito/`,
      NODE_EXTRA_CA_CERTS: CERTIFICATE,
    });
    const before = workItemsRead();
    const result = await listWorkItems(server);
    expectRefusedOnce(result, before);
  });

  it("goes straight to a host that NO_PROXY lists", async () => {
    const server = await pool.connect("project_user", {
      HTTP_PROXY: proxyUrl(),
      NO_PROXY: "example.com, 127.0.0.1",
    });
    const before = workItemsRead();
    const result = await listWorkItems(server);
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(workItemsRead()).toBeGreaterThan(before);
    expect(carried).toEqual([]);
  });
});

describe("sign-in behind a mandatory proxy", () => {
  const FLOWS = [
    { flow: "srp", service: "Cognito", path: "/cognito/" },
    { flow: "token-endpoint", service: "the Raytio token endpoint", path: "/oauth/v1/token" },
  ] as const;
  const ROUTES = [
    { scheme: "https", variable: "HTTPS_PROXY", port: () => tlsPort },
    { scheme: "http", variable: "HTTP_PROXY", port: () => sandboxPort },
  ] as const;

  /** Everything at the hidden address, reachable only through the proxy named by `variable`. */
  const hiddenEnv = (
    flow: (typeof FLOWS)[number]["flow"],
    route: (typeof ROUTES)[number],
    proxy: string,
  ): Record<string, string> => {
    const base = `${route.scheme}://${HIDDEN_HOST}:${route.port()}`;
    return {
      RAYTIO_API_BASE_URL: base,
      RAYTIO_AUTH_FLOW: flow,
      RAYTIO_COGNITO_ENDPOINT: `${base}/cognito/`,
      [route.variable]: proxy,
      ...(route.scheme === "https" ? { NODE_EXTRA_CA_CERTS: CERTIFICATE } : {}),
    };
  };

  const signInsAt = (path: string, host: string) =>
    sandbox.requests.filter((request) => request.url.startsWith(path) && request.host === host).length;

  beforeAll(async () => {
    // The premise: nothing answers at the hidden address, so a request that bypassed the proxy would fail.
    for (const port of [tlsPort, sandboxPort]) {
      const socket = netConnect(port, HIDDEN_HOST);
      const [error] = (await once(socket, "error")) as [NodeJS.ErrnoException];
      expect(error.code).toBe("ECONNREFUSED");
    }
  });

  for (const { flow, path: signInPath } of FLOWS) {
    for (const route of ROUTES) {
      it(`signs in with ${flow} and calls tools over ${route.scheme}, only through the proxy`, async () => {
        const authority = `${HIDDEN_HOST}:${route.port()}`;
        const server = await pool.connect(
          "project_user",
          hiddenEnv(flow, route, proxyUrl(`mandatory-user:${PROXY_PASSWORD}@`)),
        );
        const signInsBefore = signInsAt(signInPath, authority);
        const readsBefore = workItemsRead();
        const result = await listWorkItems(server);
        expect(result.isError, textOf(result)).toBeFalsy();
        // The sandbox was asked for the hidden address, so the requests came by way of the proxy.
        expect(signInsAt(signInPath, authority)).toBeGreaterThan(signInsBefore);
        expect(workItemsRead()).toBeGreaterThan(readsBefore);
        const lines = carried.map((entry) => entry.line);
        if (route.scheme === "https") {
          expect(new Set(lines)).toEqual(new Set([`CONNECT ${authority}`]));
        } else {
          expect(lines).toContainEqual(`POST http://${authority}${signInPath}`);
          expect(lines.some((line) => line.startsWith(`GET http://${authority}/db/v1/ppm_work_item?`))).toBe(
            true,
          );
        }
        for (const entry of carried) {
          expect(entry.authorization).toBe(basic("mandatory-user", PROXY_PASSWORD));
          expect(entry.host).toBe(authority);
        }
        expect(server.stderr.join("\n")).not.toContain(PROXY_PASSWORD);
      });
    }
  }

  for (const { flow, service, path: signInPath } of FLOWS) {
    it(`names the proxy that refuses the ${flow} sign-in and its status, never its password`, async () => {
      refuseWith = 407;
      const route = ROUTES[0];
      const server = await pool.connect(
        "project_user",
        hiddenEnv(flow, route, proxyUrl(`mandatory-user:${PROXY_PASSWORD}@`)),
      );
      const signInsBefore = signInsAt(signInPath, `${HIDDEN_HOST}:${route.port()}`);
      const result = await listWorkItems(server);
      expect(textOf(result)).toMatch(
        new RegExp(
          `^API_UNAVAILABLE: The proxy ${proxyUrl()} would not carry the sign-in to ${service} \\(HTTP 407\\)\\. It wants credentials`,
        ),
      );
      expect(carried.length).toBeGreaterThan(0);
      expect(signInsAt(signInPath, `${HIDDEN_HOST}:${route.port()}`)).toBe(signInsBefore);
      expect(`${textOf(result)}\n${server.stderr.join("\n")}`).not.toContain(PROXY_PASSWORD);
    });
  }

  it("refuses a sign-in proxy setting that is not an http(s) URL, without repeating it", async () => {
    // The API is reached directly (no HTTP_PROXY), Cognito over https through the unusable proxy.
    const server = await pool.connect("project_user", {
      RAYTIO_COGNITO_ENDPOINT: `${httpsApi}/cognito/`,
      NODE_EXTRA_CA_CERTS: CERTIFICATE,
      HTTPS_PROXY: `socks5://someone:${PROXY_PASSWORD}@127.0.0.1:1080`,
    });
    const result = await listWorkItems(server);
    expect(textOf(result)).toMatch(/^CONFIG_INVALID: The proxy named by HTTPS_PROXY \(or ALL_PROXY\)/);
    expect(`${textOf(result)}\n${server.stderr.join("\n")}`).not.toContain(PROXY_PASSWORD);
    expect(carried).toEqual([]);
  });
});
