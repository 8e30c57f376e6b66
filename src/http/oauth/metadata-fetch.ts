import { type LookupAddress, lookup as systemLookup } from "node:dns";
import { isIP, type LookupFunction, connect as tcpConnect } from "node:net";
import { Agent, buildConnector, request } from "undici";
import { addressRefusal } from "./special-addresses.js";

/**
 * Fetches a client metadata document from an address the client chose, so that the address cannot
 * turn the authorization server against its own network (the CIMD draft's SSRF section):
 *
 * - the name is resolved once, by the connection itself (a `lookup` on the socket), and refused when
 *   any address it resolves to is special-use: there is no separate check a second resolution could
 *   slip past (DNS rebinding), and a name that mixes public and private records is refused outright;
 * - an IP literal is judged before connecting, and the address the socket really connected to is
 *   judged again before TLS starts;
 * - https only; redirects are never followed (the caller sees the 3xx and refuses it);
 * - one deadline covers connecting, TLS, headers and body; the body is capped.
 *
 * undici does the HTTP and TLS (its own connector, handed the checked TCP socket); this file only
 * decides where the socket may go.
 */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

/** Why a document could not be fetched, in words the sign-in page can show. */
export class MetadataFetchError extends Error {}

export interface FetchedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Read only for a 200; empty otherwise. */
  body: Buffer;
}

export interface MetadataFetcherOptions {
  timeoutMs: number;
  maxBytes: number;
  /** Tests on a loopback-bound server only (MCP_TEST_ONLY_CIMD_ALLOW_LOOPBACK). */
  allowLoopback: boolean;
  userAgent: string;
  /** Replaces the system resolver (unit tests). */
  resolve?: Resolver;
}

const systemResolve: Resolver = (hostname) =>
  new Promise((resolve, reject) => {
    systemLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    );
  });

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

export class MetadataFetcher {
  readonly #agent: Agent;
  readonly #resolve: Resolver;

  constructor(private readonly options: MetadataFetcherOptions) {
    this.#resolve = options.resolve ?? systemResolve;
    const tls = buildConnector({ timeout: options.timeoutMs });
    this.#agent = new Agent({
      connect: (connectOptions, callback) => this.#connect(connectOptions, callback, tls),
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      maxResponseSize: options.maxBytes,
    });
  }

  #refusal(hostname: string, address: string): MetadataFetchError | undefined {
    const category = addressRefusal(address, { allowLoopback: this.options.allowLoopback });
    if (!category) return undefined;
    const where = hostname === address ? address : `${hostname} resolves to ${address}`;
    return new MetadataFetchError(
      `${where}, a ${category} address: documents are fetched only from public addresses`,
    );
  }

  /** The socket's resolver: every address the name has must be public, or none is used. */
  readonly #lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    this.#resolve(hostname).then(
      (found) => {
        const wanted = lookupOptions.family;
        const family = wanted === 4 || wanted === "IPv4" ? 4 : wanted === 6 || wanted === "IPv6" ? 6 : 0;
        const addresses = family ? found.filter((entry) => entry.family === family) : found;
        for (const entry of found) {
          const refused = this.#refusal(hostname, entry.address);
          if (refused) return callback(refused, "", 0);
        }
        const first = addresses[0];
        if (!first) return callback(new MetadataFetchError(`${hostname} has no address`), "", 0);
        if (lookupOptions.all) return callback(null, addresses);
        callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, "", 0),
    );
  };

  #connect(
    options: buildConnector.Options,
    callback: buildConnector.Callback,
    tls: buildConnector.connector,
  ): void {
    let settled = false;
    const finish: buildConnector.Callback = (...args) => {
      if (settled) return;
      settled = true;
      callback(...args);
    };
    const literal = isIP(options.hostname) ? this.#refusal(options.hostname, options.hostname) : undefined;
    if (literal) {
      finish(literal, null);
      return;
    }
    const socket = tcpConnect({
      host: options.hostname,
      port: Number(options.port) || 443,
      lookup: this.#lookup,
      autoSelectFamily: true,
    });
    // Kept for the socket's whole life: a late error must never become an uncaught exception.
    socket.on("error", (error) => finish(error, null));
    socket.setTimeout(this.options.timeoutMs, () =>
      socket.destroy(new MetadataFetchError(`no connection within ${seconds(this.options.timeoutMs)}`)),
    );
    socket.once("connect", () => {
      socket.setTimeout(0);
      const refused = this.#refusal(options.hostname, socket.remoteAddress ?? "");
      if (refused) {
        socket.destroy();
        finish(refused, null);
        return;
      }
      tls({ ...options, httpSocket: socket }, finish);
    });
  }

  async fetch(url: URL): Promise<FetchedResponse> {
    if (url.protocol !== "https:") throw new MetadataFetchError("only https addresses are fetched");
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    // undici notices an abort during connection setup only at its next coarse timer tick (up to a
    // second late), so the deadline is also raced here: the page waits no longer than it says.
    const deadline = new Promise<never>((_, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
    try {
      return await Promise.race([this.#get(url, signal), deadline]);
    } catch (error) {
      throw this.#explain(error, signal);
    }
  }

  async #get(url: URL, signal: AbortSignal): Promise<FetchedResponse> {
    const response = await request(url, {
      dispatcher: this.#agent,
      method: "GET",
      headers: { accept: "application/json", "user-agent": this.options.userAgent },
      signal,
    });
    if (response.statusCode !== 200) {
      await response.body.dump().catch(() => undefined);
      return { status: response.statusCode, headers: response.headers, body: Buffer.alloc(0) };
    }
    const declared = Number(response.headers["content-length"]);
    if (declared > this.options.maxBytes) {
      response.body.destroy();
      throw this.#tooLarge();
    }
    const body = Buffer.from(await response.body.arrayBuffer());
    return { status: 200, headers: response.headers, body };
  }

  #tooLarge(): MetadataFetchError {
    return new MetadataFetchError(`the document is larger than ${this.options.maxBytes / 1024} KiB`);
  }

  #explain(error: unknown, signal: AbortSignal): MetadataFetchError {
    if (error instanceof MetadataFetchError) return error;
    const code = (error as { code?: unknown }).code;
    if (
      signal.aborted ||
      code === "UND_ERR_HEADERS_TIMEOUT" ||
      code === "UND_ERR_BODY_TIMEOUT" ||
      code === "UND_ERR_CONNECT_TIMEOUT"
    ) {
      return new MetadataFetchError(`the document did not arrive within ${seconds(this.options.timeoutMs)}`);
    }
    if (code === "UND_ERR_RES_EXCEEDED_MAX_SIZE") return this.#tooLarge();
    if (code === "ENOTFOUND" || code === "EAI_AGAIN")
      return new MetadataFetchError("its host name is unknown");
    if (code === "ECONNREFUSED") return new MetadataFetchError("its host refused the connection");
    if (typeof code === "string" && /CERT|SSL|TLS|SELF_SIGNED|ERR_TLS/.test(code)) {
      return new MetadataFetchError(`its TLS certificate was not accepted (${code})`);
    }
    return new MetadataFetchError(
      `it could not be fetched (${typeof code === "string" ? code : error instanceof Error ? error.name : "error"})`,
    );
  }

  /** Ends every connection at once: a page still waiting for a document is being shut down anyway. */
  async close(): Promise<void> {
    await this.#agent.destroy();
  }
}
