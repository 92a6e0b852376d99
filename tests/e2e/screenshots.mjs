// The README's screenshots, made again from the page as it is:
//   node tests/e2e/screenshots.mjs [out-dir]        (default: docs/)
// Writes screenshot.png (1280 px, a run of the bundled corpus), screenshot-phone.png
// (390 px, the lanes), screenshot-10k.png (a 10,000-chunk run's bands), screenshot-compare.png
// (compare mode: the barrier and two gathers, a 20 ms store), screenshot-questions.png (the five questions
// answered from a run, Q4 with its fault runs) and screenshot-hazard.png (the cancelled-wait demo), and their
// dark-theme twins to tests/e2e/artifacts/ (to look at, not for the README). Needs `make build`.

import { mkdirSync } from "node:fs";
import { startServer } from "../../scripts/serve.mjs";
import { launchChromium } from "./chromium.mjs";

const docs = process.argv[2] ?? new URL("../../docs/", import.meta.url).pathname;
const artifacts = new URL("./artifacts/", import.meta.url).pathname;
mkdirSync(docs, { recursive: true });
mkdirSync(artifacts, { recursive: true });
const { server, url } = await startServer({ port: 0 });
const browser = await launchChromium();

/** A finished run of `query` in a fresh tab; returns the page. */
async function ran({ width, height, scale = 1, scheme, query }) {
  const page = await browser.newPage({ viewport: { width, height }, deviceScaleFactor: scale, colorScheme: scheme });
  page.on("pageerror", (error) => console.error(`pageerror: ${error.message}`));
  await page.goto(`${url}?${query}`);
  await page.waitForSelector("#run:not([disabled])");
  await page.click("#run");
  await page.waitForSelector("#stop:disabled", { timeout: 120_000 });
  await page.waitForTimeout(300); // the gate's meter eases to its end
  await page.focus("#run"); // a screenshot, not a focus ring on Stop's neighbour
  await page.evaluate(() => document.activeElement.blur());
  return page;
}

/** The box of `selector` (the timeline panel unless given), at most `maxHeight` tall, in page coordinates. */
const panel = (page, maxHeight, selector = "#timeline-panel") => page.$eval(selector, (node, max) => {
  const box = node.getBoundingClientRect();
  return { x: box.left, y: box.top + scrollY, width: box.width, height: Math.min(box.height, max) };
}, maxHeight);

try {
  for (const scheme of ["light", "dark"]) {
    const out = scheme === "light" ? docs : artifacts;
    const suffix = scheme === "light" ? "" : "-dark";
    let page = await ran({ width: 1280, height: 1100, scheme, query: "timeScale=1&seed=42" });
    await page.screenshot({ path: `${out}/screenshot${suffix}.png` });
    await page.close();

    page = await ran({ width: 390, height: 844, scale: 2, scheme, query: "timeScale=1&seed=42" });
    await page.screenshot({ path: `${out}/screenshot-phone${suffix}.png`, clip: await panel(page, 760), fullPage: true });
    await page.close();

    page = await ran({ width: 1280, height: 1100, scheme, query: "timeScale=1&seed=3&chunks=10000" });
    await page.screenshot({ path: `${out}/screenshot-10k${suffix}.png`, clip: await panel(page, 900), fullPage: true });
    await page.close();

    page = await ran({ width: 1280, height: 1100, scheme, query: "timeScale=1&seed=42&compare=gather&storeMs=20" });
    await page.waitForSelector("#compare .compare-verdict .facts");
    await page.screenshot({ path: `${out}/screenshot-compare${suffix}.png`, clip: await panel(page, 2400), fullPage: true });
    // The questions, with Q4 answered from the fault runs the panel offers.
    await page.click("#questions .fault-offer button");
    await page.waitForSelector("#questions .gather-contrast:not([hidden])", { timeout: 60_000 });
    await page.screenshot({ path: `${out}/screenshot-questions${suffix}.png`, clip: await panel(page, 2400, "#questions"),
      fullPage: true });
    await page.click("#hazard-run");
    await page.waitForSelector("#hazard .hazard-proof:not([hidden])", { timeout: 30_000 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${out}/screenshot-hazard${suffix}.png`, clip: await panel(page, 2400, "#hazard"),
      fullPage: true });
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
}
console.log(`screenshots in ${docs} (dark twins in ${artifacts})`);
