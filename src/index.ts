#!/usr/bin/env node
import module from "node:module";
import v8 from "node:v8";

// V8 doubles the young generation each time it fills, up to 16 MiB a semi-space; a start-up that
// allocates a lot once (the SDK, zod schemas, sign-in) keeps that heap for the life of the process.
// Growth factor 1 holds it at its first size: measured with `npm run bench` (Claude Code's order, heap
// total 2.5 s after the first call) it is the cheapest memory cut this server has, at no start-up cost.
v8.setFlagsFromString("--semi-space-growth-factor=1");

// Node 22.1 and later can keep the compiled bundle on disk between runs, which most of a cold start
// is; Node 20 has no such cache and skips this. It only applies to modules loaded after this call,
// hence the dynamic import of everything else.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
await import("./start.js");
