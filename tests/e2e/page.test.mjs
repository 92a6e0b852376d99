// The demo page end to end: served on loopback, driven in Debian's Chromium by
// playwright-core (which never downloads a browser of its own). Needs pkg/
// from `wasm-pack build --target web`; `make test` builds it first.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { ARTIFACTS, openDemo, WIDE_WITH_CLIPBOARD } from "./demo.mjs";

let demo, browser, page, problems;

before(async () => {
  demo = await openDemo(WIDE_WITH_CLIPBOARD);
  ({ browser, page, problems } = demo);
});

after(() => demo?.close());

/** Every line of the log, read through Copy all (which this tests too), clicked from script so focus stays put. */
const logLines = () => page.evaluate(async () => {
  const status = document.querySelector("#log-status");
  const said = new Promise((resolve) => new MutationObserver((_, observer) => {
    observer.disconnect();
    resolve(status.textContent);
  }).observe(status, { childList: true, characterData: true, subtree: true }));
  document.querySelector("#log-copy").click();
  const message = await said;
  if (message.startsWith("Nothing to copy")) return [];
  const lines = (await navigator.clipboard.readText()).split("\n");
  const copied = message.match(/^Copied ([\d,]+) lines?\.$/);
  if (!copied || Number(copied[1].replaceAll(",", "")) !== lines.length) throw new Error(`Copy all said "${message}"`);
  return lines;
});

/** Sums the band rows' texts ("209 done, 1 dropped") into { state: chunks }. */
const bandTotals = () => page.$$eval("#timeline .band .status", (items) => {
  const totals = {};
  for (const item of items) {
    for (const [, count, state] of item.textContent.matchAll(/(\d[\d,]*) (\w+)/g)) {
      totals[state] = (totals[state] ?? 0) + Number(count.replaceAll(",", ""));
    }
  }
  return totals;
});

/** Finds chunk `chunk` with the lanes' own "Find chunk" control, and waits for its highlighted lane. */
async function findChunk(chunk) {
  await page.fill("#timeline [name=find]", String(chunk));
  await page.press("#timeline [name=find]", "Enter");
  await page.waitForFunction((chunk) => document.querySelector("#timeline .lane.highlighted .name")?.firstChild
    ?.textContent === `chunk-${chunk}`, chunk);
}

/** Whether the canvas has a pixel near colour `property` (a custom property) in chunk `chunk`'s lane. */
const laneHasColour = (chunk, property) => page.evaluate(([chunk, property]) => {
  const canvas = document.querySelector("#timeline .lanes-canvas");
  const row = [...document.querySelectorAll("#timeline .lane")].find((lane) =>
    lane.querySelector(".name").firstChild.textContent === `chunk-${chunk}`);
  const probe = document.createElement("canvas").getContext("2d");
  probe.fillStyle = getComputedStyle(canvas).getPropertyValue(property);
  probe.fillRect(0, 0, 1, 1);
  const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
  const box = canvas.getBoundingClientRect();
  const lane = row.getBoundingClientRect();
  const ratio = canvas.width / box.width;
  const top = Math.round((lane.top - box.top) * ratio);
  const height = Math.round(lane.height * ratio);
  const { data } = canvas.getContext("2d").getImageData(0, top, canvas.width, height);
  for (let i = 0; i < data.length; i += 4) {
    if (Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 30) return true;
  }
  return false;
}, [chunk, property]);

const SELECTS = new Set(["timeScale", "barrier", "faultPhase", "faultKind", "onChunkError", "phaseTimeoutMs"]);

/** Fills the form with `fields` (by name) without running. */
async function fillForm(fields) {
  // The documents fields live in a <details>; open it so they can be typed in.
  await page.$eval("#documents-panel", (details) => { details.open = true; });
  for (const [name, value] of Object.entries(fields)) {
    const selector = `[name=${name}]`;
    if (SELECTS.has(name)) await page.selectOption(selector, value);
    else await page.fill(selector, value);
  }
}

/** Waits until no run is in flight: Stop is disabled again (Run stays enabled during a run, as Restart). */
async function waitIdle(timeout = 30_000) {
  await page.waitForSelector("#stop:disabled", { timeout });
  await page.waitForFunction(() => document.querySelector("#run").textContent === "Run", null, { timeout });
}

