import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Logger } from "./logger.js";
import type { Telemetry } from "./telemetry.js";

/**
 * The Prometheus view of the server's telemetry (prom-client), served on a port of its own
 * (MCP_METRICS_PORT) so it is never reachable through the public listener and its OAuth checks.
 * Loaded only when that port is set. Labels hold tool names, error codes, states and route names: a
 * closed set, never an id, address or person.
 */
const TOOL_CALL_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface MetricSources {
  /** MCP sessions open on this replica. */
  sessions(): number;
}

export class PrometheusTelemetry implements Telemetry {
  readonly registry = new Registry();
  readonly #toolCalls: Counter<"tool" | "outcome">;
  readonly #toolSeconds: Histogram<"tool" | "outcome">;
  readonly #tasks: Counter<"state">;
  readonly #signIns: Counter<"outcome">;
  readonly #rateLimited: Counter<"limit">;
  readonly #storeErrors: Counter<"operation">;
  readonly #httpRequests: Counter<"route" | "method" | "status">;
  readonly #httpSeconds: Histogram<"route" | "method">;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#toolCalls = new Counter({
      name: "raytio_mcp_tool_calls_total",
      help: "Tool calls by tool and outcome (ok, or the stable error code of the result).",
      labelNames: ["tool", "outcome"],
      registers,
    });
    this.#toolSeconds = new Histogram({
      name: "raytio_mcp_tool_call_duration_seconds",
      help: "Time from a tool call's arrival to its result, by tool and outcome.",
      labelNames: ["tool", "outcome"],
      buckets: TOOL_CALL_BUCKETS,
      registers,
    });
    this.#tasks = new Counter({
      name: "raytio_mcp_tasks_total",
      help: "MCP tasks entering each state: working when created; completed, failed or cancelled at the end.",
      labelNames: ["state"],
      registers,
    });
    this.#signIns = new Counter({
      name: "raytio_mcp_sign_ins_total",
      help: "Sign-ins on the authorization page by outcome (ok, or the error code that refused it).",
      labelNames: ["outcome"],
      registers,
    });
    this.#rateLimited = new Counter({
      name: "raytio_mcp_rate_limited_total",
      help: "Requests, connections, sessions or tasks refused or closed by a limit, by limit.",
      labelNames: ["limit"],
      registers,
    });
    this.#storeErrors = new Counter({
      name: "raytio_mcp_redis_errors_total",
      help: "Failed operations on the shared state store (Redis), by operation.",
      labelNames: ["operation"],
      registers,
    });
    this.#httpRequests = new Counter({
      name: "raytio_mcp_http_requests_total",
      help: "HTTP requests answered, by route, method and status.",
      labelNames: ["route", "method", "status"],
      registers,
    });
    this.#httpSeconds = new Histogram({
      name: "raytio_mcp_http_request_duration_seconds",
      help: "Time to answer an HTTP request (a stream counts until it ends), by route and method.",
      labelNames: ["route", "method"],
      buckets: HTTP_BUCKETS,
      registers,
    });
    new Gauge({
      name: "raytio_mcp_sessions",
      help: "MCP sessions open on this replica.",
      registers,
      collect() {
        this.set(sources.sessions());
      },
    });
  }

  toolCall(tool: string, outcome: string, seconds: number): void {
    this.#toolCalls.inc({ tool, outcome });
    this.#toolSeconds.observe({ tool, outcome }, seconds);
  }

  taskEntered(state: string): void {
    this.#tasks.inc({ state });
  }

  signIn(outcome: string): void {
    this.#signIns.inc({ outcome });
  }

  rateLimited(limit: string): void {
    this.#rateLimited.inc({ limit });
  }

  storeError(operation: string): void {
    this.#storeErrors.inc({ operation });
  }

  httpRequest(route: string, method: string, status: number, seconds: number): void {
    this.#httpRequests.inc({ route, method, status: String(status) });
    this.#httpSeconds.observe({ route, method }, seconds);
  }
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** Serves GET /metrics in Prometheus text format; every other path is 404. */
export async function serveMetrics(
  registry: Registry,
  listen: { host: string; port: number },
  logger: Logger,
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("Not found: metrics are at /metrics\n");
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { "Content-Type": registry.contentType }).end(text),
      () => res.writeHead(500, { "Content-Type": "text/plain" }).end("metrics could not be collected\n"),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = listen.host.includes(":") ? `[${listen.host}]` : listen.host;
  const url = `http://${host}:${port}/metrics`;
  logger.info(`Prometheus metrics on ${url}`);
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
