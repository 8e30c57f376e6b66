#!/usr/bin/env node
import module from "node:module";

// Node 22.1 and later can keep the compiled bundle on disk between runs, which most of a cold start
// is; Node 20 has no such cache and skips this. It only applies to modules loaded after this call,
// hence the dynamic import of everything else.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
await import("./start.js");
