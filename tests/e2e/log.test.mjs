// The run log at scale (www/log-view.js): every line of a 10,000-chunk run is
// kept and copyable, only the rows in view exist, the view follows the tail
// without fighting a reader who scrolled up, and the keyboard scrolls it.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { copyLog, nextFrames, openDemo, WIDE_WITH_CLIPBOARD } from "./demo.mjs";

let demo, browser, page, problems;

before(async () => {
  demo = await openDemo(WIDE_WITH_CLIPBOARD);
  ({ browser, page, problems } = demo);
});

after(() => demo?.close());

/** Runs with these form fields (by name) and waits until the run is over. */
async function run(fields) {
  for (const [name, value] of Object.entries(fields)) {
    if (name === "timeScale") await page.selectOption(`[name=${name}]`, value);
    else await page.fill(`[name=${name}]`, value);
  }
  await page.click("#run");
  await page.waitForSelector("#stop:disabled", { timeout: 60_000 });
}

const frames = () => nextFrames(page);
const copyAll = () => copyLog(page);

/** The rows drawn and where each sits relative to the log's visible box. */
const rows = () => page.evaluate(() => {
  const log = document.querySelector("#log");
  const box = log.getBoundingClientRect();
  const top = box.top + log.clientTop;
  const bottom = top + log.clientHeight;
  return [...log.querySelectorAll(".log-row")].map((row) => {
    const rect = row.getBoundingClientRect();
    return { n: row.dataset.n, text: row.textContent, visible: rect.top >= top - 0.5 && rect.bottom <= bottom + 0.5,
      top: rect.top - top, bottom: bottom - rect.bottom };
  });
});

const visibleRows = async () => (await rows()).filter((row) => row.visible);

/** Sets the log's scrollTop as a user's scroll would, then lets it draw. */
async function scrollLogTo(top) {
  await page.$eval("#log", (log, top) => { log.scrollTop = top; }, top);
  await frames();
}

let lines = [];

test("before any run the log shows a hint, not an empty box", async () => {
  assert.equal(await page.isVisible("#log .log-hint"), true);
  assert.match(await page.textContent("#log .log-hint"), /^The log of a run appears here/);
  assert.equal(await page.locator("#log .log-row").count(), 0);
  const [status] = await copyAll();
  assert.equal(status, "Nothing to copy yet: run the pipeline first.");
});

test("a 10,000-chunk run keeps every line, in phase order, with fewer than 200 rows in the DOM", async () => {
  // The most rows ever in the DOM, sampled every frame while the run draws.
  await page.evaluate(() => {
    window.__mostRows = 0;
    const sample = () => {
      window.__mostRows = Math.max(window.__mostRows, document.querySelectorAll("#log .log-row").length);
      requestAnimationFrame(sample);
    };
    sample();
  });
  await run({ chunks: "10000", seed: "7", timeScale: "1" });
  await frames();
  const [status, text] = await copyAll();
  lines = text.split("\n");
  assert.equal(status, `Copied ${lines.length.toLocaleString("en")} lines.`);
  const phase1 = lines.filter((line) => /^Phase 1 complete: chunk-\d+$/.test(line));
  const phase2 = lines.filter((line) => /^Phase 2 complete: chunk-\d+ score=\d\.\d\d$/.test(line));
  assert.equal(phase1.length, 10_000);
  assert.equal(phase2.length, 10_000);
  assert.deepEqual(lines.slice(0, 10_000), phase1, "every Phase 1 line comes before any Phase 2 line");
  assert.deepEqual(lines.slice(10_000, 20_000), phase2);
  const ids = (phase) => new Set(phase.map((line) => line.match(/chunk-\d+/)[0]));
  assert.equal(ids(phase1).size, 10_000, "each chunk once in Phase 1");
  assert.equal(ids(phase2).size, 10_000, "each chunk once in Phase 2");
  assert.equal(lines.length, 20_003, lines.slice(20_000).join("\n"));
  assert.match(lines[20_000], /^Top 3 chunks: \['chunk-\d+', 'chunk-\d+', 'chunk-\d+'\]$/);
  assert.equal(lines[20_001], "Generating answer from top 3 chunks...");
  assert.match(lines[20_002], /^Final answer: \S/);
  const most = await page.evaluate(() => window.__mostRows);
  assert.ok(most > 10 && most < 200, `${most} rows in the DOM at most`);
  assert.equal(await page.getAttribute("#log", "aria-label"), "Run log, 20,003 lines");
});

test("after the run the last line is in view at the bottom, numbered in full", async () => {
  const visible = await visibleRows();
  const last = visible.at(-1);
  assert.equal(last.n, "20,003");
  assert.equal(last.text, lines.at(-1), "a row's text is exactly its line (the number is CSS content)");
  assert.ok(last.bottom >= -0.5 && last.bottom < 1, `the last row ends at the log's bottom (${last.bottom} px off)`);
  assert.ok(visible.length >= 5, "rows fill the view");
});

