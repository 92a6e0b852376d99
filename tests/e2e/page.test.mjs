// The demo page end to end: served on loopback, driven in Debian's Chromium by
// playwright-core (which never downloads a browser of its own). Needs pkg/
// from `wasm-pack build --target web`; `make test` builds it first.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { chromium } from "playwright-core";
import { ROOT, startServer } from "../../scripts/serve.mjs";

const ARTIFACTS = new URL("./artifacts/", import.meta.url).pathname;
const executablePath = process.env.CHROMIUM ?? execFileSync("which", ["chromium"]).toString().trim();
// As root in a sandbox with no internet: no setuid sandbox, no background traffic.
const args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync"];

let server, browser, page;
const problems = [];

before(async () => {
  assert.ok(existsSync(`${ROOT}/pkg/rag_phase_sync.js`), "pkg/ is missing: run `make build` first");
  mkdirSync(ARTIFACTS, { recursive: true });
  const served = await startServer({ port: 0 });
  server = served.server;
  browser = await chromium.launch({ executablePath, args });
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.on("console", (message) => message.type() === "error" && problems.push(message.text()));
  page.on("pageerror", (error) => problems.push(error.message));
  await page.goto(served.url);
  await page.waitForSelector("#run:not([disabled])");
});

after(async () => {
  await browser?.close();
  server?.close();
});

const logLines = () => page.$$eval("#log li", (items) => items.map((item) => item.textContent));

async function runWith(fields) {
  // The documents fields live in a <details>; open it so they can be typed in.
  await page.$eval("#documents-panel", (details) => { details.open = true; });
  for (const [name, value] of Object.entries(fields)) {
    const selector = `[name=${name}]`;
    if (name === "timeScale" || name === "barrier") await page.selectOption(selector, value);
    else await page.fill(selector, value);
  }
  await page.click("#run");
  await page.waitForSelector("#run:not([disabled])", { timeout: 30_000 });
}

test("a run prints the seed's lines in phase order and shows the answer", async () => {
  await runWith({ chunks: "6", seed: "42", timeScale: "1", failChunk: "" });
  const lines = await logLines();
  assert.equal(lines.length, 15, lines.join("\n"));
  lines.slice(0, 6).forEach((line) => assert.match(line, /^Phase 1 complete: chunk-[0-5]$/));
  lines.slice(6, 12).forEach((line) => assert.match(line, /^Phase 2 complete: chunk-[0-5] score=\d\.\d\d$/));
  assert.match(lines[12], /^Top 3 chunks: \['chunk-\d', 'chunk-\d', 'chunk-\d'\]$/);
  assert.equal(lines[13], "Generating answer from top 3 chunks...");
  assert.match(lines[14], /^Final answer: \S/);

  // Every chunk id appears once per phase.
  const ids = (from, to) => lines.slice(from, to).map((line) => line.match(/chunk-\d/)[0]).sort();
  const all = ["chunk-0", "chunk-1", "chunk-2", "chunk-3", "chunk-4", "chunk-5"];
  assert.deepEqual(ids(0, 6), all);
  assert.deepEqual(ids(6, 12), all);

  // The answer panel shows the same answer and the same top 3, best first.
  const answer = await page.textContent("#answer p");
  assert.equal(`Final answer: ${answer}`, lines[14]);
  const top = await page.$$eval("#answer ol code", (codes) => codes.map((code) => code.textContent));
  assert.equal(lines[12], `Top 3 chunks: [${top.map((id) => `'${id}'`).join(", ")}]`);

  // The lanes: six finished lanes, two barrier releases, three ranked chunks.
  assert.equal(await page.locator(".lane").count(), 6);
  assert.equal(await page.locator(".releases .release").count(), 2);
  assert.equal(await page.locator(".lane .rank").count(), 3);
  const statuses = await page.$$eval(".lane .status", (items) => items.map((item) => item.textContent));
  // A lane that would have scored differently without the barrier says so.
  statuses.forEach((status) => assert.match(status, /^score \d\.\d\d( · early \d\.\d\d)? ✓$/));
  await page.screenshot({ path: `${ARTIFACTS}page.png`, fullPage: true });
});

test("the same seed replays the same scores and answer", async () => {
  const first = await logLines();
  await runWith({ seed: "42" });
  const scores = (lines) => lines.filter((line) => line.includes("score=")).sort();
  const again = await logLines();
  assert.deepEqual(scores(again), scores(first));
  assert.equal(again.at(-1), first.at(-1));
});

test("bad input names the field and its range, and the page keeps working", async () => {
  await runWith({ chunks: "0" });
  assert.equal(await page.isVisible("#error"), true);
  assert.equal(await page.textContent("#error"), "chunks must be an integer from 1 to 100000 (got 0)");
  assert.equal(await page.getAttribute("[name=chunks]", "class"), "invalid");

  await runWith({ chunks: "2.5" });
  assert.match(await page.textContent("#error"), /^chunks must be an integer from 1 to 100000 \(got 2\.5\)$/);

  await runWith({ chunks: "six" });
  assert.equal(await page.textContent("#error"), 'chunks must be an integer from 1 to 100000 (got "six")');

  await runWith({ chunks: "4", seed: "7" });
  assert.equal(await page.isVisible("#error"), false);
  assert.match((await logLines()).at(-1), /^Final answer: /);
  assert.equal(await page.locator(".lane").count(), 4);
  assert.match(await page.innerText("#answer"), /chunks spent \d+ ms waiting for slower chunks/);
});