async function runWith(fields) {
  await fillForm(fields);
  await page.click("#run");
  await waitIdle();
}

/** Every option the failure tests touch, at its default: each of them states what it depends on. */
const DEFAULTS = {
  query: "What is retrieval augmented generation?", chunks: "", seed: "", timeScale: "1", barrier: "phase",
  faultChunk: "", faultPhase: "embed", faultKind: "error", onChunkError: "fail-fast", phaseTimeoutMs: "",
  documents: "", chunkWords: "", overlapWords: "",
};

test("a run prints the seed's lines in phase order and shows the answer", async () => {
  await runWith({ chunks: "6", seed: "42", timeScale: "1", faultChunk: "" });
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
  assert.equal(await page.textContent("#error"), "Chunks: must be an integer from 1 to 100,000 (got 0)");
  assert.equal(await page.getAttribute("[name=chunks]", "class"), "invalid");

  await runWith({ chunks: "2.5" });
  assert.match(await page.textContent("#error"), /^Chunks: must be an integer from 1 to 100,000 \(got "2\.5"\)$/);

  // Chunks takes plain integers: what Number() would read as 1,000 or 16 is refused as typed.
  for (const typed of ["1e3", "0x10"]) {
    await runWith({ chunks: typed });
    assert.equal(await page.textContent("#error"), `Chunks: must be an integer from 1 to 100,000 (got "${typed}")`);
    assert.equal(await page.getAttribute("[name=chunks]", "aria-invalid"), "true");
  }

  await runWith({ chunks: "six" });
  assert.equal(await page.textContent("#error"), 'Chunks: must be an integer from 1 to 100,000 (got "six")');

  await runWith({ chunks: "4", seed: "7" });
  assert.equal(await page.isVisible("#error"), false);
  assert.match((await logLines()).at(-1), /^Final answer: /);
  assert.equal(await page.locator(".lane").count(), 4);
  assert.match(await page.innerText("#answer"), /chunks spent [\d,.]+ ms waiting for slower chunks/);
});

test("a failing chunk stops the group: its lane fails, every other lane is cancelled", async () => {
  await runWith({ chunks: "6", seed: "3", faultChunk: "2" });
  assert.match(await page.textContent("#error"), /^chunk-2 failed in Phase 1 \(embed\)/);
  const lines = await logLines();
  assert.ok(lines.some((line) => line.startsWith("Phase 1 failed: chunk-2")), lines.join("\n"));
  assert.equal(lines.filter((line) => line.startsWith("Cancelled: ")).length, 5);
  assert.equal(await page.locator(".lane.failed").count(), 1);
  assert.equal(await page.locator(".lane.cancelled").count(), 5);
  assert.ok(!lines.some((line) => line.startsWith("Phase 2 complete")), "no chunk scored");
  assert.ok(lines.some((line) => line.startsWith("Barrier broken: chunk-2 failed")), lines.join("\n"));
  assert.match(await page.textContent(".gate"), /^PhaseBarrier\b.*generation 0: broken at [\d,]+ ms/);
  assert.match(await page.textContent(".barrier.broken"), /^generation 0: broken at [\d,]+ ms/);
  await page.screenshot({ path: `${ARTIFACTS}failure.png`, fullPage: true });

  // The classic barrier cannot be broken: the page says the group dropped its waiters.
  await runWith({ barrier: "classic" });
  assert.ok(!(await logLines()).some((line) => line.startsWith("Barrier broken")));
  assert.match(await page.textContent(".barrier.broken"), /async-barrier cannot be broken/);
  await page.screenshot({ path: `${ARTIFACTS}failure-classic.png`, fullPage: true });

  await runWith({ faultChunk: "", barrier: "phase" });
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
  const cited = await page.textContent("#answer .cite");
  await page.click("#answer .cite");
  assert.equal(await page.locator(".lane.highlighted").count(), 1, "the cited lane is highlighted");
  assert.equal(`[${await page.$eval(".lane.highlighted .name", (name) => name.firstChild.textContent)}]`, cited);
  assert.equal(await page.evaluate(() => document.activeElement.classList.contains("highlighted")), true,
    "focus moved to the cited lane");
  assert.equal(await page.evaluate(() => {
    const box = document.activeElement.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= innerHeight;
  }), true, "and the page scrolled it into view");
  await page.screenshot({ path: `${ARTIFACTS}corpus.png`, fullPage: true });
});

