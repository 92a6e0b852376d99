// scripts/serve.mjs on its own: what it serves, what it refuses, and that no
// request can crash it. Requests go over raw sockets (node:net), so that the
// test sends exactly the request line it means (`GET /% HTTP/1.1`,
// `GET /../../etc/passwd`), which node:http or a browser would refuse to send
// or would normalise first. Needs no browser and no pkg/ build.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { ROOT, startServer } from "../../scripts/serve.mjs";

const SECRET = "TOP SECRET: the sibling folder's file";
const WASM = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]); // an empty module

// A temporary repository: the served root is `<base>/wt-serve`, and next to
// it a sibling `<base>/wt-serve-evil` whose name starts with the root's.
const base = mkdtempSync(join(tmpdir(), "serve-test-"));
const root = join(base, "wt-serve");
const files = {
  "index.html": "<!doctype html><title>test page</title>",
  "www/app.js": "export const app = 1;\n",
  "www/style.css": "body { margin: 0; }\n",
  "www/with space.css": "p { margin: 0; }\n",
  "www/.hidden": SECRET,
  "www/sub/.env": SECRET,
  "www/sub/page.js": "export {};\n",
  "pkg/x.wasm": WASM,
  "pkg/.gitignore": "*\n",
  ".git/HEAD": "ref: refs/heads/main\n",
  ".git/config": SECRET,
  ".env": SECRET,
  "Cargo.toml": "[package]\n",
  "README.md": "# readme\n",
  "src/lib.rs": "// lib\n",
  "scripts/serve.mjs": "// server\n",
  "tests/e2e/page.test.mjs": "// test\n",
  "../wt-serve-evil/secret.txt": SECRET,
  "../secret.txt": SECRET,
};
for (const [name, content] of Object.entries(files)) {
  const file = join(root, name);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}

let server, port;

before(async () => {
  ({ server } = await startServer({ root, port: 0 }));
  port = server.address().port;
});

after(() => {
  server?.close();
  rmSync(base, { recursive: true, force: true });
});

