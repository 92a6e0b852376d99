// Compare mode on the real page: the same seed run as the seed's alternative (two gathers) beside the barrier,
// both drawn on one time axis, with a verdict whose numbers are the two runs' own (captured on their way to the
// page), at the default corpus and at 250 chunks, with a failing chunk, and stopped.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { capturingRuns, fillForm, openDemo } from "./demo.mjs";

let demo, page, problems;

before(async () => {
  demo = await openDemo({ viewport: { width: 1280, height: 900 } }, { beforeLoad: capturingRuns });
  ({ page, problems } = demo);
});

after(() => demo?.close());

const integer = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });
/** A makespan as the verdict writes it. */
const ms = (t) => `${integer.format(t)} ms`;

/** Fills the form (real time, no fault unless given), runs it, and resolves to the runs it made and the verdict. */
async function compareWith(fields, { stopAfterMs } = {}) {
  const all = { chunks: "", seed: "", faultChunk: "", timeScale: "1", onChunkError: "fail-fast", storeMs: "",
    compare: "gather", ...fields };
  await fillForm(page, all);
  const first = await page.evaluate(() => window.capturedRuns.length);
  await page.click("#run");
  if (stopAfterMs !== undefined) {
    await page.waitForTimeout(stopAfterMs);
    await page.click("#stop");
  }
  await page.waitForFunction(() => document.querySelector("#stop").disabled &&
    !document.querySelector("#compare .compare-verdict .muted"), null, { timeout: 90_000 });
  return page.evaluate((first) => ({
    runs: window.capturedRuns.slice(first),
    verdict: document.querySelector("#compare .compare-verdict").textContent,
    hidden: document.querySelector("#compare").hidden,
    joins: [...document.querySelectorAll("#compare .releases li")].map((item) => item.textContent),
    q5: document.querySelector("#questions .compare-verdict")?.textContent ?? "",
  }), first);
}

const types = (run, type) => run.events.filter((event) => event.type === type);

for (const [chunks, storeMs] of [["", "20"], ["250", "10"]]) {
  test(`${chunks || 46} chunks, a ${storeMs} ms store: two makespans, identical scores, the runs' own numbers`, async () => {
    const { runs, verdict, hidden, joins, q5 } = await compareWith({ chunks, storeMs, seed: "3" });
    assert.equal(hidden, false);
    assert.equal(runs.length, 2, "the barrier run and the gathers");
    const [barrier, gathered] = runs;
    assert.equal(barrier.options.approach, undefined);
    assert.equal(gathered.options.approach, "gather");
    assert.equal(gathered.options.seed, barrier.result.seed, "the gathers get the barrier run's seed");
    assert.equal(gathered.options.storeMs, Number(storeMs));
    // Same ranking, bit for bit, and the same answer.
    assert.deepEqual(gathered.result.top.map(({ chunk, score }) => [chunk, score]),
      barrier.result.top.map(({ chunk, score }) => [chunk, score]));
    assert.equal(gathered.result.answer, barrier.result.answer);
    // What each did: the barrier's releases, the gathers' joins and no barrier at all.
    assert.equal(types(barrier, "barrier-release").length, 2);
    assert.equal(types(gathered, "barrier-arrive").length, 0);
    assert.deepEqual(types(gathered, "gather-end").map((event) => event.phase), ["embed", "store", "score"]);
    assert.equal(gathered.result.tasks, 3 * barrier.result.tasks);
    // The verdict's numbers are the runs' own.
    const [ta, tb] = [barrier.result.makespanMs, gathered.result.makespanMs];
    assert.ok(verdict.includes(`The barrier answered in ${ms(ta)}, two gathers in ${ms(tb)}`), verdict);
    assert.ok(verdict.includes("Both ranked the same top 3 with identical scores"), verdict);
    assert.ok(verdict.includes(barrier.result.top.map((entry) => `${entry.id} ${entry.score.toFixed(3)}`).join(", ")));
    assert.ok(verdict.includes(`${integer.format(barrier.events.length)} events`), verdict);
    assert.ok(verdict.includes(`${integer.format(gathered.events.length)} events`), verdict);
    assert.ok(verdict.includes(`ran ${integer.format(gathered.result.tasks)} tasks`), verdict);
    if (tb > ta * 1.02 + 5) assert.match(verdict, /× as long\): with the barrier each chunk wrote its vector/);
    // The gathers' lanes say when each join came.
    const join = types(gathered, "gather-end")[0];
    assert.equal(joins.length, 3);
    assert.ok(joins[0].startsWith(`Embeddings gathered at ${ms(join.t).replace(" ms", "")}`) ||
      joins[0].startsWith("Embeddings gathered at"), joins[0]);
    assert.match(joins[2], /^Scores gathered at .*: [\d,]+ tasks joined, 0 failed/);
    // Question 5 answers from the comparison.
    assert.ok(q5.includes(`two gathers in ${ms(tb)}`), q5);
    assert.deepEqual(problems, []);
  });
}

