import { createRequire } from "node:module";

const packageJson = createRequire(import.meta.url)("../package.json") as { name: string; version: string };

export const PACKAGE_NAME = packageJson.name;
export const VERSION = packageJson.version;