test("a failing chunk stops the group: its lane fails, every other lane is cancelled", async () => {
  await runWith({ chunks: "6", seed: "3", failChunk: "2" });
  assert.match(await page.textContent("#error"), /^chunk-2 failed in Phase 1 \(embed\)/);
  const lines = await logLines();
  assert.ok(lines.some((line) => line.startsWith("Phase 1 failed: chunk-2")), lines.join("\n"));
  assert.equal(lines.filter((line) => line.startsWith("Cancelled: ")).length, 5);
  assert.equal(await page.locator(".lane.failed").count(), 1);
  assert.equal(await page.locator(".lane.cancelled").count(), 5);
  assert.ok(!lines.some((line) => line.startsWith("Phase 2 complete")), "no chunk scored");
  assert.ok(lines.some((line) => line.startsWith("Barrier broken: chunk-2 failed")), lines.join("\n"));
  assert.match(await page.textContent(".barrier.broken"), /PhaseBarrier, generation 0.*broken at \d+ ms/);
  await page.screenshot({ path: `${ARTIFACTS}failure.png`, fullPage: true });

  // The classic barrier cannot be broken: the page says the group dropped its waiters.
  await runWith({ barrier: "classic" });
  assert.ok(!(await logLines()).some((line) => line.startsWith("Barrier broken")));
  assert.match(await page.textContent(".barrier.broken"), /async-barrier cannot be broken/);
  await page.screenshot({ path: `${ARTIFACTS}failure-classic.png`, fullPage: true });

  await runWith({ failChunk: "", barrier: "phase" });
  assert.match((await logLines()).at(-1), /^Final answer: /);
});

test("runPipeline rejects bad options with an Error, straight from page script", async () => {
  const [isError, message] = await page.evaluate(async () => {
    const { runPipeline } = await import("/pkg/rag_phase_sync.js");
    try {
      await runPipeline({ embedMs: [300, 100] });
      return [false, "resolved"];
    } catch (error) {
      return [error instanceof Error, error.message];
    }
  });
  assert.equal(isError, true);
  assert.match(message, /^embedMs must be \[min, max\] with min <= max/);
});

test("the bundled corpus answers with quotes and citations that point at their lanes", async () => {
  await runWith({ chunks: "", seed: "5", timeScale: "1", documents: "", query: "Why does scoring need a barrier?" });
  assert.equal(await page.locator(".lane").count(), 46, "every passage of the corpus is a chunk");
  const answer = await page.textContent("#answer .answer-text");
  assert.match(answer, /\[chunk-\d+\]/);
  assert.match(answer, /document frequenc|corpus/i, answer);
  const citations = await page.$$eval("#answer .cite", (links) => links.map((link) => link.textContent));
  const sources = await page.$$eval("#answer .sources code", (codes) => codes.map((code) => code.textContent));
  assert.ok(citations.every((cite) => sources.includes(cite.slice(1, -1))), `${citations} within ${sources}`);
  assert.match(await page.textContent("#answer .sources li"), /score \d\.\d\d · BM25 \d+\.\d\d · cosine -?\d\.\d\d/);
  assert.match(await page.textContent("#answer .without-barrier"),
    /^Without the barrier: \d+ of 46 chunks would have scored against a partial corpus .* the top 3 would have been chunk-\d+, chunk-\d+, chunk-\d+/);
  await page.click("#answer .cite");
  assert.equal(await page.locator(".lane.flash").count(), 1, "the cited lane is highlighted");
  await page.screenshot({ path: `${ARTIFACTS}corpus.png`, fullPage: true });
});

test("your own text is chunked, searched and quoted; bad chunking names its field", async () => {
  const text = [
    "The lighthouse keeper climbs 112 steps every evening. He lights the lamp at dusk.",
    "Sourdough needs a starter of flour and water. It rises slowly overnight.",
    "The ferry to the island leaves at seven. Tickets are sold on board.",
  ].join("\n\n");
  await runWith({ documents: text, query: "When does the ferry leave?", chunkWords: "0" });
  assert.equal(await page.textContent("#error"), "chunkWords must be an integer from 1 to 10000 (got 0)");
  assert.equal(await page.getAttribute("[name=chunkWords]", "class"), "invalid");

  await runWith({ chunkWords: "", overlapWords: "" });
  assert.equal(await page.isVisible("#error"), false);
  assert.equal(await page.locator(".lane").count(), 3);
  assert.equal(await page.textContent("#answer .answer-text"), "The ferry to the island leaves at seven. [chunk-2]");
  assert.match(await page.textContent("#documents-summary"), /your text, 3 chunks/);
  await page.screenshot({ path: `${ARTIFACTS}documents.png`, fullPage: true });
  await runWith({ documents: "", query: "What is retrieval augmented generation?" });
});

test("nothing was logged to the console as an error", () => {
  assert.deepEqual(problems, []);
});