test("scrolled to the top, line 1 is in view with number 1; any line can be reached", async () => {
  await scrollLogTo(0);
  const [first] = await visibleRows();
  assert.equal(first.n, "1");
  assert.equal(first.text, lines[0]);
  assert.ok(Math.abs(first.top) < 0.5, `line 1 is at the top (${first.top} px)`);
  assert.ok((await rows()).length < 200);

  // Line 12,345, wherever its row lands: the scroll range reaches every line.
  const rowHeight = await page.$eval("#log .log-row", (row) => row.getBoundingClientRect().height);
  await scrollLogTo(12_344 * rowHeight);
  const [middle] = await visibleRows();
  assert.equal(middle.n, "12,345");
  assert.equal(middle.text, lines[12_344]);
});

test("numbers of 1,000 and more show every digit in the gutter", async () => {
  // The number is ::before content; measure its text in the same font against the gutter's width.
  const fits = await page.$$eval("#log .log-row", (rows) => rows.map((row) => {
    const style = getComputedStyle(row, "::before");
    const probe = document.createElement("span");
    probe.style.font = style.font;
    probe.style.whiteSpace = "pre";
    probe.textContent = row.dataset.n;
    document.body.append(probe);
    const needed = probe.getBoundingClientRect().width;
    probe.remove();
    return { n: row.dataset.n, needed, width: parseFloat(style.width) };
  }));
  assert.ok(fits.length > 0);
  for (const { n, needed, width } of fits) assert.ok(needed <= width + 0.5, `"${n}" needs ${needed} px, has ${width}`);
  // And the widest number of all, at the tail.
  await scrollLogTo(1e9);
  const widest = await page.$eval("#log .log-row:last-child", (row) => {
    const probe = document.createElement("span");
    probe.style.font = getComputedStyle(row, "::before").font;
    probe.textContent = "20,003";
    document.body.append(probe);
    const needed = probe.getBoundingClientRect().width;
    probe.remove();
    return [row.dataset.n, needed, parseFloat(getComputedStyle(row, "::before").width)];
  });
  assert.equal(widest[0], "20,003");
  assert.ok(widest[1] <= widest[2] + 0.5, `"20,003" needs ${widest[1]} px, has ${widest[2]}`);
});

test("keyboard: Tab reaches the log, PageUp and Home scroll it, End goes back to the tail", async () => {
  assert.equal(await page.getAttribute("#log", "role"), "log");
  assert.equal(await page.getAttribute("#log", "aria-live"), "off");
  await page.focus("#log-download");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "log");
  // The focus ring: drawn, at least 2 px, and 3:1 against the page behind it (it is outside the box).
  const [style, width, ratio] = await page.$eval("#log", (log) => {
    const rgb = (color) => color.match(/[\d.]+/g).slice(0, 3).map(Number);
    const luminance = (color) => {
      const [r, g, b] = rgb(color).map((v) => v / 255).map((v) => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    let behind = log.parentElement;
    while (behind && getComputedStyle(behind).backgroundColor.match(/[\d.]+/g)?.[3] === "0") behind = behind.parentElement;
    const background = behind ? getComputedStyle(behind).backgroundColor : "rgb(255, 255, 255)";
    const { outlineStyle, outlineWidth, outlineColor } = getComputedStyle(log);
    const [light, dark] = [luminance(outlineColor), luminance(background)].sort((a, b) => b - a);
    return [outlineStyle, parseFloat(outlineWidth), (light + 0.05) / (dark + 0.05)];
  });
  assert.notEqual(style, "none");
  assert.ok(width >= 2, `outline ${width} px`);
  assert.ok(ratio >= 3, `focus ring contrast ${ratio.toFixed(2)}:1`);
  const scrollTop = () => page.$eval("#log", (log) => log.scrollTop);
  const atEnd = await scrollTop();
  assert.ok(atEnd > 300_000);
  await page.keyboard.press("PageUp");
  await page.waitForFunction((atEnd) => document.querySelector("#log").scrollTop < atEnd - 100, atEnd);
  await page.keyboard.press("Home");
  await page.waitForFunction(() => document.querySelector("#log").scrollTop === 0);
  await frames();
  assert.equal((await visibleRows())[0].n, "1");
  await page.keyboard.press("End");
  await page.waitForFunction((atEnd) => document.querySelector("#log").scrollTop >= atEnd - 1, atEnd);
  await frames();
  assert.equal((await visibleRows()).at(-1).n, "20,003");
});

test("selecting rows and copying gives exactly their lines", async () => {
  await scrollLogTo(0);
  await page.evaluate(() => {
    const rows = document.querySelectorAll("#log .log-row");
    const range = document.createRange();
    range.setStart(rows[0].firstChild, 0);
    range.setEnd(rows[2].firstChild, rows[2].textContent.length);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
  });
  await page.focus("#log");
  await page.keyboard.press("Control+C");
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, lines.slice(0, 3).join("\n"));
  await page.evaluate(() => getSelection().removeAllRanges());
});

