/**
 * Imported first by the entry point. stdout carries JSON-RPC only, so anything that calls
 * console.log/info/debug (this code or a dependency) is sent to stderr instead of corrupting the stream.
 */
const toStderr = (...args: unknown[]) => console.error(...args);
console.log = toStderr;
console.info = toStderr;
console.debug = toStderr;
console.trace = toStderr;
