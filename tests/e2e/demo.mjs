// The demo page as every page test starts from it: the repository served on
// loopback, Debian's Chromium launched, the page open and its module loaded.

import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { ROOT, startServer } from "../../scripts/serve.mjs";
import { launchChromium } from "./chromium.mjs";

/** Where tests put screenshots (gitignored). */
export const ARTIFACTS = new URL("./artifacts/", import.meta.url).pathname;

/** A wide tab that may use the clipboard (the log's Copy all is how tests read every line). */
export const WIDE_WITH_CLIPBOARD = {
  viewport: { width: 1360, height: 900 }, permissions: ["clipboard-read", "clipboard-write"],
};

/**
 * Opens the page in a new tab made with playwright's `pageOptions` and waits until Run is enabled;
 * `beforeLoad(page)` runs first (e.g. to add an init script). `problems` collects every console
 * error and uncaught page error; `close()` ends the browser and server.
 */
export async function openDemo(pageOptions = {}, { beforeLoad } = {}) {
  assert.ok(existsSync(`${ROOT}/pkg/rag_phase_sync.js`), "pkg/ is missing: run `make build` first");
  mkdirSync(ARTIFACTS, { recursive: true });
  const { server, url } = await startServer({ port: 0 });
  const browser = await launchChromium();
  const page = await browser.newPage(pageOptions);
  const problems = [];
  page.on("console", (message) => message.type() === "error" && problems.push(message.text()));
  page.on("pageerror", (error) => problems.push(error.message));
  await beforeLoad?.(page);
  await page.goto(url);
  await page.waitForSelector("#run:not([disabled])");
  const close = async () => {
    await browser.close();
    server.close();
  };
  return { url, browser, page, problems, close };
}

/** A www/wasm-loader.js that wraps runPipelineBatched so that every run the page makes is recorded in
 *  window.capturedRuns as { options, events, result, error }, in the order the page started them. */
const CAPTURING_LOADER = `
export async function loadWasm() {
  const wasm = await import("../pkg/rag_phase_sync.js");
  await wasm.default();
  window.capturedRuns = [];
  return { ...wasm, runPipelineBatched(options, onBatch) {
    const run = { options: { ...options, signal: undefined }, events: [], result: null, error: null };
    window.capturedRuns.push(run);
    return wasm.runPipelineBatched(options, (batch, json) => {
      for (const event of batch) run.events.push(event);
      onBatch(batch, json); // the batch's text too, as the module hands it: the page keeps that (recording.js)
    }).then((result) => { run.result = result; return result; },
      (error) => { run.error = { message: error?.message, name: error?.name }; throw error; });
  } };
}`;

/** For openDemo's beforeLoad: the page's runs are recorded in window.capturedRuns (see CAPTURING_LOADER). */
export function capturingRuns(page) {
  return page.route("**/www/wasm-loader.js", (route) =>
    route.fulfill({ body: CAPTURING_LOADER, contentType: "text/javascript" }));
}

/** Sets the form's fields by name (a select's option by value, any other field's text; "" clears one). */
export async function fillForm(page, fields) {
  for (const [name, value] of Object.entries(fields)) {
    if (await page.$eval(`[name=${name}]`, (node) => node.tagName === "SELECT")) await page.selectOption(`[name=${name}]`, value);
    else await page.fill(`[name=${name}]`, value);
  }
}

/** Resolves after two animation frames: the views draw at most once a frame, so by then they have drawn. */
export function nextFrames(page) {
  return page.evaluate(() => new Promise((resolve) => {
    requestAnimationFrame(() => requestAnimationFrame(resolve));
  }));
}

/** Clicks the log's Copy all (a real click: the fallback needs a user gesture); resolves to [its status, the
 *  clipboard's text]. Needs a page opened with clipboard permissions (WIDE_WITH_CLIPBOARD). */
export async function copyLog(page) {
  await page.evaluate(() => {
    const status = document.querySelector("#log-status");
    window.__said = new Promise((resolve) => new MutationObserver((_, observer) => {
      observer.disconnect();
      resolve(status.textContent);
    }).observe(status, { childList: true, characterData: true, subtree: true }));
  });
  await page.click("#log-copy");
  return page.evaluate(async () => [await window.__said, await navigator.clipboard.readText()]);
}
