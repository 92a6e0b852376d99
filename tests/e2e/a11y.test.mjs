// Accessibility of the page in every state a reader meets it in: axe-core's
// WCAG 2.1 A/AA and best-practice rules (idle, mid-run, after a run, after the hazard demo; 1280 and
// 390 px wide; light and dark; Documents open and closed), the keyboard alone (Tab reaches
// every control, Enter runs, Stop stops, focus never drops to <body>), and no
// sideways scrolling at 390 px.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { ROOT, startServer } from "../../scripts/serve.mjs";
import { launchChromium } from "./chromium.mjs";
import { fillForm } from "./demo.mjs";

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];
const WIDTHS = [1280, 390];

let server, browser, url;

before(async () => {
  assert.ok(existsSync(`${ROOT}/pkg/rag_phase_sync.js`), "pkg/ is missing: run `make build` first");
  const served = await startServer({ port: 0 });
  server = served.server;
  url = served.url;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** A fresh page at `width` px, loaded and ready to run; its errors land in `problems`. */
async function openPage(width, colorScheme = "light") {
  const page = await browser.newPage({ viewport: { width, height: 844 }, colorScheme });
  page.problems = [];
  page.on("console", (message) => message.type() === "error" && page.problems.push(message.text()));
  page.on("pageerror", (error) => page.problems.push(error.message));
  await page.goto(url);
  await page.waitForSelector("#run:not([disabled])");
  return page;
}


const setDocuments = (page, open) => page.$eval("#documents-panel", (details, open) => { details.open = open; }, open);
const waitIdle = (page) => page.waitForSelector("#stop:disabled", { timeout: 60_000 });
const running = (page) => page.isEnabled("#stop");

/** Starts a slow run (200 chunks, 10× slower: several seconds) and waits for its first log line. */
async function startSlowRun(page) {
  await fillForm(page, { chunks: "200", timeScale: "10", seed: "1" });
  await page.click("#run");
  await page.waitForSelector("#log .log-row", { timeout: 30_000 });
}

/** Steps the finished run's replay back to its middle, opens its Keyboard list and shows an import's error. */
async function midReplay(page) {
  await page.click("[data-replay=start]");
  await page.$eval("#replay .replay-position", (slider) => {
    slider.value = String(Math.floor(Number(slider.max) / 2));
    slider.dispatchEvent(new Event("input", { bubbles: true }));
  });
  await page.click("[data-replay=forward]");
  await page.waitForFunction(() => document.querySelector("#replay .replay-where").textContent.startsWith("event "));
  await page.$eval("#replay .replay-keys", (details) => { details.open = true; });
  await page.setInputFiles("#trace-import", { name: "notes.json", mimeType: "application/json", buffer: Buffer.from("not json") });
  await page.waitForSelector("#trace-error:not([hidden])");
}

/** axe's violations on the page as it is now, one readable paragraph each (rule, impact, nodes, why). */
async function axeViolations(page) {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern: the page keeps its
  // real CSP (no bypassCSP), while an injected <script> would be refused under script-src 'self'.
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE);
  const violations = await page.evaluate((tags) => window.axe.run(document, {
    runOnly: { type: "tag", values: tags }, resultTypes: ["violations"],
  }).then((results) => results.violations.map(({ id, impact, help, nodes }) => ({
    id, impact, help, nodes: nodes.map((node) => ({ target: node.target.join(" "), summary: node.failureSummary })),
  }))), RULES);
  return violations.map(({ id, impact, help, nodes }) => `${id} (${impact}): ${help}\n` +
    nodes.map((node) => `    ${node.target}\n      ${node.summary.replaceAll("\n", "\n      ")}`).join("\n"));
}

/** Asserts axe finds nothing, listing every violation if it does. */
async function assertAxeClean(page, label) {
  const violations = await axeViolations(page);
  assert.equal(violations.length, 0, `${label}: ${violations.length} axe violations\n${violations.join("\n")}`);
}

for (const [width, scheme] of WIDTHS.flatMap((width) => [[width, "light"], [width, "dark"]])) {
  test(`axe at ${width} px, ${scheme}: idle, mid-run and after a run, Documents closed and open`, async (t) => {
    const page = await openPage(width, scheme);
    try {
      const states = [
        ["idle", async () => {}],
        ["mid-run", async () => startSlowRun(page)],
        ["after a run", async () => waitIdle(page)],
        ["after the hazard demo (#hazard), its event lists open", async () => {
          await page.click("#hazard-run");
          await page.waitForSelector("#hazard .hazard-proof:not([hidden])", { timeout: 20_000 });
          await page.$$eval("#hazard details", (all) => all.forEach((details) => { details.open = true; }));
        }],
        ["mid-replay, Keyboard open, an import's error shown", async () => midReplay(page)],
        ["after a compared run (two gathers, a store) and Q4's fault runs", async () => {
          await page.selectOption("select[name=compare]", "gather");
          await page.selectOption("select[name=storeMs]", "10");
          await page.selectOption("select[name=timeScale]", "1");
          await page.click("#run");
          await page.waitForSelector("#compare .compare-verdict .facts", { timeout: 30_000 });
          await page.click("#questions .fault-offer button");
          await page.waitForSelector("#questions .gather-contrast:not([hidden])", { timeout: 30_000 });
        }],
      ];
      for (const [state, reach] of states) {
        await reach();
        for (const open of [false, true]) {
          await t.test(`${state}, Documents ${open ? "open" : "closed"}`, async () => {
            await setDocuments(page, open);
            await assertAxeClean(page, `${width} px, ${scheme}, ${state}, Documents ${open ? "open" : "closed"}`);
            if (state === "mid-run") assert.equal(await running(page), true, "the run was still in flight");
          });
        }
      }
      assert.deepEqual(page.problems, []);
    } finally {
      await page.close();
    }
  });
}

test("the keyboard alone: Tab reaches every control, Enter runs, Stop stops, focus never drops to <body>", async (t) => {
  const page = await openPage(1280);
  // A control's name for the report: its id, its form name, or its tag and accessible text (two
  // nameless buttons must not look alike, or the walk below would stop at the second).
  const active = () => page.evaluate(() => {
    const node = document.activeElement;
    if (!node || node === document.body) return "<body>";
    return node.id ? `#${node.id}` : node.name ? `[name=${node.name}]`
      : `${node.tagName.toLowerCase()}(${node.getAttribute("aria-label") ?? node.textContent.trim().slice(0, 20)})`;
  });
  try {
    await t.test("Tab from the top reaches every control, in order, and the log", async () => {
      await setDocuments(page, true);
      const controls = await page.$$eval("input, select, textarea, button, summary, a[href], #log",
        (nodes) => nodes.filter((node) => !node.disabled && node.checkVisibility())
          .map((node) => node.id ? `#${node.id}` : node.name ? `[name=${node.name}]`
            : `${node.tagName.toLowerCase()}(${node.getAttribute("aria-label") ?? node.textContent.trim().slice(0, 20)})`));
      assert.ok(controls.includes("#log") && controls.includes("#run"), controls.join(" "));
      const reached = [];
      for (let step = 0; step < controls.length + 5; step++) {
        await page.keyboard.press("Tab");
        const now = await active();
        if (now === "<body>" || reached.includes(now)) break; // past the last control, the browser's own UI is next
        reached.push(now);
      }
      assert.deepEqual(reached, controls, "every control, in document order");
      await setDocuments(page, false);
    });

    await t.test("Enter in the form runs, focus moves to Stop, Enter on Stop stops", async () => {
      await fillForm(page, { chunks: "200", timeScale: "10", seed: "1" });
      await page.focus("[name=query]");
      await page.keyboard.press("Enter");
      await page.waitForSelector("#log .log-row", { timeout: 30_000 });
      assert.equal(await running(page), true, "Enter in a field started a run");
      assert.equal(await active(), "#stop", "focus moved to Stop while running");
      await page.keyboard.press("Enter");
      await waitIdle(page);
      assert.match(await page.textContent("#run-state"), /^Stopped/);
      assert.notEqual(await active(), "<body>", "after Stop, focus is on a control");
    });

    await t.test("a run that ends on its own leaves focus on a control", async () => {
      await fillForm(page, { chunks: "6", timeScale: "1" });
      await page.focus("#run");
      await page.keyboard.press("Enter");
      assert.notEqual(await active(), "<body>", "while running");
      await waitIdle(page);
      assert.match((await page.textContent("#answer")) ?? "", /\[chunk-\d+\]/, "the run answered");
      assert.notEqual(await active(), "<body>", "after the run ended on its own");
    });
    assert.deepEqual(page.problems, []);
  } finally {
    await page.close();
  }
});

test("at 390 px the page never scrolls sideways: idle, Documents open, running, after a run, after an error", async () => {
  const page = await openPage(390);
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth);
  const widths = {};
  try {
    widths.idle = await overflow();
    await setDocuments(page, true);
    widths["Documents open"] = await overflow();
    await setDocuments(page, false);
    await startSlowRun(page);
    widths.running = await overflow();
    await waitIdle(page);
    widths["after a run"] = await overflow();
    await fillForm(page, { chunks: "six" });
    await page.click("#run");
    await page.waitForSelector("#error:not([hidden])");
    widths["after an error"] = await overflow();
    const wide = Object.entries(widths).filter(([, width]) => width > 390);
    assert.deepEqual(wide, [], `document.documentElement.scrollWidth > 390 in: ${JSON.stringify(widths)}`);
    assert.deepEqual(page.problems, []);
  } finally {
    await page.close();
  }
});