test("your own text is chunked, searched and quoted; bad chunking names its field", async () => {
  const text = [
    "The lighthouse keeper climbs 112 steps every evening. He lights the lamp at dusk.",
    "Sourdough needs a starter of flour and water. It rises slowly overnight.",
    "The ferry to the island leaves at seven. Tickets are sold on board.",
  ].join("\n\n");
  await runWith({ documents: text, query: "When does the ferry leave?", chunkWords: "0" });
  assert.equal(await page.textContent("#error"), "Words per chunk: must be an integer from 1 to 10,000 (got 0)");
  assert.equal(await page.getAttribute("[name=chunkWords]", "class"), "invalid");

  await runWith({ chunkWords: "", overlapWords: "" });
  assert.equal(await page.isVisible("#error"), false);
  assert.equal(await page.locator(".lane").count(), 3);
  assert.equal(await page.textContent("#answer .answer-text"), "The ferry to the island leaves at seven. [chunk-2]");
  assert.match(await page.textContent("#documents-summary"), /your text, 3 chunks/);
  await page.screenshot({ path: `${ARTIFACTS}documents.png`, fullPage: true });
  await runWith({ documents: "", query: "What is retrieval augmented generation?" });
});

/** Counts the page's live timers (set, neither cleared nor fired) by wrapping window.setTimeout/clearTimeout. */
async function installTimerCounter() {
  await page.evaluate(() => {
    if (window.__liveTimers) return;
    const live = new Set();
    const { setTimeout: set, clearTimeout: clear } = window;
    window.setTimeout = function (handler, ms, ...rest) {
      const fire = function (...args) {
        live.delete(id);
        if (typeof handler === "function") return handler.apply(this, args);
      };
      const id = set.call(window, fire, ms, ...rest);
      live.add(id);
      return id;
    };
    window.clearTimeout = function (id) {
      live.delete(id);
      return clear.call(window, id);
    };
    window.__liveTimers = () => live.size;
  });
}
const liveTimers = () => page.evaluate(() => window.__liveTimers());

const lineStarts = (prefix) => page.waitForFunction(
  (prefix) => [...document.querySelectorAll("#log .log-row")].some((row) => row.textContent.startsWith(prefix)),
  prefix, { timeout: 30_000 });

/** After a Stop: the page says so calmly, every lane ended, no timer and no event is left behind. */
async function assertStopped(baseline, label) {
  await waitIdle();
  assert.equal(await page.isVisible("#error"), false, `${label}: no error is shown`);
  assert.match(await page.textContent("#answer"), /^Stopped: every chunk was cancelled at [\d,.]+ ms\.$/, label);
  assert.match(await page.textContent("#run-state"), /^Stopped at [\d,.]+ ms\.$/, label);
  const lines = await logLines();
  assert.equal(lines.at(-1), "Pipeline stopped: every chunk was cancelled", label);
  assert.equal(lines.filter((line) => line.startsWith("Pipeline stopped")).length, 1, label);
  assert.ok(!lines.some((line) => line.startsWith("Final answer")), label);
  const lanes = await page.$$eval(".lane", (rows) => rows.map((row) => row.className));
  assert.equal(lanes.length, 46, label);
  lanes.forEach((name) => assert.match(name, /\b(cancelled|done)\b/, `${label}: ${name}`));
  assert.equal(await liveTimers(), baseline, `${label}: every timer of the run was cleared`);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "run", `${label}: focus moved to Run`);
  const before = lines.length;
  const lanesBefore = await page.innerHTML("#timeline");
  await page.waitForTimeout(300);
  assert.equal((await logLines()).length, before, `${label}: no event after the run ended`);
  assert.equal(await page.innerHTML("#timeline"), lanesBefore, `${label}: the lanes did not change`);
  assert.equal(await liveTimers(), baseline, label);
}

