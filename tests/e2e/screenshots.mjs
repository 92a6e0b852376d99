// Screenshots of the page at 1280 and 390 px, idle and after a run, for a person to look at
// (and for the README): `node tests/e2e/screenshots.mjs [out-dir] [query-string]`.

import { mkdirSync } from "node:fs";
import { startServer } from "../../scripts/serve.mjs";
import { launchChromium } from "./chromium.mjs";

const out = process.argv[2] ?? new URL("./artifacts/", import.meta.url).pathname;
const query = process.argv[3] ?? "?timeScale=1&seed=42";
mkdirSync(out, { recursive: true });
const { server, url } = await startServer({ port: 0 });
const browser = await launchChromium();
try {
  for (const [width, height] of [[1280, 900], [390, 844]]) {
    for (const scheme of ["light", "dark"]) {
      const page = await browser.newPage({ viewport: { width, height }, colorScheme: scheme });
      page.on("pageerror", (error) => console.error(`pageerror: ${error.message}`));
      await page.goto(`${url}${query}`);
      await page.waitForSelector("#run:not([disabled])");
      await page.screenshot({ path: `${out}/idle-${width}-${scheme}.png`, fullPage: true });
      await page.click("#run");
      await page.waitForSelector("#stop:disabled", { timeout: 120_000 });
      await page.screenshot({ path: `${out}/run-${width}-${scheme}.png`, fullPage: true });
      await page.close();
    }
  }
} finally {
  await browser.close();
  server.close();
}
console.log(`screenshots in ${out}`);
