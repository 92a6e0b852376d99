// index.html opened straight from disk (file:), as a double-click opens it:
// www/boot.js loads the classic bundle pkg/standalone.js there, and the ES
// modules when the page is served. Needs `make build` (which makes the bundle).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, startServer } from "../../scripts/serve.mjs";
import { launchChromium } from "./chromium.mjs";

/** What the page says when opened from a file before `make build`. */
const MISSING = "This page was opened from a file and the standalone build is missing: "
  + "run `make build` (or `make serve` and open http://127.0.0.1:8080).";

// The page without a build: index.html and www/ only, as in a fresh clone.
const unbuilt = mkdtempSync(join(tmpdir(), "file-test-"));
cpSync(join(ROOT, "index.html"), join(unbuilt, "index.html"));
cpSync(join(ROOT, "www"), join(unbuilt, "www"), { recursive: true });

let browser;

before(async () => {
  assert.ok(existsSync(`${ROOT}/pkg/standalone.js`), "pkg/standalone.js is missing: run `make build` first");
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  rmSync(unbuilt, { recursive: true, force: true });
});

/** A new page whose console errors, uncaught errors and CSP violations land in `problems`, and requests in `requests`. */
async function watchedPage() {
  const page = await browser.newPage({
    viewport: { width: 1360, height: 900 }, permissions: ["clipboard-read", "clipboard-write"],
  });
  const problems = [];
  const requests = [];
  // Chromium logs a CSP refusal only as a console message; the event names it for certain.
  // Init scripts are injected by the driver, so the page's CSP does not apply to this one.
  await page.addInitScript(() => document.addEventListener("securitypolicyviolation", (event) => {
    console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
  }));
  page.on("console", (message) => message.type() === "error" && problems.push(message.text()));
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("request", (request) => requests.push(request.url()));
  return { page, problems, requests };
}

/** The page's fixed message, once Run is no longer "Loading…". */
async function loadFailure(page) {
  await page.waitForFunction(() => document.querySelector("#run").textContent !== "Loading…", null,
    { timeout: 10_000 });
  return { run: await page.textContent("#run"), error: await page.textContent("#error") };
}

test("opened from a file, the page runs the pipeline from the standalone bundle", async () => {
  const { page, problems, requests } = await watchedPage();
  await page.goto(pathToFileURL(join(ROOT, "index.html")).href);
  await page.waitForSelector("#run:not([disabled])", { timeout: 10_000 });
  await page.selectOption("[name=timeScale]", "1");
  await page.fill("[name=chunks]", "6");
  await page.fill("[name=seed]", "42");
  await page.click("#run");
  await page.waitForSelector("#stop:disabled", { timeout: 30_000 });
  await page.waitForFunction(() => document.querySelector("#run").textContent === "Run", null, { timeout: 30_000 });

  // Through Copy all: on a file: page too the clipboard (or its fallback) must take every line.
  await page.click("#log-copy");
  await page.waitForFunction(() => document.querySelector("#log-status").textContent !== "");
  assert.match(await page.textContent("#log-status"), /^Copied \d+ lines\.$/);
  const lines = (await page.evaluate(() => navigator.clipboard.readText())).split("\n");
  assert.match(lines.at(-1), /^Final answer: \S/, lines.join("\n"));
  assert.equal(`Final answer: ${await page.textContent("#answer p")}`, lines.at(-1));
  const top = await page.$$eval("#answer .sources code", (codes) => codes.map((code) => code.textContent));
  assert.equal(top.length, 3);
  assert.ok(lines.includes(`Top 3 chunks: [${top.map((id) => `'${id}'`).join(", ")}]`), lines.join("\n"));
  // The bundle, not the modules: a module script on a file: page would have been refused.
  assert.ok(requests.some((url) => url.endsWith("/pkg/standalone.js")), requests.join("\n"));
  assert.ok(!requests.some((url) => url.endsWith("/www/app.js")), requests.join("\n"));
  assert.deepEqual(problems, []);
  await page.close();
});

test("opened from a file without a build, the page says to run make build", async () => {
  const { page, problems } = await watchedPage();
  await page.goto(pathToFileURL(join(unbuilt, "index.html")).href);
  assert.deepEqual(await loadFailure(page), { run: "Unavailable", error: MISSING });
  assert.ok(await page.isDisabled("#run"));
  // The missing file's own load failure is the only complaint.
  assert.ok(problems.every((text) => /ERR_FILE_NOT_FOUND/.test(text)), problems.join("\n"));
  await page.close();
});

test("served over http, the page loads the ES modules and not the bundle", async () => {
  const { server, url } = await startServer({ port: 0 });
  try {
    const { page, problems, requests } = await watchedPage();
    await page.goto(url);
    await page.waitForSelector("#run:not([disabled])", { timeout: 10_000 });
    assert.ok(requests.some((request) => request.endsWith("/www/app.js")), requests.join("\n"));
    assert.ok(requests.some((request) => request.endsWith("/pkg/rag_phase_sync_bg.wasm")), requests.join("\n"));
    assert.ok(!requests.some((request) => request.endsWith("/pkg/standalone.js")), requests.join("\n"));
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    server.close();
  }
});

test("served over http without a build, the page says it could not load the module", async () => {
  const { server, url } = await startServer({ root: unbuilt, port: 0 });
  try {
    const { page } = await watchedPage();
    await page.goto(url);
    const { run, error } = await loadFailure(page);
    assert.equal(run, "Unavailable");
    assert.match(error, /^Could not load the WebAssembly module \(.+\)\. Build it with `make serve`\.$/);
    await page.close();
  } finally {
    server.close();
  }
});