test("Stop cancels every chunk mid-Phase 1 and mid-Phase 2, and leaves no timer and no event behind", async () => {
  await installTimerCounter();
  const baseline = await liveTimers();
  await fillForm({ ...DEFAULTS, seed: "11", timeScale: "10" });
  assert.equal(await page.isDisabled("#stop"), true, "Stop is disabled while idle");

  await page.click("#run");
  assert.equal(await page.isDisabled("#stop"), false, "Stop is enabled while a run is in flight");
  assert.equal(await page.isDisabled("#run"), false, "Run stays enabled, to restart");
  assert.equal(await page.textContent("#run"), "Restart");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "stop", "focus moves to Stop while running");
  await lineStarts("Phase 1 complete");
  assert.ok(await liveTimers() > baseline, "the run's sleeps are setTimeout timers (else this test proves nothing)");
  await page.click("#stop");
  await assertStopped(baseline, "Phase 1");
  const phase1 = await logLines();
  assert.ok(!phase1.some((line) => line.startsWith("Phase 2")), "stopped before any chunk scored");
  assert.equal(await page.locator(".lane.cancelled").count(), 46);
  assert.ok(await page.locator(".barrier.stopped").count() >= 1);
  await page.screenshot({ path: `${ARTIFACTS}stopped.png`, fullPage: true });

  // Phase 2 takes 500 ms at 10x for every chunk at once: stop right after the first release, from the keyboard.
  await page.click("#run");
  await page.waitForSelector(".releases .release", { timeout: 30_000 });
  await page.focus("#stop");
  await page.keyboard.press("Enter");
  await assertStopped(baseline, "Phase 2");
  const phase2 = await logLines();
  assert.ok(phase2.some((line) => /^Cancelled: chunk-\d+ (during|at the barrier after) Phase 2$/.test(line)), phase2.join("\n"));
  assert.equal(await page.locator(".releases .release").count(), 1, "generation 1 never released");
  await page.screenshot({ path: `${ARTIFACTS}stopped-phase2.png`, fullPage: true });

  // Stop in the same task as Run: the run may never begin; the page must not pretend it did.
  await page.evaluate(() => {
    document.querySelector("#run").click();
    document.querySelector("#stop").click();
  });
  await waitIdle();
  assert.equal(await page.isVisible("#error"), false);
  const lines = await logLines();
  if (lines.length === 0) {
    assert.equal(await page.textContent("#answer"), "Stopped before the run started.");
    assert.equal(await page.locator(".lane").count(), 0, "no lanes of the previous run are left");
    assert.equal(await page.locator(".barrier").count(), 0);
  } else {
    assert.equal(lines.at(-1), "Pipeline stopped: every chunk was cancelled");
    assert.match(await page.textContent("#answer"), /^Stopped: every chunk was cancelled at [\d,.]+ ms\.$/);
  }
  assert.equal(await liveTimers(), baseline);
  assert.deepEqual(problems, []);
});

test("20 rapid reruns: each aborts the one in flight, and only the last run is drawn", async () => {
  await installTimerCounter();
  const baseline = await liveTimers();
  await fillForm({ ...DEFAULTS, timeScale: "3", seed: "" });
  // Ten in one task (the first runs are aborted before Rust ever polls them)...
  await page.evaluate(() => {
    for (let run = 0; run < 10; run++) {
      document.querySelector("[name=chunks]").value = String(20 + run);
      document.querySelector("#run").click();
    }
  });
  // ...and ten by clicks, each while the previous run is mid-flight; the last, with 7 chunks, by Enter in a field.
  for (let run = 10; run < 19; run++) {
    await page.fill("[name=chunks]", String(20 + run));
    await page.click("#run");
  }
  await page.fill("[name=chunks]", "7");
  await page.press("[name=chunks]", "Enter");
  // The superseded runs' rejections (AbortError) have landed by now, and must not have touched the panels.
  await page.waitForTimeout(150);
  assert.equal(await page.textContent("#answer"), "Waiting for every chunk…");
  assert.equal(await page.textContent("#run-state"), "Running…");
  assert.equal(await page.textContent("#run"), "Restart");
  assert.equal(await page.isDisabled("#stop"), false);
  await waitIdle();
  const lines = await logLines();
  const text = lines.join("\n");
  assert.equal(lines.filter((line) => line.startsWith("Final answer")).length, 1, text);
  assert.equal(lines.at(-1).startsWith("Final answer"), true, text);
  assert.equal(lines.filter((line) => line.startsWith("Phase 1 complete")).length, 7, text);
  assert.equal(lines.filter((line) => line.startsWith("Phase 2 complete")).length, 7, text);
  assert.ok(!lines.some((line) => /^(Cancelled|Pipeline stopped|Pipeline failed|Phase \d failed)/.test(line)), text);
  assert.ok(lines.every((line) => !/chunk-(\d\d|[7-9])\b/.test(line)), `only chunks 0 to 6: ${text}`);
  assert.equal(await page.locator(".lane").count(), 7);
  assert.equal(await page.locator(".lane.cancelled").count(), 0);
  assert.equal(await page.locator(".lane.done").count(), 7);
  assert.match(await page.textContent("#documents-summary"), /the bundled corpus, 7 chunks/);
  assert.match(await page.textContent("#answer .answer-text"), /\[chunk-[0-6]\]/);
  assert.equal(await page.isVisible("#error"), false);
  assert.match(await page.textContent("#run-state"), /^Done in [\d,.]+ ms\.$/);
  // The 19 superseded runs ended too: none is still sleeping on a timer.
  assert.equal(await liveTimers(), baseline, "no superseded run is left running");
  const before = lines.length;
  await page.waitForTimeout(300);
  assert.equal((await logLines()).length, before);
  assert.deepEqual(problems, []);
});

