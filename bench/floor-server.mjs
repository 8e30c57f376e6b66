// The floor of the start-up bench: plain Node answering JSON-RPC over stdio with no library at all,
// so the tables show how much of every server's start is Node itself. It speaks the 2025 era only, as
// the peers do: `server/discover` is refused with "Method not found", which sends a client that opens
// as Claude Code does on to `initialize`.
let buffer = "";
const answer = (message) => {
  switch (message.method) {
    case "initialize":
      return {
        result: {
          protocolVersion: message.params.protocolVersion,
          capabilities: { tools: {} },
          serverInfo: { name: "floor", version: "0.0.0" },
        },
      };
    case "tools/list":
      return { result: { tools: [] } };
    case "tools/call":
      return { result: { content: [{ type: "text", text: "floor" }] } };
    default:
      return { error: { code: -32601, message: "Method not found" } };
  }
};
process.stdin.on("data", (chunk) => {
  buffer += chunk;
  for (let newline = buffer.indexOf("\n"); newline >= 0; newline = buffer.indexOf("\n")) {
    const message = JSON.parse(buffer.slice(0, newline));
    buffer = buffer.slice(newline + 1);
    if (message.id === undefined) continue;
    process.stdout.write(`${JSON.stringify({ jsonrpc: "2.0", id: message.id, ...answer(message) })}\n`);
  }
});
