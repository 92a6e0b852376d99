#!/usr/bin/env node
// A static file server for the demo (index.html, www/, pkg/), with the MIME
// types browsers insist on for ES modules and WebAssembly. No dependencies:
// `make serve` and the e2e test share it.
//
// Usage: node scripts/serve.mjs [--port 8080] [--host 127.0.0.1]

import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".ts": "text/plain; charset=utf-8",
};

/** The repository's root: what the server serves by default. */
export const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));

/** Serves `root` on `host:port` (port 0 picks a free one); resolves to { server, url }. */
export function startServer({ root = ROOT, host = "127.0.0.1", port = 8080 } = {}) {
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url, "http://x").pathname);
    const file = normalize(join(root, path.endsWith("/") ? `${path}index.html` : path));
    if (!file.startsWith(root)) {
      response.writeHead(403).end("forbidden");
      return;
    }
    try {
      const body = await readFile(file);
      const type = TYPES[extname(file)] ?? "application/octet-stream";
      response.writeHead(200, { "content-type": type, "cache-control": "no-store" }).end(body);
    } catch {
      response.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${path}`);
    }
  });
  return new Promise((done, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => {
      const { port: bound } = server.address();
      done({ server, url: `http://${host}:${bound}/` });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const option = (name, fallback) => {
    const at = process.argv.indexOf(`--${name}`);
    return at > 0 ? process.argv[at + 1] : fallback;
  };
  const port = Number(option("port", 8080));
  try {
    const { url } = await startServer({ host: option("host", "127.0.0.1"), port });
    console.log(`rag-phase-sync demo: ${url}  (Ctrl-C stops it)`);
  } catch (error) {
    const hint = error.code === "EADDRINUSE" ? `: port ${port} is taken; try \`make serve PORT=${port + 1}\`` : "";
    console.error(`cannot serve the demo (${error.message})${hint}`);
    process.exit(1);
  }
}