test("drop-out at 200 chunks: chunk-150 leaves the barrier, the other 199 answer", async () => {
  await runWith({ ...DEFAULTS, chunks: "200", seed: "8", faultChunk: "150", onChunkError: "drop-out" });
  assert.equal(await page.isVisible("#error"), false, await page.textContent("#error"));
  const lines = await logLines();
  const text = lines.join("\n");
  const dropped = lines.filter((line) => line.includes("drops out"));
  assert.equal(dropped.length, 1, text);
  assert.match(dropped[0], /^Phase 1 failed: chunk-150 \(.*\); it drops out, the barrier now waits for 199$/);
  assert.ok(!lines.some((line) => line.startsWith("Cancelled")), "nobody else was cancelled");
  assert.equal(lines.filter((line) => line.startsWith("Phase 2 complete")).length, 199);
  assert.ok(!lines.some((line) => line.startsWith("Phase 2 complete: chunk-150 ")), text);
  assert.match(lines.at(-1), /^Final answer: /);
  assert.match(await page.textContent("#answer .dropped-out"), /^Dropped out: chunk-150 \(.+\)/);
  assert.equal(await page.locator("#answer .dropped-out .cite").count(), 1);
  assert.ok(!(await page.textContent("#answer .answer-text")).includes("[chunk-150]"));
  // Both generations waited for 199: generation 0 lowered mid-way, generation 1 from the start.
  const gates = await page.$$eval(".barrier", (boxes) => boxes.map((box) => box.textContent));
  gates.forEach((gate) => assert.match(gate, /released at [\d,]+ ms (by chunk-\d+, the last of 199 to arrive|when chunk-150 dropped out: the other 199 had all arrived \(leader chunk-\d+\)); 1 dropped out$/));
  // 200 chunks are bands of chunks; they count chunk-150 out and every other one done.
  assert.deepEqual(await bandTotals(), { done: 199, dropped: 1 });
  await findChunk(150);
  assert.equal(await page.textContent(".lane.dropped.highlighted .status"), "dropped out (error)");

  // chunk-5 drops out in Phase 2, after it was embedded; its own lane says so, with a mark.
  await runWith({ faultChunk: "5", faultPhase: "score" });
  assert.equal(await page.isVisible("#error"), false);
  assert.deepEqual(await bandTotals(), { done: 199, dropped: 1 }, "nobody failed or was cancelled");
  await findChunk(5);
  assert.equal(await page.locator(".lane.dropped").count(), 1);
  assert.equal(await page.textContent(".lane.dropped .name"), "chunk-5");
  assert.equal(await page.textContent(".lane.dropped .status"), "dropped out (error)");
  assert.match(await page.getAttribute(".lane.dropped", "title"), /^Phase 2 failed: chunk-5 \(.+\); it drops out/);
  assert.ok(await laneHasColour(5, "--lane-dropped"), "chunk-5's lane has the dropped-out mark");
  assert.equal(await page.locator(".lane.cancelled, .lane.failed").count(), 0);
  assert.equal(await page.locator(".lane.done").count(), await page.locator(".lane").count() - 1);
  assert.match(await page.textContent("#answer .dropped-out"), /^Dropped out: chunk-5 \(.+\)/);
  const [gate0, gate1] = await page.$$eval(".barrier", (boxes) => boxes.map((box) => box.textContent));
  assert.match(gate0, /the last of 200 to arrive$/, "generation 0 released before chunk-5 dropped out");
  assert.match(gate1, /the last of 199 to arrive; 1 dropped out/);

  // A timed-out chunk drops out too, and the answer says how.
  await runWith({ ...DEFAULTS, seed: "8", faultChunk: "4", faultKind: "hang", phaseTimeoutMs: "500",
    onChunkError: "drop-out" });
  assert.equal(await page.isVisible("#error"), false, await page.textContent("#error"));
  assert.match(await page.textContent("#answer .dropped-out"),
    /^Dropped out: chunk-4 \(timed out after 500 ms in Phase 1\)/);
  assert.equal(await page.textContent(".lane.dropped .name"), "chunk-4");
  assert.equal(await page.textContent(".lane.dropped .status"), "dropped out (timed out)");
  assert.equal(await page.locator(".lane.done").count(), 45);
  // Every other chunk embeds within 300 ms: chunk-4 timing out at 500 ms is what completed generation 0.
  assert.match(await page.textContent(".barrier"),
    /released at [\d,]+ ms when chunk-4 dropped out: the other 45 had all arrived \(leader chunk-\d+\); 1 dropped out$/);
  // So chunk-4, not the last to arrive, is generation 0's critical path.
  assert.match(await page.textContent("#timeline .releases"),
    /^Generation 0 released at [\d,]+ ms, when chunk-4 dropped out \(critical path, outlined\); chunk-\d+ had arrived last\./);
  await page.screenshot({ path: `${ARTIFACTS}dropout.png`, fullPage: true });
});

