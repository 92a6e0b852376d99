// What the browser benchmarks (bench.mjs, compare.mjs, frames.mjs) share: the
// repository served and a headless Chromium launched around a measurement, a
// tab on the demo page with helpers installed, and the median of a few runs.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT, startServer } from "../../scripts/serve.mjs";
import { criticalPath } from "./critical-path.mjs";

/** The median of `values` (the upper one of an even count). */
export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Serves the repository on a free port, launches Chromium, runs `use(browser, url)`, then closes both
 * (also on failure). Resolves to `{ chromium, result }`, `chromium` the browser's version.
 */
export async function withChromium(use) {
  if (!existsSync(join(ROOT, "pkg", "rag_phase_sync_bg.wasm"))) throw new Error("pkg/ is missing: run `make build` first");
  let launchChromium;
  try {
    ({ launchChromium } = await import("../../tests/e2e/chromium.mjs"));
  } catch (error) {
    throw new Error(`cannot load playwright-core (${error.message}); run \`cd tests/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci\``);
  }
  let server, browser;
  try {
    const served = await startServer({ port: 0 });
    server = served.server;
    browser = await launchChromium();
    const chromium = browser.version();
    console.error(`Chromium ${chromium}, serving ${served.url}`);
    return { chromium, result: await use(browser, served.url) };
  } finally {
    await browser?.close();
    server?.closeAllConnections();
    server?.close();
  }
}

/**
 * Opens the demo page in a new tab, waits until it can run, installs `window.criticalPath` (critical-path.mjs)
 * and `install(arg)` (a function playwright sends as source), runs `use(page)` and closes the tab. Anything
 * the page raised meanwhile fails the measurement.
 */
export async function withPage(browser, url, use, { install, arg } = {}) {
  const page = await browser.newPage();
  try {
    const problems = [];
    page.on("pageerror", (error) => problems.push(error.message));
    await page.goto(url);
    await page.waitForSelector("#run:not([disabled])");
    await page.evaluate(`window.criticalPath = ${criticalPath}`);
    if (install) await page.evaluate(install, arg);
    const result = await use(page);
    if (problems.length) throw new Error(`the page raised: ${problems.join("; ")}`);
    return result;
  } finally {
    await page.close();
  }
}
