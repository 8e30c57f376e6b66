import { once } from "node:events";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { MetadataFetcher, type Resolver } from "./metadata-fetch.js";

/**
 * The SSRF guard without the network: names resolve through a stand-in resolver, and the only server
 * is a loopback socket that never answers. The whole fetch over TLS (a good document, an oversized one,
 * a redirect) is covered end to end by test/http-cimd.test.ts.
 */
const fetchers: MetadataFetcher[] = [];
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(fetchers.splice(0).map((fetcher) => fetcher.close()));
  for (const server of servers.splice(0)) server.close();
});

function fetcherWith(resolve: Resolver, options: { allowLoopback?: boolean; timeoutMs?: number } = {}) {
  const fetcher = new MetadataFetcher({
    timeoutMs: options.timeoutMs ?? 5_000,
    maxBytes: 5 * 1024,
    allowLoopback: options.allowLoopback ?? false,
    userAgent: "test",
    resolve,
  });
  fetchers.push(fetcher);
  return fetcher;
}

function resolver(table: Record<string, string[]>) {
  const asked: string[] = [];
  const resolve: Resolver = async (hostname) => {
    asked.push(hostname);
    return (table[hostname] ?? []).map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return { asked, resolve };
}

/** A TCP server that accepts connections and never says anything: TLS never starts, nothing arrives. */
async function silentServer(): Promise<{ port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on("error", () => undefined);
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  server.on("close", () => {
    for (const socket of sockets) socket.destroy();
  });
  return { port: (server.address() as AddressInfo).port, sockets };
}

describe("the metadata fetcher's address guard", () => {
  it.each([
    ["intranet.example", ["10.0.0.5"], "intranet.example resolves to 10.0.0.5, a private address"],
    ["metadata.example", ["169.254.169.254"], "resolves to 169.254.169.254, a link-local address"],
    ["cgnat.example", ["100.100.1.1"], "a carrier-grade NAT address"],
    ["v6.example", ["fd00::1"], "resolves to fd00::1, a unique local address"],
    ["mapped.example", ["::ffff:192.168.1.1"], "a private address"],
    ["localhost", ["127.0.0.1"], "localhost resolves to 127.0.0.1, a loopback address"],
    // A public record beside a private one is how DNS rebinding starts: the whole name is refused.
    ["mixed.example", ["93.184.215.14", "10.1.1.1"], "mixed.example resolves to 10.1.1.1, a private address"],
  ])("refuses %s (%j) before connecting", async (host, addresses, reason) => {
    const { asked, resolve } = resolver({ [host]: addresses });
    await expect(fetcherWith(resolve).fetch(new URL(`https://${host}/client.json`))).rejects.toThrow(reason);
    expect(asked).toEqual([host]);
  });

  it.each([
    ["https://169.254.169.254/latest/meta-data", "169.254.169.254, a link-local address"],
    ["https://10.0.0.1/client.json", "10.0.0.1, a private address"],
    ["https://[::1]/client.json", "::1, a loopback address"],
    ["https://[fe80::1]/client.json", "fe80::1, a link-local address"],
    ["https://[::ffff:7f00:1]/client.json", "::ffff:7f00:1, a loopback address"],
  ])("refuses the IP literal %s without resolving or connecting", async (url, reason) => {
    const { asked, resolve } = resolver({});
    await expect(fetcherWith(resolve).fetch(new URL(url))).rejects.toThrow(reason);
    expect(asked).toEqual([]);
  });

  it("refuses a plain http address", async () => {
    const { asked, resolve } = resolver({ "app.example": ["93.184.215.14"] });
    await expect(fetcherWith(resolve).fetch(new URL("http://app.example/client.json"))).rejects.toThrow(
      "only https addresses are fetched",
    );
    expect(asked).toEqual([]);
  });

  it("says when a name has no address", async () => {
    const { resolve } = resolver({ "empty.example": [] });
    await expect(fetcherWith(resolve).fetch(new URL("https://empty.example/c.json"))).rejects.toThrow(
      "empty.example has no address",
    );
  });

  it("with the test setting, connects to loopback through the one answer it checked, and gives up at the deadline", async () => {
    const silent = await silentServer();
    const { asked, resolve } = resolver({ "client.test": ["127.0.0.1"] });
    const fetcher = fetcherWith(resolve, { allowLoopback: true, timeoutMs: 300 });
    // The server never answers, so the deadline is the only way this ends: no race with machine speed.
    await expect(fetcher.fetch(new URL(`https://client.test:${silent.port}/client.json`))).rejects.toThrow(
      "the document did not arrive within 0.3 s",
    );
    expect(asked).toEqual(["client.test"]);
    expect(silent.sockets).toHaveLength(1);
  });

  it("still refuses a private address with the test setting on", async () => {
    const { resolve } = resolver({ "intranet.example": ["192.168.0.10"] });
    await expect(
      fetcherWith(resolve, { allowLoopback: true }).fetch(new URL("https://intranet.example/c.json")),
    ).rejects.toThrow("a private address");
  });
});