test("fail-fast over the bundled corpus with the classic barrier: chunk-5 fails, the other 45 are cancelled", async () => {
  const started = Date.now();
  await runWith({ ...DEFAULTS, seed: "4", barrier: "classic", faultChunk: "5" });
  assert.ok(Date.now() - started < 30_000);
  assert.match(await page.textContent("#error"), /^chunk-5 failed in Phase 1 \(embed\)/);
  assert.equal(await page.locator(".lane").count(), 46);
  assert.equal(await page.locator(".lane.failed").count(), 1);
  assert.equal(await page.textContent(".lane.failed .name"), "chunk-5");
  assert.equal(await page.locator(".lane.cancelled").count(), 45);
  assert.match(await page.textContent("#answer"), /^No answer: chunk-5 failed, so the group cancelled the others\.$/);
  assert.equal(await page.textContent("#run"), "Run");
  assert.equal(await page.isDisabled("#stop"), true);
  assert.match((await logLines()).at(-1), /^Pipeline failed: chunk-5 failed in Phase 1 \(embed\)/);
});

test("a hanging chunk times out: the error and its lane say so", async () => {
  await runWith({ ...DEFAULTS, chunks: "6", seed: "2", faultChunk: "2", faultKind: "hang", phaseTimeoutMs: "500" });
  assert.equal(await page.textContent("#error"), "chunk-2 timed out in Phase 1 (embed) after 500 ms");
  assert.equal(await page.locator(".lane.failed.timed-out").count(), 1);
  assert.equal(await page.textContent(".lane.timed-out .name"), "chunk-2");
  assert.equal(await page.textContent(".lane.timed-out .status"), "timed out in Phase 1");
  assert.equal(await page.locator(".lane.cancelled").count(), 5);
  await page.screenshot({ path: `${ARTIFACTS}timeout.png`, fullPage: true });
});