test("250 chunks, chunk-120 raising in Phase 1: the group gives no answer, return_exceptions=True answers", async () => {
  const { runs, verdict } = await compareWith({ chunks: "250", seed: "8", compare: "gather-collect", faultChunk: "120" });
  const [barrier, gathered] = runs;
  assert.equal(barrier.result, null);
  assert.match(barrier.error.message, /chunk-120 failed in Phase 1/);
  assert.equal(gathered.options.approach, "gather-collect");
  assert.deepEqual(gathered.result.collected.map((entry) => entry.chunk), [120]);
  assert.equal(types(gathered, "chunk-cancelled").length, 0, "return_exceptions=True cancels nobody");
  assert.equal(types(gathered, "phase-complete").filter((event) => event.phase === "score").length, 249);
  assert.ok(verdict.startsWith(`The barrier gave no answer (${barrier.error.message}); two gathers with return_exceptions=True answered in ` +
    `${ms(gathered.result.makespanMs)}.`), verdict);
  const cancelled = types(barrier, "chunk-cancelled").length;
  assert.ok(cancelled > 0);
  assert.ok(verdict.includes(`${integer.format(cancelled)} siblings were cancelled`), verdict);
  assert.ok(verdict.includes("return_exceptions=True kept 1 failure as a value in the list"), verdict);
  assert.deepEqual(problems, []);
});

test("the gathers run after the barrier run, on their own event loop turns; Stop during either ends both", async () => {
  // Stopped during the barrier run: the gathers never start.
  let { runs, verdict } = await compareWith({ seed: "5", timeScale: "3", storeMs: "20" }, { stopAfterMs: 300 });
  assert.equal(runs.length, 1);
  assert.equal(runs[0].error?.name, "AbortError");
  assert.equal(verdict, "Stopped before the same seed ran as two gathers.");
  // Stopped during the gathers: the barrier run answered first, the gathers report their cancellation.
  await fillForm(page, { seed: "6" });
  await page.click("#run");
  await page.waitForFunction(() => window.capturedRuns.at(-1).options.approach === "gather" &&
    window.capturedRuns.at(-1).events.length > 0, null, { timeout: 30_000 });
  const [barrier] = await page.evaluate(() => window.capturedRuns.slice(-2));
  assert.ok(barrier.result, "the barrier run had ended with an answer before the gathers began");
  await page.click("#stop");
  await page.waitForFunction(() => document.querySelector("#stop").disabled);
  ({ verdict } = await page.evaluate(() => ({ verdict: document.querySelector("#compare .compare-verdict").textContent })));
  const gathered = await page.evaluate(() => window.capturedRuns.at(-1));
  assert.equal(gathered.error?.name, "AbortError");
  assert.equal(gathered.events.at(-1).aborted, true);
  assert.ok(verdict.startsWith(`The barrier answered in ${ms(barrier.result.makespanMs)}; two gathers were ` +
    "stopped."), verdict);
  const next = await compareWith({ seed: "5", compare: "" });
  assert.equal(next.hidden, true);
  assert.equal(next.runs.length, 1);
  assert.ok(next.runs[0].result, "the page still runs");
  assert.deepEqual(problems, []);
});

test("Q5's offer reruns the same seed in compare mode with a 20 ms store write, and Q5 then cites the verdict", async () => {
  const { runs } = await compareWith({ seed: "9", compare: "" });
  const seed = runs[0].result.seed;
  const first = await page.evaluate(() => window.capturedRuns.length);
  await page.click("#questions .compare-offer button");
  await page.waitForFunction(() => document.querySelector("#stop").disabled &&
    document.querySelector("#compare .compare-verdict .facts"), null, { timeout: 60_000 });
  const [barrier, gathered] = await page.evaluate((first) => window.capturedRuns.slice(first), first);
  assert.equal(barrier.options.seed, seed);
  assert.equal(barrier.options.storeMs, 20);
  assert.equal(gathered.options.approach, "gather");
  const q5 = await page.textContent("#questions .compare-verdict");
  assert.ok(q5.includes(`The barrier answered in ${ms(barrier.result.makespanMs)}, two gathers in ` +
    `${ms(gathered.result.makespanMs)}`), q5);
  assert.deepEqual(problems, []);
});