/** Sends `text` as is on a fresh connection; resolves to { status, headers, body } once the server closes it. */
function raw(text, to = port) {
  return new Promise((done, fail) => {
    const chunks = [];
    // write, not end: a half-closed connection may be dropped before an async handler answers.
    const socket = connect(to, "127.0.0.1", () => socket.write(text));
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer to ${JSON.stringify(text)}`)));
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", fail);
    socket.on("close", () => {
      const bytes = Buffer.concat(chunks);
      const end = bytes.indexOf("\r\n\r\n");
      if (end < 0) return fail(new Error(`not an HTTP response to ${JSON.stringify(text)}: ${bytes}`));
      const [statusLine, ...lines] = bytes.subarray(0, end).toString("latin1").split("\r\n");
      const headers = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const response = { status: Number(statusLine.split(" ")[1]), headers, body: bytes.subarray(end + 4) };
      // Every response, errors included, must forbid MIME sniffing.
      assert.equal(headers["x-content-type-options"], "nosniff", `${JSON.stringify(text)}: ${statusLine}`);
      done(response);
    });
  });
}

/** One HTTP/1.1 request with `target` exactly as given on the request line. */
function request(method, target, body = "", to = port) {
  const length = method === "GET" || method === "HEAD" ? "" : `Content-Length: ${Buffer.byteLength(body)}\r\n`;
  return raw(`${method} ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${length}\r\n${body}`, to);
}

const get = (target) => request("GET", target);

/** Asserts a refusal: one of `statuses`, plain text, and none of the secret files' contents. */
async function assertRefused(target, statuses, method = "GET") {
  const response = await request(method, target);
  assert.ok(statuses.includes(response.status), `${method} ${target}: ${response.status}, expected ${statuses}`);
  assert.match(response.headers["content-type"], /^text\/plain/, `${method} ${target}`);
  const text = response.body.toString();
  assert.ok(!text.includes(SECRET) && !text.includes("root:"), `${method} ${target} leaked: ${text}`);
  return response;
}

test("/ and /index.html: 200 text/html, the page itself, not cached", async () => {
  for (const target of ["/", "/index.html", "/?q=1", "/index.html#top"]) {
    const response = await get(target);
    assert.equal(response.status, 200, target);
    assert.equal(response.headers["content-type"], "text/html; charset=utf-8", target);
    assert.equal(response.headers["cache-control"], "no-store", target);
    assert.equal(response.body.toString(), files["index.html"], target);
  }
});

test("www/: ES modules as text/javascript, styles as text/css, names percent-decoded", async () => {
  const app = await get("/www/app.js?v=2");
  assert.equal(app.status, 200);
  assert.equal(app.headers["content-type"], "text/javascript; charset=utf-8");
  assert.equal(app.body.toString(), files["www/app.js"]);
  const nested = await get("/www/sub/page.js");
  assert.equal(nested.status, 200);
  assert.equal(nested.headers["content-type"], "text/javascript; charset=utf-8");
  for (const target of ["/www/style.css", "/www/with%20space.css", "/%77ww/style%2ecss"]) {
    const response = await get(target);
    assert.equal(response.status, 200, target);
    assert.equal(response.headers["content-type"], "text/css; charset=utf-8", target);
  }
});

test("pkg/: WebAssembly as application/wasm, bytes intact", async () => {
  const response = await get("/pkg/x.wasm");
  assert.equal(response.status, 200);
  assert.equal(response.headers["content-type"], "application/wasm");
  assert.deepEqual(response.body, WASM);
});

test("HEAD: 200 with the GET's headers and no body", async () => {
  for (const [target, type] of [["/", "text/html; charset=utf-8"], ["/pkg/x.wasm", "application/wasm"]]) {
    const response = await request("HEAD", target);
    assert.equal(response.status, 200, target);
    assert.equal(response.headers["content-type"], type, target);
    assert.equal(Number(response.headers["content-length"]), Buffer.byteLength(files[target === "/" ? "index.html" : "pkg/x.wasm"]));
    assert.equal(response.body.length, 0, `${target}: a HEAD response carried a body`);
  }
  const missing = await request("HEAD", "/Cargo.toml");
  assert.equal(missing.status, 404);
  assert.equal(missing.body.length, 0);
});

test("a malformed URL is a 400 and the server still answers afterwards", async () => {
  for (const target of ["/%", "/%zz", "/www/%E0%A4%A", "/%C0%AF", "/www/app.js%", "http://localhost/index.html"]) {
    await assertRefused(target, [400]);
    assert.equal((await get("/")).status, 200, `the server stopped answering after ${target}`);
  }
});

test("NUL bytes: %00 is a 400 or 404, a raw NUL in the request line a 400", async () => {
  for (const target of ["/%00", "/index.html%00", "/www/app.js%00.html", "/www/%00/../../wt-serve-evil/secret.txt"]) {
    await assertRefused(target, [400, 404]);
  }
  const response = await raw("GET /www/app.js\0.html HTTP/1.1\r\nHost: localhost\r\n\r\n");
  assert.equal(response.status, 400);
  assert.equal((await get("/")).status, 200);
});

test("traversal and sibling-folder escapes: 404 or 400, never the files' contents", async () => {
  // What makes the sibling case matter: the old check, `file.startsWith(root)`, let this file through.
  const sibling = resolve(base, "wt-serve-evil/secret.txt");
  assert.ok(sibling.startsWith(root));
  for (const target of [
    "/../../etc/passwd",
    "/..%2f..%2fetc/passwd",
    "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/www/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/www/%2fetc%2fpasswd",
    "/..%2fwt-serve-evil/secret.txt",
    "/..%2Fwt-serve-evil%2Fsecret.txt",
    "/../wt-serve-evil/secret.txt",
    "/www/../../wt-serve-evil/secret.txt",
    "/www/..%2f..%2fwt-serve-evil/secret.txt",
    "/www/%2e%2e/%2e%2e/wt-serve-evil/secret.txt",
    "/pkg/..%5c..%5cwt-serve-evil%5csecret.txt",
    "//wt-serve-evil/secret.txt",
    "/..%2fsecret.txt",
    "/www/..%2f..%2fsecret.txt",
  ]) {
    await assertRefused(target, [400, 404]);
  }
});

test("outside the allow-list (repository files, dotfiles anywhere): 404", async () => {
  for (const target of [
    "/.git/HEAD", "/.git/config", "/.git/", "/.env", "/Cargo.toml", "/README.md", "/src/lib.rs",
    "/scripts/serve.mjs", "/tests/e2e/page.test.mjs", "/www/.hidden", "/www/%2ehidden", "/www/sub/.env",
    "/pkg/.gitignore", "/index.html/", "/index.htm",
  ]) {
    await assertRefused(target, [404]);
  }
});

test("directories and missing files: 404, plain text", async () => {
  for (const target of [
    "/www", "/www/", "/pkg", "/pkg/", "/www/sub", "/www/sub/", "/www//app.js", "/missing.html",
    "/www/missing.js", "/pkg/missing.wasm", `/www/${"a".repeat(300)}.js`,
  ]) {
    await assertRefused(target, [404]);
  }
});

test("methods other than GET and HEAD: 405 with Allow: GET, HEAD", async () => {
  for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
    for (const target of ["/", "/www/app.js", "/nothing"]) {
      const response = await assertRefused(target, [405], method);
      assert.equal(response.headers.allow, "GET, HEAD", `${method} ${target}`);
    }
  }
  assert.equal((await request("POST", "/", "x=1")).status, 405);
  // CONNECT bypasses the request handler in Node: still a 405.
  const connectResponse = await request("CONNECT", "localhost:1");
  assert.equal(connectResponse.status, 405);
  assert.equal(connectResponse.headers.allow, "GET, HEAD");
  // Nothing was written anywhere by those requests.
  assert.equal(readFileSync(join(root, "www/app.js"), "utf8"), files["www/app.js"]);
});

test("nosniff and no-store on every kind of response", async () => {
  // raw() already checks nosniff on every response; here one of each kind, no-store included.
  const responses = await Promise.all([
    get("/"), request("HEAD", "/"), get("/%"), get("/Cargo.toml"), request("DELETE", "/"),
    raw("GET /\0 HTTP/1.1\r\n\r\n"), // rejected by Node's parser
    raw("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"), // HTTP/1.1 without Host
    raw("GET / HTTP/1.1\r\nHost: localhost\r\nExpect: magic\r\nConnection: close\r\n\r\n"),
    raw(`GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`),
  ]);
  assert.deepEqual(responses.map((response) => response.status), [200, 200, 400, 404, 405, 400, 400, 417, 431]);
  for (const response of responses) {
    assert.equal(response.headers["x-content-type-options"], "nosniff");
    assert.equal(response.headers["cache-control"], "no-store");
  }
});

test("by default it serves this repository's page, with its CSP, and not the repository", async () => {
  const { server: repoServer } = await startServer({ port: 0 });
  try {
    const repoPort = repoServer.address().port;
    const page = await request("GET", "/", "", repoPort);
    assert.equal(page.status, 200);
    assert.equal(page.body.toString(), readFileSync(join(ROOT, "index.html"), "utf8"));
    assert.match(page.body.toString(), /<meta http-equiv="Content-Security-Policy"/);
    for (const target of ["/.git", "/Cargo.toml", "/src/lib.rs", "/scripts/serve.mjs", "/Makefile"]) {
      assert.equal((await request("GET", target, "", repoPort)).status, 404, target);
    }
    const style = await request("GET", "/www/style.css", "", repoPort);
    assert.equal(style.status, 200);
    assert.equal(style.headers["content-type"], "text/css; charset=utf-8");
  } finally {
    repoServer.close();
  }
});