test("following the tail does not fight a reader who scrolled up, and resumes at the end", async () => {
  await page.fill("[name=chunks]", "200");
  await page.selectOption("[name=timeScale]", "10");
  await page.click("#run");
  const count = () => page.$eval("#log", (log) => Number(log.getAttribute("aria-label").replace(/\D/g, "")));
  // Enough lines to scroll, then the reader goes back to the top while Phase 1 lines keep coming.
  await page.waitForFunction(() => document.querySelector("#log").getAttribute("aria-label") !== "Run log, 0 lines"
    && document.querySelector("#log").scrollHeight > document.querySelector("#log").clientHeight + 200);
  await scrollLogTo(0);
  const seen = await count();
  await page.waitForFunction((seen) => Number(document.querySelector("#log").getAttribute("aria-label")
    .replace(/\D/g, "")) >= seen + 20, seen, { timeout: 30_000 });
  await frames();
  assert.equal(await page.$eval("#log", (log) => log.scrollTop), 0, "the view stayed where the reader put it");
  assert.equal((await visibleRows())[0].n, "1");
  assert.equal(await page.isDisabled("#stop"), false, "the run was still going (else this proves nothing)");

  // Back at the end, the view follows again until the run's last line.
  await scrollLogTo(1e9);
  await page.waitForSelector("#stop:disabled", { timeout: 60_000 });
  await frames();
  const total = await count();
  assert.ok(total > 400, `${total} lines`);
  const last = (await visibleRows()).at(-1);
  assert.equal(last.n, total.toLocaleString("en"));
  assert.match(last.text, /^Final answer: /);
  assert.ok(last.bottom >= -0.5 && last.bottom < 1, `the last row ends at the log's bottom (${last.bottom} px off)`);
});

test("where the clipboard API is refused, Copy all falls back to select-and-copy and keeps focus", async () => {
  const expected = (await copyAll())[1];
  await page.evaluate(() => navigator.clipboard.writeText("not the log"));
  await page.evaluate(() => {
    navigator.clipboard.writeText = () => Promise.reject(new DOMException("Write permission denied.", "NotAllowedError"));
  });
  const [status, copied] = await copyAll();
  assert.match(status, /^Copied \d[\d,]* lines\.$/);
  assert.equal(copied, expected);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "log-copy", "focus came back to the button");
});

test("where no way of copying works, Copy all says so and Download .txt saves every line", async () => {
  const expected = await page.evaluate(() => navigator.clipboard.readText());
  await page.evaluate(() => {
    document.execCommand = () => false;
  });
  const [status] = await copyAll();
  assert.equal(status, "This browser blocked copying: use Download .txt instead.");
  // A Blob URL download under the page's CSP (default-src 'self'): it must not be blocked.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#log-download")]);
  assert.equal(download.suggestedFilename(), "rag-phase-sync-log.txt");
  assert.equal(readFileSync(await download.path(), "utf8"), `${expected}\n`);
  assert.match(await page.textContent("#log-status"), /^Saved \d[\d,]* lines as rag-phase-sync-log\.txt\.$/);
});

test("lines cleared and replaced within one frame are drawn anew (LogView fed directly)", async () => {
  const drawn = await page.evaluate(async () => {
    const { LogView } = await import("/www/log-view.js");
    const root = document.createElement("div");
    root.id = "log-probe";
    root.innerHTML = '<p class="log-hint"></p>';
    root.style.maxHeight = "200px";
    root.style.overflow = "auto";
    document.body.append(root);
    const button = () => document.createElement("button");
    const view = new LogView(root, { copyButton: button(), downloadButton: button(), status: document.createElement("p") });
    const frame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    for (let line = 0; line < 5; line++) view.append(`old ${line}`);
    await frame();
    view.clear(); // a restart: the new run's first lines come before the next frame
    for (let line = 0; line < 3; line++) view.append(`new ${line}`, "phase-1");
    await frame();
    const rows = [...root.querySelectorAll(".log-row")].map((row) => `${row.dataset.n} ${row.textContent} ${row.className}`);
    root.remove();
    return rows;
  });
  assert.deepEqual(drawn, ["1 new 0 log-row phase-1", "2 new 1 log-row phase-1", "3 new 2 log-row phase-1"]);
});

test("nothing was logged to the console as an error", () => {
  assert.deepEqual(problems, []);
});
