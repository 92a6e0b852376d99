// The questions panel and the invariant verdict on the real page: every answer carries the numbers of the run
// just made (checked against that run's own events, captured on their way to the page) and changes with the
// seed; the verdict matches a brute-force check of the event log at 46 and 250 chunks; the fault button answers
// Q4 from a run of its own without touching the lanes or the log; moments move focus to their lanes.
//
// The events are captured on their way to the page (demo.mjs's capturingRuns): every call the page makes (its
// runs and the fault run) records its options and events in window.capturedRuns.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { capturingRuns, fillForm, openDemo } from "./demo.mjs";


let demo, page, problems;

before(async () => {
  demo = await openDemo({ viewport: { width: 1280, height: 900 } }, { beforeLoad: capturingRuns });
  ({ page, problems } = demo);
});

after(() => demo?.close());

/** "288.2 ms", as the page writes a moment (one decimal, thousands separated). */
const tenths = new Intl.NumberFormat("en", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const ms = (t) => `${tenths.format(t)} ms`;

/** Runs the form with `fields` (real time unless given) and resolves to the page's answers and the run's events. */
async function runWith(fields) {
  const all = { chunks: "", seed: "", faultChunk: "", timeScale: "1", onChunkError: "fail-fast", ...fields };
  await fillForm(page, all);
  const before = await page.evaluate(() => window.capturedRuns.length);
  await page.click("#run");
  await page.waitForFunction(() => !/^(Answers appear|Working)/.test(document.querySelector(".questions-status")
    .textContent) && document.querySelector("#stop").disabled, null, { timeout: 60_000 });
  return page.evaluate((before) => ({
    events: window.capturedRuns[before].events,
    answers: [...document.querySelectorAll("#questions .question-answer")].map((answer) => answer.textContent),
    status: document.querySelector(".questions-status").textContent,
    invariant: document.querySelector("#invariant").hidden ? null : document.querySelector("#invariant").textContent,
  }), before);
}

/** What the log of events says, by plain filters: the numbers every answer must carry. */
function fromEvents(events) {
  const of = (type, test = () => true) => events.filter((event) => event.type === type && test(event));
  const releases = of("barrier-release");
  const arrivals = (generation) => of("barrier-arrive", (event) => event.generation === generation);
  const embedEnds = of("phase-complete", (event) => event.phase === "embed");
  const scoreStarts = of("phase-start", (event) => event.phase === "score");
  return { of, releases, arrivals, embedEnds, scoreStarts };
}

test("before any run, the panel lists the five questions and says what will appear", async () => {
  const intro = await page.textContent("#questions .questions-intro");
  assert.match(intro, /^Press Run: when the run ends, each question gets its answer from that run's events/);
  assert.equal(await page.$$eval("#questions h3", (items) => items.length), 5);
  assert.match(await page.textContent("#questions h3 >> nth=1"), /^Is it possible for chunk-0 to start Phase 2/);
  assert.equal(await page.isHidden("#invariant"), true);
});

test("every answer carries this run's numbers, and they change with the seed", async () => {
  const seen = [];
  for (const seed of ["11", "12"]) {
    const { events, answers, status, invariant } = await runWith({ seed });
    const { of, releases, arrivals, embedEnds, scoreStarts } = fromEvents(events);
    const [q1, q2, q3, q4, q5] = answers;
    assert.equal(status, `Answered from run ${events[0].run} (46 chunks, seed ${seed}).`);
    for (const generation of [0, 1]) {
      const release = releases[generation];
      const last = arrivals(generation).at(-1);
      assert.equal(last.chunk, release.leader);
      assert.ok(q1.includes(`Generation ${generation}: chunk-${release.leader} arrived last, at ${ms(last.t)}, as 46 of 46`), q1);
      const first = arrivals(generation)[0];
      assert.ok(q1.includes(`parked for up to ${ms(release.t - first.t)} (the first, chunk-${first.chunk}, since ${ms(first.t)})`), q1);
    }
    assert.ok(q1.includes(`began Phase 2 within ${ms(scoreStarts.at(-1).t - releases[0].t)}`), q1);
    const start0 = scoreStarts.find((event) => event.chunk === 0);
    const end5 = embedEnds.find((event) => event.chunk === 5);
    assert.ok(q2.startsWith(`No: chunk-0 started Phase 2 at ${ms(start0.t)}, after chunk-5 finished Phase 1 at ${ms(end5.t)}`), q2);
    assert.ok(q2.includes(`the last, chunk-${embedEnds.at(-1).chunk}'s, at ${ms(embedEnds.at(-1).t)}`), q2);
    const firstOf1 = arrivals(1)[0];
    assert.equal(firstOf1.arrived, 1);
    assert.ok(q3.includes(`generation 0 released at ${ms(releases[0].t)} on arrival 46 of 46`), q3);
    assert.ok(q3.includes(`chunk-${firstOf1.chunk} at ${ms(firstOf1.t)}, was 1 of 46`), q3);
    assert.ok(q3.includes(`released generation 1 at ${ms(releases[1].t)}`), q3);
    assert.match(q4, new RegExp(`^No chunk raised in this run\\. The button runs seed ${seed} again`));
    assert.ok(q5.includes(`46 futures, one PhaseBarrier, released twice (generation 0 at ${ms(releases[0].t)}, ` +
      `generation 1 at ${ms(releases[1].t)})`), q5);
    // The critical path: the two leaders' bars and Phase 3 (generation 1's release to run-end), from their events.
    const bar = (chunk, phase) => of("phase-complete", (e) => e.chunk === chunk && e.phase === phase)[0].t -
      of("phase-start", (e) => e.chunk === chunk && e.phase === phase)[0].t;
    const length = bar(releases[0].leader, "embed") + bar(releases[1].leader, "score") +
      (of("run-end")[0].t - releases[1].t);
    const makespan = of("run-end")[0].makespanMs;
    assert.ok(invariant.includes(`Makespan ${ms(makespan)} vs critical path ${ms(length)} ` +
      `(${(makespan / length).toFixed(2)}×)`), invariant);
    seen.push({ answers, invariant });
  }
  for (let i = 0; i < 5; i++) assert.notEqual(seen[0].answers[i], seen[1].answers[i], `answer ${i + 1} changed with the seed`);
  assert.notEqual(seen[0].invariant, seen[1].invariant);
});

test("the invariant verdict agrees with the event log, at 46 and 250 chunks, for several seeds", async () => {
  for (const chunks of ["", "250"]) {
    for (const seed of ["1", "2", "3"]) {
      const { events, invariant } = await runWith({ chunks, seed });
      const { embedEnds, scoreStarts } = fromEvents(events);
      // Brute force: the log position of every Phase 2 start against the last Phase 1 end.
      const lastEnd = events.lastIndexOf(embedEnds.at(-1));
      const early = scoreStarts.filter((event) => events.indexOf(event) < lastEnd);
      const firstStart = scoreStarts[0];
      if (early.length === 0) {
        assert.ok(invariant.startsWith("✓ Invariant held: no chunk began Phase 2 before the last Phase 1 ended " +
          `(last Phase 1 end ${ms(embedEnds.at(-1).t)}, chunk-${embedEnds.at(-1).chunk}; first Phase 2 start ` +
          `${ms(firstStart.t)}, chunk-${firstStart.chunk})`), `${chunks || 46}/${seed}: ${invariant}`);
      } else {
        assert.ok(invariant.startsWith(`✗ Invariant BROKEN: chunk-${early[0].chunk}`), invariant);
      }
    }
  }
});

test("Run this seed with a fault: Q4 from a failed chunk and its cancelled siblings, the page's run untouched",
  async () => {
    await runWith({ seed: "21" });
    const untouched = () => page.evaluate(() => ({
      lanes: document.querySelector("#timeline .lanes-canvas").getAttribute("aria-label"),
      log: document.querySelector("#log").getAttribute("aria-label"),
      answer: document.querySelector("#answer").textContent,
      invariant: document.querySelector("#invariant").textContent,
    }));
    const before = await untouched();
    const runs = await page.evaluate(() => window.capturedRuns.length);
    await page.click("#questions .fault-offer button");
    await page.waitForSelector("#questions .fault-answer strong", { timeout: 60_000 });
    const { options, events } = await page.evaluate((runs) => window.capturedRuns[runs], runs);
    assert.equal(options.seed, 21);
    assert.deepEqual(options.faults, [{ chunk: 22, phase: "score", kind: "error" }]);
    assert.equal(options.onChunkError, "fail-fast");
    const failed = events.find((event) => event.type === "chunk-failed");
    const cancelled = events.filter((event) => event.type === "chunk-cancelled");
    assert.equal(failed.chunk, 22);
    assert.ok(cancelled.length > 0);
    const text = await page.textContent("#questions .fault-answer");
    assert.ok(text.startsWith(`Seed 21, chunk-22 raising: chunk-22 raised (injected fault) in Phase 2 at ${ms(failed.t)}.`), text);
    assert.ok(text.includes(`cancelled ${cancelled.length} siblings within ${ms(cancelled.at(-1).t - failed.t)}: ` +
      `${cancelled.filter((e) => e.waiting).length} parked at the barrier, ` +
      `${cancelled.filter((e) => e.started && !e.waiting).length} mid-phase, ` +
      `${cancelled.filter((e) => !e.started).length} before they started`), text);
    assert.match(text, /there is no answer\.$/);
    assert.deepEqual(await untouched(), before, "the lanes, the log, the answer and the verdict kept the page's run");
  });

test("a run that fails, drops out or is stopped answers Q4 from its own events", async () => {
  const failed = await runWith({ seed: "5", faultChunk: "7", faultPhase: "embed", onChunkError: "fail-fast" });
  const failure = failed.events.find((event) => event.type === "chunk-failed");
  assert.ok(failed.answers[3].startsWith(`chunk-7 raised (injected fault) in Phase 1 at ${ms(failure.t)}.`));
  assert.match(failed.status, /which failed: what it never reached stays unanswered\.$/);
  assert.match(failed.invariant, /^○ Invariant not tested: no chunk began Phase 2 \(chunk-7 failed in Phase 1 at/);
  assert.deepEqual(await page.$eval("#invariant", (node) => [...node.classList]), ["untested"], "neither held nor broken");
  assert.match(failed.answers[0], /^Generation 0 never completed: \d+ of 46 had arrived/);

  const dropped = await runWith({ seed: "5", faultChunk: "7", faultPhase: "score", onChunkError: "drop-out" });
  assert.match(dropped.answers[3], /^chunk-7 raised \(injected fault\) in Phase 2 at .*Under drop-out it left the barrier, which lowered its parties to 45, and the other 45 finished/);
  await page.fill("[name=faultChunk]", "");
  await page.selectOption("[name=onChunkError]", "fail-fast");

  // Stopped mid-run: 10× slower, Stop once a chunk has finished Phase 1.
  await page.fill("[name=seed]", "5");
  await page.selectOption("[name=timeScale]", "10");
  await page.click("#run");
  await page.waitForSelector("#log .log-row", { timeout: 30_000 });
  await page.click("#stop");
  await page.waitForSelector("#stop:disabled");
  await page.waitForFunction(() => /^From run \d+ .*, stopped at/.test(document.querySelector(".questions-status").textContent));
  const q4 = await page.textContent("#questions .question-answer >> nth=3");
  assert.match(q4, /^No chunk raised: this run was stopped at [\d,.]+ ms, and Stop cancels the group as a failure does: 46 chunks cancelled/);
  assert.equal(q4.split("No chunk raised").length, 2, `said once: ${q4}`);
  assert.match(q4, /\.The button runs seed 5 again with the same options and one fault: chunk-22 raises/);
  assert.match(q4, /Run this seed with a fault/);
  assert.match(await page.textContent(".questions-status"),
    /stays unanswered\. Times are at 10× slower: every latency is stretched 10×\.$/);
  assert.match(await page.textContent("#invariant"), /^○ Invariant not tested/);
  await page.selectOption("[name=timeScale]", "1");
});

test("a drop-out completes generation 0 (250 ms timeout, real time): Q1 and Q2 name each chunk with its moment",
  async () => {
    const { events, answers, status } = await runWith({ seed: "7", phaseTimeoutMs: "250", onChunkError: "drop-out" });
    const { releases, arrivals, of } = fromEvents(events);
    const [release] = releases;
    assert.ok(release.droppedOut !== undefined, "a drop-out completed generation 0");
    const last = arrivals(0).at(-1);
    const dropOut = of("chunk-dropped", (e) => e.chunk === release.droppedOut)[0];
    const [q1, q2] = answers;
    assert.ok(q1.startsWith(`Generation 0: chunk-${dropOut.chunk} dropped out at ${ms(dropOut.t)} and that completed ` +
      `it: chunk-${last.chunk} had arrived last, at ${ms(last.t)}, and the barrier named ` +
      (last.chunk === release.leader ? "it" : `chunk-${release.leader}, a parked waiter,`) + " its leader;"), q1);
    assert.ok(q2.includes(`The barrier held every chunk until chunk-${dropOut.chunk} dropped out, after ` +
      `chunk-${last.chunk} had arrived last, at ${ms(last.t)}.`), q2);
    assert.ok(!/\([^()]*\(/.test(answers.join(" ")), "no brackets in brackets");
    assert.match(status, /^Answered from run \d+ \(46 chunks, seed 7\)\.$/, "real time: nothing stretched");
    await page.selectOption("[name=phaseTimeoutMs]", "");
  });

test("a hang, then Stop: Q4 names the chunk that hung, and says once that no chunk raised", async () => {
  await fillForm(page, { seed: "7", timeScale: "1", faultChunk: "12", faultPhase: "embed", faultKind: "hang",
    onChunkError: "fail-fast" });
  const before = await page.evaluate(() => window.capturedRuns.length);
  await page.click("#run");
  // Every other chunk parks at the barrier; then only Stop ends the run.
  await page.waitForFunction((before) => window.capturedRuns[before]?.events
    .filter((e) => e.type === "barrier-arrive").length === 45, before, { timeout: 30_000 });
  await page.click("#stop");
  await page.waitForFunction(() => /^From run \d+ .*, stopped at/.test(document.querySelector(".questions-status").textContent));
  const events = await page.evaluate((before) => window.capturedRuns[before].events, before);
  const start = events.find((e) => e.type === "phase-start" && e.chunk === 12);
  const end = events.find((e) => e.type === "run-end");
  const q4 = await page.textContent("#questions .question-answer >> nth=3");
  assert.ok(q4.startsWith(`No chunk raised: chunk-12 hung in Phase 1, as its hang fault makes it: it began the ` +
    `phase at ${ms(start.t)} and never finished, so generation 0 waited for it with 45 of 46 arrived. Nothing but ` +
    `Stop or a phase timeout ends a hang: it raises nothing, so the group has no failure to act on. This run was ` +
    `stopped at ${ms(end.t)}, and Stop cancels the group as a failure does: 46 chunks cancelled, 45 parked at the ` +
    "barrier, 1 mid-phase (chunk-12), 0 before they started."), q4);
  assert.equal(q4.split("No chunk raised").length, 2, `said once: ${q4}`);
  assert.match(q4, /The button runs seed 7 again with the same options but, instead of this run's fault, one fault:/);
  assert.match(await page.textContent("#invariant"), /^○ Invariant not tested/);
  await fillForm(page, { faultChunk: "", faultKind: "error" });
});

test("Speed 3× slower: the status says every time is stretched 3×", async () => {
  const { status } = await runWith({ seed: "7", timeScale: "3" });
  assert.match(status, /^Answered from run \d+ \(46 chunks, seed 7\)\. Times are at 3× slower: every latency is stretched 3×\.$/);
});

test("Q5's compare offer calls compare({ seed, approach, storeMs }) once; a verdict replaces it", async () => {
  // The panel's own class on this page, beside the page's, with a compare hook that records its calls.
  await runWith({ seed: "13" });
  const seen = await page.evaluate(async () => {
    const { Questions } = await import("/www/questions.js");
    const root = document.createElement("section");
    const invariant = document.createElement("p");
    document.body.append(root, invariant);
    const timeline = { markTime() {}, highlight() {} };
    const calls = [];
    const questions = new Questions(root, { invariant, timeline, run: () => Promise.reject(new Error("unused")),
      compare: (request) => calls.push(request) });
    const { events, options } = window.capturedRuns.at(-1);
    const q5 = () => root.querySelectorAll(".question-answer")[4];
    const offer = () => q5().querySelector(".compare-offer");
    const seen = {};
    await questions.update(events, null, options);
    seen.note = offer()?.querySelector("p").textContent;
    seen.button = offer()?.querySelector("button").textContent;
    offer().querySelector("button").click();
    offer().querySelector("button").click(); // disabled after the first: one click, one run
    seen.calls = calls;
    questions.setCompareVerdict("the verdict");
    seen.replaced = [q5().querySelector(".compare-verdict").textContent, offer() === null];
    // A verdict set before the answers (as the page does): no offer then either.
    questions.clear();
    questions.setCompareVerdict("the verdict again");
    await questions.update(events, null, options);
    seen.keptVerdict = [q5().querySelector(".compare-verdict").textContent, offer() === null];
    // A run that did not answer (stopped): no offer, since its options would not answer beside gathers either.
    const stopped = window.capturedRuns.findLast((run) => run.events.at(-1)?.aborted === true);
    questions.clear();
    await questions.update(stopped.events, null, stopped.options);
    seen.afterStop = offer() === null;
    // No hook: no offer.
    const bare = new Questions(document.createElement("section"), { invariant: document.createElement("p"), timeline });
    await bare.update(events, null, options);
    seen.bare = bare.root.querySelector(".compare-offer") === null;
    root.remove();
    invariant.remove();
    return seen;
  });
  assert.equal(seen.button, "Compare with two gathers and a 20 ms vector-store write");
  assert.match(seen.note, /^This run alone cannot show what two gathers would do\. The button runs seed 13 again /);
  assert.match(seen.note, /per-chunk work after Phase 1 is what a barrier can overlap with the slower chunks' embeddings, and two gathers cannot/);
  assert.deepEqual(seen.calls, [{ seed: 13, approach: "gather", storeMs: 20 }]);
  assert.deepEqual(seen.replaced, ["the verdict", true]);
  assert.deepEqual(seen.keptVerdict, ["the verdict again", true]);
  assert.equal(seen.afterStop, true);
  assert.equal(seen.bare, true);
});

test("a moment moves focus to its chunk's lane; a moment of no chunk, to the lanes", async () => {
  const { events } = await runWith({ seed: "11" });
  const leader = events.find((event) => event.type === "barrier-release").leader;
  const button = page.locator("#questions .question-answer >> nth=0").locator("button.moment").first();
  assert.equal(await button.getAttribute("aria-label"), `${await button.textContent()}, chunk-${leader}'s lane`);
  await button.click();
  const focused = await page.evaluate(() => ({
    name: document.activeElement.querySelector(".name")?.firstChild?.textContent,
    highlighted: document.activeElement.classList.contains("highlighted"),
  }));
  assert.deepEqual(focused, { name: `chunk-${leader}`, highlighted: true });
  // Keyboard: the Phase 3 moment (no chunk) by Enter.
  const phase3 = page.locator("#invariant button.moment", { hasText: ms(events.find((e) => e.type === "top").t) }).first();
  await phase3.focus();
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement.classList.contains("lanes-scroll")), true);
});

test("a run that never started says so; 10,000 chunks take the panel well under 50 ms", async () => {
  await page.fill("[name=chunks]", "lots");
  await page.click("#run");
  await page.waitForFunction(() => document.querySelector(".questions-status").textContent ===
    "Nothing ran, so there is nothing to answer from.");
  assert.equal(await page.isHidden("#invariant"), true);

  const { status } = await runWith({ chunks: "10000", seed: "4" });
  assert.match(status, /^Answered from run \d+ \(10,000 chunks, seed 4\)\.$/);
  const cost = await page.evaluate(() => performance.getEntriesByName("questions-facts").at(-1).detail);
  assert.equal(cost.events, 60_008);
  assert.ok(cost.ms < 50, `the facts took ${cost.ms} ms`);
  assert.ok(cost.longestMs < 50, `the longest slice took ${cost.longestMs} ms`);
  assert.deepEqual(problems, []);
});