test("option errors of the failure controls highlight their control", async () => {
  await runWith({ ...DEFAULTS, barrier: "classic", onChunkError: "drop-out" });
  assert.match(await page.textContent("#error"), /^When a chunk fails: cannot be "drop-out" with barrier "classic"/);
  assert.equal(await page.getAttribute("[name=onChunkError]", "class"), "invalid");
  assert.equal(await page.evaluate(() => document.activeElement?.name), "onChunkError");

  await runWith({ ...DEFAULTS, faultChunk: "five" });
  assert.match(await page.textContent("#error"), /^Fault chunk: must be a chunk index from 0 to 99,999 \(got "five"\)$/);
  assert.equal(await page.getAttribute("[name=faultChunk]", "class"), "invalid");
  assert.equal(await page.$eval("[name=onChunkError]", (select) => select.classList.contains("invalid")), false,
    "the old highlight is gone");

  await runWith({ ...DEFAULTS, seed: "1" });
  assert.equal(await page.isVisible("#error"), false);
  assert.match((await logLines()).at(-1), /^Final answer: /);
});

test("a lane cancelled before it started says so (lanes.js fed events directly)", async () => {
  const lanes = await page.evaluate(async () => {
    const { Lanes } = await import("/www/lanes.js");
    const root = document.createElement("div");
    document.querySelector("#timeline-panel").append(root); // laid out, with the panel's colours
    const timeline = new Lanes(root);
    timeline.reset(3);
    const events = [
      { type: "phase-start", chunk: 0, phase: "embed", t: 0, plannedMs: 100 },
      { type: "chunk-cancelled", chunk: 0, phase: "embed", waiting: false, started: true, t: 5 },
      { type: "chunk-cancelled", chunk: 1, phase: "embed", waiting: false, started: false, t: 5 },
      { type: "chunk-failed", chunk: 2, phase: "score", message: "timed out after 250 ms", timedOut: true, t: 5 },
    ];
    for (const event of events) timeline.apply(event);
    await new Promise(requestAnimationFrame); // the rows are written once a frame
    const rows = [...root.querySelectorAll(".lane")].map((row) => [row.className, row.querySelector(".status").textContent]);
    root.remove();
    return rows;
  });
  assert.deepEqual(lanes, [
    ["lane cancelled", "cancelled in Phase 1"],
    ["lane cancelled unstarted", "cancelled before it started"],
    ["lane failed timed-out", "timed out in Phase 2"],
  ]);
});

test("the form wraps at 390 px: every control stays inside the viewport", async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    const overflow = await page.$$eval("#controls input, #controls select, #controls button, #failures",
      (nodes) => nodes.filter((node) => node.getBoundingClientRect().right > window.innerWidth + 0.5)
        .map((node) => node.name || node.id));
    assert.deepEqual(overflow, []);
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true);
    await page.screenshot({ path: `${ARTIFACTS}narrow.png`, fullPage: false });
  } finally {
    await page.setViewportSize({ width: 1360, height: 900 });
  }
});

test("every setting lives in the query string: a shared link replays the same run", async () => {
  await runWith({ ...DEFAULTS, chunks: "9", seed: "", barrier: "classic", timeScale: "1", query: "How does BM25 score?" });
  const shared = new URL(page.url());
  assert.equal(shared.searchParams.get("chunks"), "9");
  assert.equal(shared.searchParams.get("barrier"), "classic");
  assert.equal(shared.searchParams.get("query"), "How does BM25 score?");
  assert.match(shared.searchParams.get("seed"), /^\d+$/, "the seed the run used, though the field was blank");
  const first = await logLines();

  const other = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  try {
    await other.goto(shared.href);
    await other.waitForSelector("#run:not([disabled])");
    assert.equal(await other.inputValue("[name=chunks]"), "9");
    assert.equal(await other.inputValue("[name=barrier]"), "classic");
    assert.equal(await other.inputValue("[name=seed]"), shared.searchParams.get("seed"));
    await other.click("#run");
    await other.waitForSelector("#stop:disabled");
    await other.waitForFunction(() => /^Done in/.test(document.querySelector("#run-state").textContent));
    const again = await other.textContent("#answer .answer-text");
    assert.equal(`Final answer: ${again}`, first.at(-1));
    assert.equal(first.filter((line) => line.startsWith("Phase 2 complete")).length, 9);
  } finally {
    await other.close();
  }
  await fillForm(DEFAULTS);
});

