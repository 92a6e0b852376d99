#!/usr/bin/env node
// Bundles the page into one classic script, pkg/standalone.js, for index.html
// opened straight from disk: Chromium refuses ES modules and fetch() on file:
// pages, but runs a classic script beside them (www/boot.js picks it there).
// It starts from www/app.js and follows its imports, so it needs no list of
// the page's modules, and swaps www/wasm-loader.js for
// scripts/standalone-loader.js, which carries the .wasm inline. Run by
// `make build` after wasm-opt, since it inlines the optimised .wasm.
//
// Usage: node scripts/standalone.mjs

import { build } from "esbuild";
import { rmSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const OUT = resolve(ROOT, "pkg/standalone.js");
const LOADER = resolve(ROOT, "www/wasm-loader.js");

let swapped = false;

/** Resolves every import of www/wasm-loader.js to the inline-bytes loader instead. */
const inlineWasm = {
  name: "inline-wasm",
  setup(on) {
    on.onResolve({ filter: /(^|\/)wasm-loader\.js$/ }, (args) => {
      if (resolve(args.resolveDir, args.path) !== LOADER) return undefined;
      swapped = true;
      return { path: resolve(ROOT, "scripts/standalone-loader.js") };
    });
  },
};

/** Sizes for people: kB, one decimal. */
const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;

// A stale bundle would run old code from disk without a word: gone before anything can fail.
rmSync(OUT, { force: true });
await build({
  entryPoints: [resolve(ROOT, "www/app.js")],
  outfile: OUT,
  bundle: true,
  format: "iife", // classic script: no module loader on file: pages
  minify: true,
  loader: { ".wasm": "binary" },
  plugins: [inlineWasm],
  logLevel: "warning",
  // The bindings read import.meta.url only to find the .wasm when given no
  // bytes; the bundle always gives them, so the empty import.meta is harmless.
  logOverride: { "empty-import-meta": "silent" },
});
if (!swapped) {
  // Without the swap the bundle would try to fetch the .wasm and fail on file: pages.
  rmSync(OUT, { force: true });
  throw new Error("www/app.js no longer imports www/wasm-loader.js: update scripts/standalone.mjs");
}
const wasm = statSync(resolve(ROOT, "pkg/rag_phase_sync_bg.wasm")).size;
console.log(`pkg/standalone.js: ${kB(statSync(OUT).size)} (the ${kB(wasm)} .wasm inlined as base64, for index.html from disk)`);
