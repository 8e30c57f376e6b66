// Bundles the server into one ESM file so `npx -y @raytio/mcp-server` installs a package with no
// runtime dependencies and no install scripts: a cold start downloads one tarball, not a tree.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = new URL("..", import.meta.url);

/**
 * The esbuild options of the published bundle. `bench/profile.ts` builds the same bundle unminified
 * into another folder, so a CPU profile can be read per source module.
 */
export function bundleOptions(outdir, { minify = true } = {}) {
  return {
    entryPoints: [new URL("src/index.ts", root).pathname],
    // Code splitting keeps the HTTP transport (loaded by a dynamic import only with --transport http)
    // out of the stdio start-up path. Chunks sit beside index.js: modules resolve package.json and
    // data files relative to their own URL.
    outdir,
    splitting: true,
    entryNames: "index",
    chunkNames: "[name]-[hash]",
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // No source map: Node ignores it without --enable-source-maps, and it would triple the download.
    // keepNames keeps function names in stack traces.
    sourcemap: false,
    minify,
    keepNames: true,
    legalComments: "none",
    metafile: true,
    alias: { "isomorphic-unfetch": new URL("scripts/shims/global-fetch.js", root).pathname },
    plugins: [englishOnlyZod],
    logLevel: "warning",
    // The entry file's own shebang is kept by esbuild. Bundled CommonJS dependencies call require();
    // an ESM bundle has none unless it is provided.
    banner: {
      js: [
        'import { createRequire as __raytioCreateRequire } from "node:module";',
        "const require = __raytioCreateRequire(import.meta.url);",
      ].join("\n"),
    },
  };
}

/**
 * zod re-exports every locale as `z.locales` (261 KB of the 470 KB it adds), and one namespace import
 * keeps them all. Nothing here calls z.locales; English, the default, is registered by zod's schemas
 * module from its own file, so the namespace is cut down to English and the start-up compiles less.
 */
const englishOnlyZod = {
  name: "english-only-zod",
  setup(context) {
    context.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core)[\\/]/.test(args.importer)
        ? { path: "locales-en-only", namespace: "zod-locales", pluginData: args.resolveDir }
        : undefined,
    );
    context.onLoad({ filter: /.*/, namespace: "zod-locales" }, (args) => ({
      contents: 'export { default as en } from "../locales/en.js";',
      resolveDir: args.pluginData,
      loader: "js",
    }));
  },
};

/** Copies what the bundle reads at run time beside it. */
export function copyRuntimeFiles(outdir) {
  const schemas = new URL("src/schemas/system/", root);
  if (existsSync(schemas)) cpSync(schemas, new URL("system/", `file://${outdir}/`), { recursive: true });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();

async function main() {
  const dist = new URL("dist/", root);
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });

  const result = await build(bundleOptions(dist.pathname));

  // Bundled code keeps its licences: one notice file listing every package inside the bundle.
  const packages = new Map();
  for (const input of Object.keys(result.metafile.inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match?.[1] && !packages.has(match[1]))
      packages.set(match[1], input.slice(0, match.index + match[0].length));
  }
  const notices = [...packages.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, dir]) => {
      const manifest = JSON.parse(readFileSync(new URL(`${dir}package.json`, root), "utf8"));
      const licenceFile = readdirSync(new URL(dir, root)).find((file) =>
        /^(licen[cs]e|copying)(\.|$)/i.test(file),
      );
      const text = licenceFile
        ? readFileSync(new URL(`${dir}${licenceFile}`, root), "utf8").trim()
        : `License: ${manifest.license}`;
      return `${name}@${manifest.version} (${manifest.license})\n\n${text}`;
    });
  writeFileSync(new URL("THIRD_PARTY_LICENSES.txt", dist), `${notices.join(`\n\n${"-".repeat(72)}\n\n`)}\n`);

  copyRuntimeFiles(dist.pathname);

  const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
  const files = Object.entries(result.metafile.outputs)
    .map(([file, output]) => `${file.replace(/^.*\/dist\//, "")} ${(output.bytes / 1024).toFixed(0)} KiB`)
    .join(", ");
  console.error(
    `Bundled dist/ (${files}): ${(bytes / 1024).toFixed(0)} KiB, ${packages.size} packages inside`,
  );
}
