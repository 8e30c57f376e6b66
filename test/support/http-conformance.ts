import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import path from "node:path";
import { ROOT } from "./harness.js";

/**
 * The official MCP conformance suite needs Node 22 and has no way to sign in: it connects to a URL with
 * no credentials. So the suite is installed (with a Node 22 binary, from npm, as a package) into a
 * cache folder, and it talks to the server through a loopback proxy that adds one person's bearer
 * token to each request and changes nothing else (Host and Origin pass through untouched, so the
 * server's own DNS-rebinding checks are what the suite tests).
 */
export const CONFORMANCE_VERSION = "0.1.16";
export const NODE22_VERSION = "22.23.3";
const CACHE = path.join(ROOT, "node_modules", ".cache", "raytio-conformance");

export interface ConformanceInstall {
  node: string;
  cli: string;
}

export function installConformance(): ConformanceInstall {
  const nodePackage = `node-${process.platform}-${process.arch}`;
  const node = path.join(CACHE, "node_modules", nodePackage, "bin", "node");
  const cli = path.join(CACHE, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js");
  if (!existsSync(node) || !existsSync(cli)) {
    mkdirSync(CACHE, { recursive: true });
    execFileSync(
      process.platform === "win32" ? "npm.cmd" : "npm",
      [
        "install",
        "--prefix",
        CACHE,
        "--no-audit",
        "--no-fund",
        "--no-save",
        "--loglevel=error",
        `@modelcontextprotocol/conformance@${CONFORMANCE_VERSION}`,
        `${nodePackage}@${NODE22_VERSION}`,
      ],
      { stdio: "inherit" },
    );
  }
  return { node, cli };
}

export interface AuthProxy {
  port: number;
  setToken(token: string): void;
  stop(): Promise<void>;
}

export async function startAuthProxy(target: URL, port: number): Promise<AuthProxy> {
  let token: string | undefined;
  const server: Server = createServer((incoming, outgoing) => {
    const headers = { ...incoming.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) };
    const forwarded = request(
      { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on("error", () => {
      if (!outgoing.headersSent) outgoing.writeHead(502);
      outgoing.end();
    });
    outgoing.on("close", () => forwarded.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return {
    port,
    setToken(value) {
      token = value;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ConformanceRun {
  exitCode: number;
  output: string;
}

export function runConformance(
  install: ConformanceInstall,
  url: string,
  args: string[],
): Promise<ConformanceRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(install.node, [install.cli, "server", "--url", url, ...args], {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.once("error", reject);
    child.once("exit", (code) => resolve({ exitCode: code ?? 1, output }));
  });
}
