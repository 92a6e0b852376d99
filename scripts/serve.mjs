#!/usr/bin/env node
// A static file server for the demo, with the MIME types browsers insist on
// for ES modules and WebAssembly. No dependencies: `make serve` and the e2e
// tests share it.
//
// It serves the page and nothing else: `/` and `/index.html`, and the files
// under `www/` (the page's scripts and styles) and `pkg/` (the wasm-pack
// build). Everything else in the repository (`.git`, `src`, `Cargo.toml`,
// `scripts`, `tests`, dotfiles anywhere in a path, directories) is a 404, and
// a path is checked to stay inside its folder after percent-decoding, so that
// neither `..%2f` nor a sibling folder whose name starts with the
// repository's (`rag-phase-sync-evil/`) can be reached. A malformed URL is a
// 400, a method other than GET or HEAD a 405, and no request can crash it.
//
// Usage: node scripts/serve.mjs [--port 8080] [--host 127.0.0.1]

import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, isAbsolute, relative, resolve } from "node:path";
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

/** The only top-level folders whose files are served. */
const FOLDERS = new Set(["www", "pkg"]);

/** Sent on every response, errors included. */
const COMMON = {
  // Without it a browser may guess a type from the bytes (a text/plain 404
  // sniffed as HTML, say); with it the content types below are the last word.
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
};

const TEXT = "text/plain; charset=utf-8";

/** The repository's root: what the server serves by default. */
export const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));

/** A status code with a plain-text message, thrown to end a request early. */
class Refusal extends Error {
  constructor(status, message, headers = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

/** True when `file` is `dir` or inside it; unlike `startsWith(dir)`, `/repo-evil` is not inside `/repo`. */
function isInside(dir, file) {
  const rel = relative(dir, file);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** The file that a request target names under `root`, or a Refusal (400 or 404). */
function fileFor(root, target) {
  // Only origin-form (`/path?query`): browsers send nothing else to a server.
  if (!target.startsWith("/")) throw new Refusal(400, "bad request");
  const raw = target.split(/[?#]/, 1)[0];
  let path;
  try {
    path = decodeURIComponent(raw);
  } catch {
    throw new Refusal(400, "bad request: malformed percent-encoding"); // `/%`, `/%C0%AF`, ...
  }
  if (path.includes("\0")) throw new Refusal(400, "bad request: NUL in path");
  if (path === "/" || path === "/index.html") return resolve(root, "index.html");

  // Checked after decoding, so `%2e%2e`, `..%2f` and `..%5c` are seen as what they are.
  const [top, ...rest] = path.slice(1).split("/");
  const notFound = new Refusal(404, "not found");
  if (!FOLDERS.has(top) || rest.length === 0) throw notFound;
  for (const segment of rest) {
    // An empty segment is a directory (`/www/`) or a `//`; a leading dot is a
    // dotfile, `.` or `..`; a backslash is a separator on Windows.
    if (segment === "" || segment.startsWith(".") || segment.includes("\\")) throw notFound;
  }
  const dir = resolve(root, top);
  const file = resolve(dir, ...rest);
  if (!isInside(dir, file) || file === dir) throw notFound; // belt and braces: the checks above already ensure it
  return file;
}

/** Ends `response` with `status`, the common headers and `body` (left out for HEAD). */
function send(request, response, status, headers, body) {
  response.writeHead(status, { ...COMMON, ...headers, "content-length": body.length });
  response.end(request.method === "HEAD" ? undefined : body);
}

/** A whole response as text, for a socket that has no ServerResponse (see clientError and connect). */
function rawResponse(status, reason, headers = {}) {
  const body = `${reason.toLowerCase()}\n`;
  const all = { ...COMMON, ...headers, "content-type": TEXT, "content-length": body.length, connection: "close" };
  const lines = Object.entries(all).map(([name, value]) => `${name}: ${value}\r\n`).join("");
  return `HTTP/1.1 ${status} ${reason}\r\n${lines}\r\n${body}`;
}

async function handle(root, request, response) {
  if (request.method !== "GET" && request.method !== "HEAD") {
    throw new Refusal(405, "method not allowed", { allow: "GET, HEAD" });
  }
  if (request.httpVersion === "1.1" && request.headers.host === undefined) throw new Refusal(400, "bad request: no Host");
  const file = fileFor(root, request.url ?? "");
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    if (["ENOENT", "ENOTDIR", "ENAMETOOLONG", "EACCES"].includes(error.code)) throw new Refusal(404, "not found");
    throw error;
  }
  if (!info.isFile()) throw new Refusal(404, "not found"); // a directory: no listings, no index files
  const body = await readFile(file);
  send(request, response, 200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }, body);
}

/** Serves `root` on `host:port` (port 0 picks a free one); resolves to { server, url }. */
export function startServer({ root = ROOT, host = "127.0.0.1", port = 8080 } = {}) {
  root = resolve(root);
  // Node would answer a Host-less HTTP/1.1 request itself, without the
  // common headers; handle() refuses it instead (see there).
  const server = createServer({ requireHostHeader: false }, async (request, response) => {
    try {
      await handle(root, request, response);
    } catch (error) {
      // Whatever went wrong (a Refusal or a bug), this request gets an answer and the server lives on.
      const refusal = error instanceof Refusal ? error : new Refusal(500, "internal server error");
      if (refusal !== error) console.error(`serve.mjs: ${request.method} ${request.url}:`, error);
      if (response.headersSent) {
        response.destroy(); // too late for a status: cut the connection rather than send half a file
        return;
      }
      const headers = { "content-type": TEXT, ...refusal.headers };
      send(request, response, refusal.status, headers, Buffer.from(`${refusal.message}\n`));
    }
  });
  // `Expect:` other than 100-continue: Node's default 417 would lack the common headers.
  server.on("checkExpectation", (request, response) => {
    send(request, response, 417, { "content-type": TEXT }, Buffer.from("expectation failed\n"));
  });
  // Requests that Node's parser rejects before the handler sees them (a raw
  // NUL or space in the URL, oversized headers): answer with the common
  // headers too, instead of Node's bare default.
  server.on("clientError", (error, socket) => {
    if (error.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    if (error.code === "HPE_HEADER_OVERFLOW") socket.end(rawResponse(431, "Request Header Fields Too Large"));
    else if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") socket.end(rawResponse(408, "Request Timeout"));
    else socket.end(rawResponse(400, "Bad Request"));
  });
  // CONNECT never reaches the handler either; without this Node just drops the connection.
  server.on("connect", (request, socket) => {
    socket.end(rawResponse(405, "Method Not Allowed", { allow: "GET, HEAD" }));
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