test("a hostile link fills the form as text, is refused with a clear error, and the page keeps working", async () => {
  const params = new URLSearchParams({
    chunks: "<img src=x onerror=window.pwned=1>", timeScale: "999", barrier: "__proto__", seed: "-1",
    query: "q".repeat(5000), onChunkError: "constructor", unknown: "1", toString: "x",
  });
  const tab = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  const errors = [];
  tab.on("pageerror", (error) => errors.push(error.message));
  try {
    await tab.goto(`${demo.url}?${params}&chunks=2`); // a repeated key: the first wins, as URLSearchParams.get says
    await tab.waitForSelector("#run:not([disabled])");
    assert.equal(await tab.inputValue("[name=chunks]"), "<img src=x onerror=window.pwned=1>");
    assert.equal(await tab.inputValue("[name=timeScale]"), "3", "a speed the select does not offer is ignored");
    assert.equal(await tab.inputValue("[name=barrier]"), "phase");
    assert.equal(await tab.inputValue("[name=onChunkError]"), "fail-fast");
    await tab.click("#run");
    await tab.waitForSelector("#stop:disabled");
    assert.equal(await tab.textContent("#error"),
      'Chunks: must be an integer from 1 to 100,000 (got "<img src=x onerror=window.pwned=1>")');
    assert.equal(await tab.evaluate(() => window.pwned), undefined, "the text stayed text");
    assert.equal(await tab.evaluate(() => document.activeElement.name), "chunks", "focus went to the bad field");
    // Fixed, it runs: nothing was lost.
    await tab.fill("[name=chunks]", "5");
    await tab.click("#run");
    await tab.waitForSelector("#stop:disabled");
    assert.match(await tab.textContent("#error"), /^Seed: must be an integer from 0 to 9,007,199,254,740,991 \(got -1\)$/);
    await tab.fill("[name=seed]", "");
    await tab.selectOption("[name=timeScale]", "1");
    await tab.click("#run");
    await tab.waitForSelector("#stop:disabled");
    await tab.waitForFunction(() => /^Done in/.test(document.querySelector("#run-state").textContent));
    assert.equal(await tab.isVisible("#error"), false);
    assert.deepEqual(errors, []);
  } finally {
    await tab.close();
  }
});

test("document text is always text: a [chunk-7] inside a document is no citation", async () => {
  const text = "The ferry leaves at seven, see [chunk-7] in the timetable. Tickets are sold on board.";
  await runWith({ ...DEFAULTS, documents: text, query: "When does the ferry leave?" });
  assert.equal(await page.textContent("#answer .answer-text"),
    "The ferry leaves at seven, see [chunk-7] in the timetable. [chunk-0]");
  const citations = await page.$$eval("#answer .answer-text .cite", (nodes) => nodes.map((node) => [node.tagName, node.textContent]));
  assert.deepEqual(citations, [["BUTTON", "[chunk-0]"]]);
  assert.match(await page.textContent("#documents-summary"), /your text, 1 chunk$/);
  assert.ok((await logLines()).includes("Top 1 chunk: ['chunk-0']"));
  // One polite announcement at the end of a run, with the answer's first sentence.
  assert.equal(await page.textContent("#announcer"),
    await page.evaluate(() => `Run finished in ${document.querySelector("#run-state").textContent.slice(8, -1)}. ` +
      "Answer: The ferry leaves at seven, see [chunk-7] in the timetable."));
  await fillForm(DEFAULTS);
});

test("with prefers-reduced-motion nothing flashes or slides, and states still change", async () => {
  await page.emulateMedia({ reducedMotion: "reduce" });
  try {
    await runWith({ ...DEFAULTS, chunks: "12", seed: "4" });
    await page.click("#answer .cite");
    assert.equal(await page.locator(".lane.highlighted").count(), 1, "the cited lane is still highlighted");
    const moving = await page.evaluate(() => document.getAnimations()
      .filter((animation) => animation.playState === "running").map((animation) => animation.animationName ?? "transition"));
    assert.deepEqual(moving, []);
    assert.equal(await page.locator(".lane.pulse").count(), 0, "no flash");
  } finally {
    await page.emulateMedia({ reducedMotion: "no-preference" });
  }
});

test("nothing was logged to the console as an error", () => {
  assert.deepEqual(problems, []);
});
