import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";

/**
 * Fault injection for the sandbox, so tests can prove how the server behaves when the platform
 * misbehaves: slow answers, 5xx with or without Retry-After, dropped connections, truncated or
 * non-JSON bodies, Cognito outages. Rules are consumed in order; each fires `times` times (-1 = until
 * cleared).
 *
 * `hold` keeps a request unanswered until the rules are cleared, then lets it go on as normal. It makes
 * "slower than the client's timeout" certain whatever the machine's speed, where a fixed latency only
 * races the client's clock.
 */
export const faultRuleSchema = z.object({
  target: z.enum(["api", "cognito"]).default("api"),
  method: z.string().toUpperCase().optional(),
  pathPrefix: z.string().optional(),
  kind: z.enum(["status", "reset", "latency", "hold", "truncate", "non_json"]),
  status: z.number().int().min(200).max(599).optional(),
  retryAfter: z.string().optional(),
  delayMs: z.number().int().min(0).max(60_000).optional(),
  times: z.number().int().min(-1).default(1),
});

export type FaultRule = z.input<typeof faultRuleSchema>;
type ParsedRule = z.output<typeof faultRuleSchema> & { id: number; hits: number };

export class FaultInjector {
  private rules: ParsedRule[] = [];
  private nextId = 1;
  private held = new Set<() => void>();

  add(rule: FaultRule): number {
    const parsed = faultRuleSchema.parse(rule);
    const id = this.nextId++;
    this.rules.push({ ...parsed, id, hits: 0 });
    return id;
  }

  /** Removes every rule and lets every held request go on. */
  clear(): void {
    this.rules = [];
    for (const release of this.held) release();
    this.held.clear();
  }

  /** Hits per rule id: tests assert that a fault really fired. */
  hits(id: number): number {
    return this.rules.find((rule) => rule.id === id)?.hits ?? 0;
  }

  /**
   * Applies the first matching rule. Returns true when the fault answered the request itself, false
   * when the request should continue (no rule, or only latency or a hold that has been released).
   */
  async apply(
    target: "api" | "cognito",
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
  ): Promise<boolean> {
    const rule = this.rules.find(
      (candidate) =>
        candidate.target === target &&
        (candidate.times === -1 || candidate.hits < candidate.times) &&
        (!candidate.method || candidate.method === req.method) &&
        (!candidate.pathPrefix || path.startsWith(candidate.pathPrefix)),
    );
    if (!rule) return false;
    rule.hits += 1;
    switch (rule.kind) {
      case "latency":
        await new Promise((resolve) => setTimeout(resolve, rule.delayMs ?? 1000));
        return false;
      case "hold":
        await new Promise<void>((resolve) => this.held.add(resolve));
        return false;
      case "reset":
        req.socket.destroy();
        return true;
      case "truncate": {
        const body = JSON.stringify([{ id: "truncated", note: "this body is cut short" }]);
        res.writeHead(200, { "Content-Type": "application/json", "Content-Length": String(body.length * 2) });
        res.write(body.slice(0, body.length / 2));
        res.socket?.destroy();
        return true;
      }
      case "non_json":
        res.writeHead(rule.status ?? 200, { "Content-Type": "text/html" });
        res.end("<html><body>502 Bad Gateway</body></html>");
        return true;
      case "status": {
        const status = rule.status ?? 503;
        const headers: Record<string, string> = { "Content-Type": "application/json" };
        if (rule.retryAfter !== undefined) headers["Retry-After"] = rule.retryAfter;
        res.writeHead(status, headers);
        res.end(JSON.stringify(target === "cognito" ? cognitoError(status) : postgrestError(status)));
        return true;
      }
    }
  }
}

function postgrestError(status: number) {
  if (status === 401) {
    return {
      code: "PGRST301",
      details: null,
      hint: null,
      message: "JWT could not be verified (injected fault)",
    };
  }
  return { code: "PGRST000", details: null, hint: null, message: `Injected fault: HTTP ${status}` };
}

function cognitoError(status: number) {
  return status === 429
    ? { __type: "TooManyRequestsException", message: "Rate exceeded" }
    : { __type: "InternalErrorException", message: "Injected Cognito outage" };
}
