// The gate (www/gate.js) when a generation ends unreleased, in Chromium, against the run's own captured events:
// a stopped PhaseBarrier run withdraws every parked arrival (barrier-withdraw), and the gate still says how many
// had arrived and that each withdrew, at 46 and 250 chunks, as the lanes and the questions panel do; async-barrier
// (no withdrawals) keeps its plain count; a fail-fast failure says how many had arrived when it broke. Every state
// of a generation has its own mark, a generation still filling too (never the list's number), and the questions
// panel names async-barrier once.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { capturingRuns, fillForm, nextFrames, openDemo } from "./demo.mjs";

let demo, page, problems;

before(async () => {
  demo = await openDemo({ viewport: { width: 1280, height: 900 } }, { beforeLoad: capturingRuns });
  ({ page, problems } = demo);
});

after(() => demo?.close());

/** Runs with `fields`; `stopAfterMs` presses Stop that long after the first arrival. Resolves to the run's events. */
async function runWith(fields, { stopAfterMs } = {}) {
  await fillForm(page, { chunks: "", seed: "7", faultChunk: "", timeScale: "1", barrier: "phase", ...fields });
  const index = await page.evaluate(() => window.capturedRuns.length);
  await page.click("#run");
  if (stopAfterMs !== undefined) {
    await page.waitForFunction((index) => window.capturedRuns[index]?.events.some((event) => event.type === "barrier-arrive"),
      index, { timeout: 60_000 });
    await page.waitForTimeout(stopAfterMs);
    await page.click("#stop");
  }
  await page.waitForSelector("#stop:disabled", { timeout: 120_000 });
  await page.waitForFunction(() => !/^(Answers appear|Working)/.test(document.querySelector(".questions-status").textContent),
    null, { timeout: 60_000 });
  await nextFrames(page);
  return page.evaluate((index) => window.capturedRuns[index].events, index);
}

/** The gate's lines, one per generation: text, class and the ::marker it shows. */
function gateLines() {
  return page.$$eval("#barriers .barrier", (items) => items.map((item) => ({
    text: item.textContent, className: item.className, marker: getComputedStyle(item, "::marker").content,
  })));
}

const count = (events, type, generation = 0) =>
  events.filter((event) => event.type === type && event.generation === generation).length;

for (const chunks of ["", "250"]) {
  const size = chunks || "46";
  test(`stopped at ${size} chunks: PhaseBarrier's count fell to 0 by withdrawals, and the gate says who had arrived`, async () => {
    const events = await runWith({ chunks, timeScale: "10" }, { stopAfterMs: 600 });
    const parties = Number(size);
    const arrived = count(events, "barrier-arrive");
    const withdrawn = count(events, "barrier-withdraw");
    assert.ok(events.at(-1).aborted, "the run was stopped");
    assert.ok(arrived > 0 && arrived < parties, `some chunks had arrived when it stopped (${arrived})`);
    assert.equal(withdrawn, arrived, "PhaseBarrier withdrew each parked arrival");
    assert.equal(events.filter((event) => event.type === "barrier-withdraw").at(-1).arrived, 0, "its count is 0");
    const [line] = await gateLines();
    assert.equal(line.text, `generation 0: ${arrived.toLocaleString("en")} of ${parties.toLocaleString("en")} arrived; ` +
      "each withdrew its arrival when the run was stopped: never released");
    assert.match(line.className, /\bstopped\b/);
    // The meter shows how far it got, not the withdrawn count of 0 (the transition ends within 200 ms).
    await page.waitForTimeout(300);
    const share = await page.$eval("#barriers .meter", (meter) =>
      meter.firstElementChild.getBoundingClientRect().width / meter.getBoundingClientRect().width);
    assert.ok(Math.abs(share - arrived / parties) < 0.01, `meter at ${share}, ${arrived} of ${parties} arrived`);
    // The lanes and the questions panel tell the same number.
    if (parties <= 48) { // one lane a row: each of them reads "cancelled at the barrier"
      const atBarrier = await page.$$eval("#timeline .lanes-rows .status", (statuses) =>
        statuses.filter((status) => status.textContent === "cancelled at the barrier").length);
      assert.equal(atBarrier, arrived);
    }
    const answers = await page.textContent("#questions");
    assert.ok(answers.includes(`${arrived.toLocaleString("en")} of ${parties.toLocaleString("en")} had arrived`), answers);
    assert.deepEqual(problems, []);
  });
}

test("stopped with async-barrier: no withdrawals, the plain count; the questions panel names it once", async () => {
  const events = await runWith({ barrier: "classic", timeScale: "10" }, { stopAfterMs: 600 });
  const arrived = count(events, "barrier-arrive");
  assert.equal(count(events, "barrier-withdraw"), 0, "async-barrier never withdraws");
  const [line] = await gateLines();
  assert.equal(line.text, `generation 0: ${arrived}/46 arrived: never released, the run was stopped`);
  assert.match(await page.textContent("#barriers .gate-head"), /^async-barrier · one barrier, reused/);
  const answers = await page.textContent("#questions");
  assert.ok(answers.includes("async-barrier's generation 0 did not complete"), answers);
  assert.ok(!/async-barrier Barrier/.test(answers), "no doubled name");
  assert.deepEqual(problems, []);
});

test("fail-fast: the broken generation says how many had arrived when it broke", async () => {
  const events = await runWith({ faultChunk: "3" });
  const broken = events.find((event) => event.type === "barrier-broken");
  assert.ok(broken, "the barrier broke");
  const arrived = events.filter((event) => event.type === "barrier-arrive" && events.indexOf(event) < events.indexOf(broken)
    && event.generation === broken.generation).length;
  const lines = await gateLines();
  assert.match(lines[broken.generation].text, new RegExp(`^generation ${broken.generation}: broken at [\\d,]+ ms: chunk-3 ` +
    `failed in Phase 1 \\(embed\\), so nobody waits for it; ${arrived} of 46 had arrived$`));
  assert.equal(lines[broken.generation].marker, '"× "');
  assert.deepEqual(problems, []);
});

test("every state has its own mark: a generation still filling shows ◐, never a list number", async () => {
  await fillForm(page, { chunks: "", seed: "8", faultChunk: "", timeScale: "10", barrier: "phase" });
  await page.click("#run");
  await page.waitForFunction(() => /\d+\/46 arrived$/.test(document.querySelector("#barriers .barrier")?.textContent ?? ""),
    null, { timeout: 30_000 });
  const [filling] = await gateLines();
  assert.match(filling.className, /\bopen\b/);
  assert.equal(filling.marker, '"◐ "', "its own mark while it fills");
  await page.click("#stop");
  await page.waitForSelector("#stop:disabled");
  await runWith({ timeScale: "1" });
  const lines = await gateLines();
  assert.deepEqual(lines.map((line) => line.marker), ['"✓ "', '"✓ "'], "both released");
  assert.deepEqual(problems, []);
});
