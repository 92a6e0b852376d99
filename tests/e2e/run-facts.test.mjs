// www/run-facts.js and www/question-answers.js in node, without a browser: event lists built by hand (whose
// every number the test knows), real runs recorded from the page (fixtures/, made by fixtures/record-runs.mjs,
// checked against facts recounted here straight from their events), and hostile or degenerate lists.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { LaneHistory } from "../../www/lane-history.js";
import { RunScan, runFacts } from "../../www/run-facts.js";
import { answerAll, answerFailure, answerStatus, plainText, QUESTIONS, verdictMark } from "../../www/question-answers.js";

const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url)));

/** Rounds to the 0.1 ms the events carry, as Rust does (to µs, here to tenths: the builder's times are tenths). */
const r = (t) => Math.round(t * 10) / 10;

/** "288.2 ms", as an answer writes a moment (one decimal, thousands separated). */
const tenths = new Intl.NumberFormat("en", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const ms = (t) => `${tenths.format(t)} ms`;

/**
 * A run's events in log order, shaped as src/json.rs writes them: every chunk starts embedding at 0.1 ms and
 * ends at `embedEnd[c]`; the barrier releases on the last arrival; each chunk's score starts 0.1 ms after the
 * release (in release order: leader first, then by chunk) and takes `scoreMs(c)`; Phase 3 follows 0.2 ms after
 * the second release. `fail: { chunk, phase, t }` cuts the run at `t` the way fail-fast does.
 */
function buildRun({ embedEnd, scoreMs = () => 50, fail = null, run = 1, seed = 42 }) {
  const chunks = embedEnd.length;
  const events = [{ type: "run-start", run, t: 0, chunks, seed, query: "q", barrier: "phase", policy: "fail-fast" }];
  const push = (event) => events.push({ run, ...event, ...(event.chunk !== undefined ? { id: `chunk-${event.chunk}` } : {}) });
  for (let c = 0; c < chunks; c++) push({ type: "phase-start", t: 0.1, chunk: c, phase: "embed", plannedMs: embedEnd[c] });
  const generation = (ends, phase, gen) => {
    const order = [...ends.keys()].sort((a, b) => ends[a] - ends[b] || a - b);
    order.forEach((c, k) => {
      push({ type: "phase-complete", t: ends[c], chunk: c, phase, ...(phase === "score" ? { score: c / 1000 } : {}) });
      push({ type: "barrier-arrive", t: ends[c], chunk: c, arrived: k + 1, parties: chunks, generation: gen });
    });
    const leader = order.at(-1);
    push({ type: "barrier-release", t: ends[leader], leader, leaderId: `chunk-${leader}`, parties: chunks, generation: gen });
    return { leader, t: ends[leader], order };
  };
  const gen0 = generation(embedEnd, "embed", 0);
  const scoreAt = r(gen0.t + 0.1);
  const starts = [gen0.leader, ...[...Array(chunks).keys()].filter((c) => c !== gen0.leader)];
  for (const c of starts) push({ type: "phase-start", t: scoreAt, chunk: c, phase: "score", plannedMs: 50 });
  const scoreEnd = [...Array(chunks).keys()].map((c) => r(scoreAt + scoreMs(c)));
  const gen1 = generation(scoreEnd, "score", 1);
  const p3 = r(gen1.t + 0.2);
  push({ type: "top", t: p3, top: [{ chunk: 0, id: "chunk-0", score: 0 }], duplicates: 0 });
  push({ type: "without-barrier", t: p3, top: [], changed: 0, wrong: 0 });
  push({ type: "answer-start", t: p3, from: 1 });
  push({ type: "answer", t: r(p3 + 0.3), text: "an answer" });
  push({ type: "run-end", t: r(p3 + 0.4), makespanMs: r(p3 + 0.4), workingMs: 1, waitingMs: 1, aborted: false });
  if (!fail) return { events, gen0, gen1, scoreAt, p3 };
  // Fail-fast at fail.t: everything before it stands; then the failure, the broken barrier, the cancellations.
  const kept = events.filter((event) => event.type === "run-start" || (event.t < fail.t && !["top", "without-barrier",
    "answer-start", "answer", "run-end"].includes(event.type)));
  const cut = [...kept];
  const last = new Map(); // chunk -> its last event before the failure
  for (const event of kept) if (event.chunk !== undefined) last.set(event.chunk, event);
  const message = "injected fault";
  cut.push({ run, type: "chunk-failed", t: fail.t, chunk: fail.chunk, id: `chunk-${fail.chunk}`, phase: fail.phase,
    message, timedOut: false });
  const gen = fail.phase === "score" ? 1 : 0;
  cut.push({ run, type: "barrier-broken", t: fail.t, reason: `chunk-${fail.chunk} failed`, generation: gen });
  const counts = { waiting: 0, midPhase: 0 };
  for (let c = 0; c < chunks; c++) {
    if (c === fail.chunk) continue;
    const waiting = last.get(c)?.type === "barrier-arrive" && last.get(c).generation === gen;
    counts[waiting ? "waiting" : "midPhase"]++;
    cut.push({ run, type: "chunk-cancelled", t: fail.t, chunk: c, id: `chunk-${c}`, phase: fail.phase, waiting, started: true });
  }
  cut.push({ run, type: "run-end", t: r(fail.t + 0.2), makespanMs: r(fail.t + 0.2), workingMs: 1, waitingMs: 1,
    aborted: false, error: `chunk-${fail.chunk} failed in Phase 2 (score): ${message}` });
  return { events: cut, counts };
}

test("a hand-built run of 3 chunks: every answer's numbers", () => {
  // chunk-2 embeds first (120.0), chunk-0 next (180.0), chunk-1 last (195.3): the leader of generation 0.
  const { events } = buildRun({ embedEnd: [180, 195.3, 120], scoreMs: (c) => [51, 50, 50.5][c] });
  const facts = runFacts(events, null);
  assert.equal(facts.outcome, "done");
  assert.equal(facts.run.chunks, 3);
  const [gen0, gen1] = facts.generations;
  assert.equal(gen0.leader, 1);
  assert.equal(gen0.lastArrival.t, 195.3);
  assert.equal(gen0.parked, 2);
  assert.equal(gen0.first.chunk, 2);
  assert.ok(Math.abs(gen0.parkedMaxMs - 75.3) < 1e-9);
  assert.equal(gen0.resumed, 3);
  assert.ok(Math.abs(gen0.resumedWithinMs - 0.1) < 1e-9);
  // Scores start at 195.4: chunk-0 ends last at 246.4 (51 ms), the leader of generation 1.
  assert.equal(gen1.leader, 0);
  assert.equal(gen1.release.t, 246.4);
  assert.equal(gen1.firstArrived, 1, "generation 1 counts from 1 again");
  assert.equal(gen1.first.chunk, 1); // 195.4 + 50 = 245.4, the first to finish scoring
  assert.equal(facts.phase3.start.t, 246.6);

  // Q2: no chunk-5 in a 3-chunk run: the last chunk, chunk-2, stands in.
  assert.equal(facts.q2.late.chunk, 2);
  assert.equal(facts.q2.late.reason, "fewer-chunks");
  assert.equal(facts.q2.early.chunk, 0);
  assert.equal(facts.q2.early.at.t, 195.4);
  assert.equal(facts.q2.after, true);
  assert.equal(facts.q2.lastPhase1End.t, 195.3);

  assert.equal(facts.invariant.held, true);
  assert.equal(facts.invariant.phases12.lastEnd.t, 195.3);
  assert.equal(facts.invariant.phases12.firstStart.t, 195.4);

  // Critical path: chunk-1's embed (0.1 → 195.3) + chunk-0's score (195.4 → 246.4) + Phase 3, from generation 1's
  // release to run-end (246.4 → 247.0); the rest, 0.2 ms, is starting (0 → 0.1) and waking (195.3 → 195.4).
  const critical = facts.critical;
  assert.deepEqual(critical.segments.map((s) => [s.kind, s.chunk]), [["embed", 1], ["score", 0], ["answer", null]]);
  assert.ok(Math.abs(critical.lengthMs - (195.2 + 51 + 0.6)) < 1e-9, String(critical.lengthMs));
  assert.equal(critical.makespanMs, 247);
  assert.ok(Math.abs(critical.ratio - 247 / 246.8) < 1e-9);

  const answers = answerAll(facts);
  const text = Object.fromEntries(Object.entries(answers).map(([key, parts]) => [key, parts && plainText(parts)]));
  assert.match(text.lastArrival, /Generation 0: chunk-1 arrived last, at 195\.3 ms, as 3 of 3/);
  assert.match(text.lastArrival, /the other 2 had been parked for up to 75\.3 ms/);
  assert.match(text.lastArrival, /all 3 began Phase 2 within 0\.1 ms/);
  assert.match(text.chunkOrder, /no chunk-5, so chunk-2, its last chunk, stands in/);
  assert.match(text.chunkOrder, /^.*No: chunk-0 started Phase 2 at 195\.4 ms, after chunk-2 finished Phase 1 at 120\.0 ms/);
  assert.match(text.reset, /generation 0 released at 195\.3 ms on arrival 3 of 3.*chunk-1 at 245\.4 ms, was 1 of 3/);
  assert.equal(answers.failure, null, "no chunk raised: the panel offers the fault run");
  assert.match(text.invariant, /^Invariant held: .*last Phase 1 end 195\.3 ms, chunk-1; first Phase 2 start 195\.4 ms/);
  assert.match(text.critical, /chunk-1's embedding \(195\.2 ms\).*chunk-0's scoring \(51\.0 ms\).*Phase 3 \(0\.6 ms: .*\) → the answer \(run-end\) 247\.0 ms = 246\.8 ms/);
  assert.match(text.critical, /Makespan 247\.0 ms vs critical path 246\.8 ms \(1\.00×\): the other 0\.2 ms went to starting and waking chunks between the bars\./);
  assert.match(text.lastArrival, /Generation 1: .*; its release let every chunk's future return and Phase 3 begin: it ranked the top 3 at 246\.6 ms \(0\.2 ms after the release\), and the run ended at 247\.0 ms\. $/);
  // Every moment is a button with its time and, where it has one, its chunk.
  const moments = answers.lastArrival.filter((part) => typeof part !== "string");
  assert.deepEqual(moments[0], { text: "195.3 ms", t: 195.3, chunk: 1 });
});

test("the questions are the seed's, verbatim", () => {
  const seed = readFileSync(new URL("../../docs/SEED.md", import.meta.url), "utf8");
  for (const question of QUESTIONS) {
    const text = question.map((part) => (typeof part === "string" ? part : `\`${part.code}\``)).join("");
    assert.ok(seed.includes(text), text);
  }
});

test("a chunk that began Phase 2 before the last Phase 1 ended is named, with by how much", () => {
  const { events } = buildRun({ embedEnd: [100, 200, 150, 300] });
  // Move chunk-2's Phase 2 start to just after its own arrival, at 150.0: before chunk-3 ended Phase 1 at 300.0.
  const index = events.findIndex((e) => e.type === "phase-start" && e.phase === "score" && e.chunk === 2);
  const [moved] = events.splice(index, 1);
  moved.t = 150;
  const arrival = events.findIndex((e) => e.type === "barrier-arrive" && e.chunk === 2);
  events.splice(arrival + 1, 0, moved);
  const facts = runFacts(events);
  assert.equal(facts.invariant.held, false);
  assert.equal(facts.invariant.phases12.violators, 1);
  assert.deepEqual(facts.invariant.phases12.worst, { chunk: 2, t: 150, byMs: 150 });
  assert.equal(facts.q2.early.chunk, 0, "chunk-0 still started after");
  assert.match(plainText(answerAll(facts).invariant),
    /^Invariant BROKEN: chunk-2 began Phase 2 at 150\.0 ms, 150\.0 ms before the last Phase 1 ended \(300\.0 ms, chunk-3\); 1 chunk in all/);

  // Phase 3 before the last Phase 2 ended: the top event moved before the last score.
  const late = buildRun({ embedEnd: [100, 200] }).events;
  const top = late.findIndex((e) => e.type === "top");
  const [topEvent] = late.splice(top, 1);
  const lastScore = late.findLastIndex((e) => e.type === "phase-complete" && e.phase === "score");
  late.splice(lastScore, 0, topEvent);
  const lateFacts = runFacts(late);
  assert.equal(lateFacts.invariant.phases12.held, true);
  assert.equal(lateFacts.invariant.phases23.held, false);
  assert.equal(lateFacts.invariant.held, false);
});

test("Q2 where chunk-0 is before chunk-5 in the log: 'Yes, in this run'", () => {
  const { events } = buildRun({ embedEnd: [100, 110, 120, 130, 140, 500] });
  // chunk-5's Phase 1 end (and its arrival and the release) moved after chunk-0's Phase 2 start: a broken barrier.
  const at = events.findIndex((e) => e.type === "phase-complete" && e.chunk === 5);
  const moved = events.splice(at, 3); // complete, arrive, release
  const start0 = events.findIndex((e) => e.type === "phase-start" && e.phase === "score" && e.chunk === 0);
  events.splice(start0 + 1, 0, ...moved);
  const facts = runFacts(events);
  assert.equal(facts.q2.after, false);
  assert.match(plainText(answerAll(facts).chunkOrder), /^Yes, in this run: chunk-0 started Phase 2 at .*, before chunk-5/);
});

test("one chunk: the only party, and its own stand-in", () => {
  const { events } = buildRun({ embedEnd: [150] });
  const facts = runFacts(events);
  assert.equal(facts.generations.length, 2);
  assert.equal(facts.generations[0].parked, 0);
  assert.equal(facts.q2.early.chunk, 0);
  assert.equal(facts.q2.late.chunk, 0);
  const answers = answerAll(facts);
  assert.match(plainText(answers.lastArrival), /chunk-0 was the only party: it arrived at 150\.0 ms/);
  assert.match(plainText(answers.reset), /was 1 of 1/);
  assert.ok(facts.critical.complete);
});

test("250 chunks: the leader is the slowest embedder, and the numbers follow", () => {
  const embedEnd = [...Array(250).keys()].map((c) => r(100 + ((c * 37) % 200) + c / 1000));
  const slowest = embedEnd.indexOf(Math.max(...embedEnd));
  const { events } = buildRun({ embedEnd, scoreMs: (c) => (c === 17 ? 55 : 50) });
  const facts = runFacts(events);
  const [gen0, gen1] = facts.generations;
  assert.equal(gen0.leader, slowest);
  assert.equal(gen0.parked, 249);
  assert.equal(gen0.resumed, 250);
  assert.equal(gen1.leader, 17);
  assert.equal(facts.q2.late.chunk, 5);
  assert.equal(facts.q2.late.at.t, embedEnd[5]);
  assert.equal(facts.invariant.held, true);
  assert.equal(facts.critical.segments[0].chunk, slowest);
  assert.equal(facts.critical.segments[1].chunk, 17);
  assert.match(plainText(answerAll(facts).lastArrival), new RegExp(`chunk-${slowest} arrived last.*as 250 of 250`));
});

test("a hand-built fail-fast run: who failed, and how the siblings were caught", () => {
  // chunk-3 embeds last (300.0); scores start at 300.1, chunk-1's ends at 320.1, before chunk-2 fails at 330.0.
  const { events, counts } = buildRun({ embedEnd: [100, 200, 150, 300], scoreMs: (c) => (c === 1 ? 20 : 50),
    fail: { chunk: 2, phase: "score", t: 330 } });
  const facts = runFacts(events);
  assert.equal(facts.outcome, "failed");
  assert.equal(facts.failure.chunk, 2);
  assert.equal(facts.failure.phase, "score");
  assert.equal(facts.failure.cancelled.total, 3);
  assert.equal(facts.failure.cancelled.waiting, counts.waiting);
  assert.equal(counts.waiting, 1, "chunk-1 was parked at generation 1");
  assert.equal(facts.failure.cancelled.midPhase, 2);
  assert.equal(facts.failure.cancelledWithinMs, 0);
  assert.equal(facts.failure.answered, false);
  assert.equal(facts.generations.length, 1);
  assert.equal(facts.pending.generation, 1);
  assert.equal(facts.pending.arrivals, 1);
  assert.equal(facts.critical.complete, false);
  assert.equal(facts.critical.ratio, null);
  const text = plainText(answerFailure(facts));
  assert.match(text, /^chunk-2 raised \(injected fault\) in Phase 2 at 330\.0 ms\. The group \(fail-fast/);
  assert.match(text, /cancelled 3 siblings within 0\.0 ms: 1 parked at the barrier, 2 mid-phase, 0 before they started/);
  assert.match(text, /there is no answer/);
  assert.match(plainText(answerAll(facts).critical), /= 299\.9 ms so far: chunk-2 failed in Phase 2 at 330\.0 ms, before generation 1 released\.$/);
});

/** Facts recounted from a recorded run's events by plain filters, to check runFacts against. */
function recount(events) {
  const of = (type, extra = () => true) => events.filter((e) => e.type === type && extra(e));
  const releases = of("barrier-release");
  const arrivals = (gen) => of("barrier-arrive", (e) => e.generation === gen);
  const embedEnds = of("phase-complete", (e) => e.phase === "embed");
  const scoreStarts = of("phase-start", (e) => e.phase === "score");
  return { releases, arrivals, embedEnds, scoreStarts, of };
}

test("a real 46-chunk run from the page: facts match its events", () => {
  const { events, result } = fixture("run-46");
  const facts = runFacts(events, result);
  const { releases, arrivals, embedEnds, scoreStarts, of } = recount(events);
  assert.equal(facts.outcome, "done");
  assert.equal(facts.run.chunks, 46);
  assert.equal(facts.run.seed, 7);
  for (const gen of [0, 1]) {
    const fact = facts.generations[gen];
    assert.equal(fact.leader, releases[gen].leader);
    assert.equal(fact.leader, arrivals(gen).at(-1).chunk, "the leader is the last arrival");
    assert.equal(fact.release.t, releases[gen].t);
    assert.equal(fact.parked, 45);
    assert.equal(fact.parkedMaxMs, releases[gen].t - arrivals(gen)[0].t);
    assert.equal(fact.firstArrived, 1);
  }
  assert.equal(facts.generations[0].resumedWithinMs, scoreStarts.at(-1).t - releases[0].t);
  assert.equal(facts.generations[1].next.t, of("top")[0].t);
  assert.equal(facts.q2.early.at.t, scoreStarts.find((e) => e.chunk === 0).t);
  assert.equal(facts.q2.late.at.t, embedEnds.find((e) => e.chunk === 5).t);
  assert.equal(facts.q2.lastPhase1End.t, embedEnds.at(-1).t);
  // The invariant by brute force: every Phase 2 start after every Phase 1 end, in the log.
  const lastEnd = events.lastIndexOf(embedEnds.at(-1));
  assert.ok(scoreStarts.every((e) => events.indexOf(e) > lastEnd));
  assert.equal(facts.invariant.held, true);
  // The critical path: the leaders' bars, from their own events.
  const bar = (chunk, phase) => [of("phase-start", (e) => e.chunk === chunk && e.phase === phase)[0].t,
    of("phase-complete", (e) => e.chunk === chunk && e.phase === phase)[0].t];
  const [e0, e1] = bar(releases[0].leader, "embed");
  const [s0, s1] = bar(releases[1].leader, "score");
  const length = (e1 - e0) + (s1 - s0) + (of("run-end")[0].t - releases[1].t);
  assert.ok(Math.abs(facts.critical.lengthMs - length) < 1e-9);
  assert.equal(facts.critical.makespanMs, result.makespanMs);
  assert.ok(facts.critical.ratio >= 1, "the makespan holds the whole chain");
  const text = plainText(answerAll(facts).lastArrival);
  assert.ok(text.includes(`chunk-${releases[0].leader} arrived last`), text);
});

test("a real fail-fast run from the page: the failure and its cancellations, recounted", () => {
  const { events, error } = fixture("failfast-46");
  assert.equal(error.name, "Error");
  const facts = runFacts(events, null);
  const { of } = recount(events);
  const failed = of("chunk-failed")[0];
  const cancelled = of("chunk-cancelled");
  assert.equal(facts.outcome, "failed");
  assert.equal(facts.failure.chunk, failed.chunk);
  assert.equal(facts.failure.t, failed.t);
  assert.equal(facts.failure.cancelled.total, cancelled.length);
  assert.equal(facts.failure.cancelled.total, 45);
  assert.equal(facts.failure.cancelled.waiting, cancelled.filter((e) => e.waiting).length);
  assert.equal(facts.failure.cancelled.midPhase, cancelled.filter((e) => !e.waiting && e.started).length);
  assert.equal(facts.failure.cancelledWithinMs, cancelled.at(-1).t - failed.t);
  assert.equal(facts.invariant.phases12.held, true);
  assert.equal(facts.invariant.phases23.tested, false);
  assert.match(plainText(answerFailure(facts)), new RegExp(`^chunk-${failed.chunk} raised .* in Phase 2`));
});

test("a real drop-out run: it left the barrier, parties fell to 45, and generation 1 counted 1 of 45", () => {
  const { events } = fixture("dropout-46");
  const facts = runFacts(events);
  assert.equal(facts.outcome, "done");
  assert.equal(facts.failure, null);
  assert.equal(facts.dropped.length, 1);
  assert.equal(facts.dropped[0].parties, 45);
  assert.equal(facts.generations[1].parties, 45);
  const answers = answerAll(facts);
  assert.match(plainText(answers.failure), /Under drop-out it left the barrier, which lowered its parties to 45, and the other 45 finished/);
  // chunk-14 arrived at generation 1 before chunk-23 dropped out: it was 1 of 46, and the release 45 of 45.
  const first = events.find((e) => e.type === "barrier-arrive" && e.generation === 1);
  assert.equal(first.parties, 46);
  assert.match(plainText(answers.reset), new RegExp(`chunk-${first.chunk} at ${first.t.toFixed(1)} ms, was 1 of 46 ` +
    "\\(then 45 parties: a chunk dropped out\\), and the same instance released generation 1 at [\\d.]+ ms on arrival 45 of 45\\."));
});

test("a real stopped run: what can be answered, and what cannot", () => {
  const { events, error } = fixture("stopped-46");
  assert.equal(error.name, "AbortError");
  const facts = runFacts(events);
  assert.equal(facts.outcome, "stopped");
  assert.equal(facts.generations.length, 0);
  assert.equal(facts.pending.arrivals, 20);
  assert.equal(facts.pending.withdrawn, 20, "the cancel-safe barrier withdrew every parked arrival");
  assert.equal(facts.stop.cancelled.total, 46);
  assert.equal(facts.invariant.phases12.tested, false);
  const answers = answerAll(facts);
  assert.match(plainText(answers.failure), /^No chunk raised: this run was stopped at/);
  assert.match(plainText(answers.invariant), /^Invariant not tested/);
  assert.match(plainText(answers.lastArrival), /Generation 0 never completed: 20 of 46 had arrived/);
  assert.match(plainText(answers.critical), /none, as no generation completed/);
});

test("stopped just after a release: only the chunks that began Phase 2 are counted, not 'all'", () => {
  const { events } = buildRun({ embedEnd: [100, 200, 150, 300] });
  const release = events.findIndex((e) => e.type === "barrier-release");
  const cut = events.slice(0, release + 3); // the release, then two of the four Phase 2 starts
  cut.push({ run: 1, type: "run-end", t: 300.5, makespanMs: 300.5, workingMs: 1, waitingMs: 1, aborted: true,
    error: "the run was stopped" });
  const facts = runFacts(cut);
  assert.equal(facts.outcome, "stopped");
  assert.equal(facts.generations[0].resumed, 2);
  assert.match(plainText(answerAll(facts).lastArrival),
    /and 2 of 4 began Phase 2 within 0\.1 ms of the release \(the last at 300\.1 ms\) before the run was stopped at 300\.5 ms\./);
});

test("a list cut short (no run-end) is 'incomplete', and answers what it holds", () => {
  const { events } = fixture("run-46");
  const release = events.findIndex((e) => e.type === "barrier-release");
  const facts = runFacts(events.slice(0, release + 5));
  assert.equal(facts.outcome, "incomplete");
  assert.equal(facts.generations.length, 1);
  assert.match(plainText(answerAll(facts).reset), /generation 1 had no arrival before the event list stops/);
});

test("hostile and degenerate lists: never a throw, never a polluted prototype", () => {
  const lists = [
    [], null, undefined, "events", 42, { length: 3 }, [null, undefined, 1, "x", [], {}],
    [{ type: "run-start" }], [{ type: "run-start", chunks: 1e12, run: 1, t: 0 }],
    [{ type: "run-start", chunks: "46", run: 1, t: 0 }, { type: "phase-start", run: 1, t: 1, chunk: 3, phase: "embed" }],
    [{ type: "phase-start", t: 1, chunk: 1e9, phase: "embed" }, { type: "phase-start", t: NaN, chunk: 0, phase: "embed" }],
    [{ type: "run-start", chunks: 2, run: 1, t: 0 },
      { type: "barrier-release", run: 1, t: 1, leader: 0, parties: 2, generation: "__proto__" },
      { type: "barrier-release", run: 1, t: 1, leader: 99, parties: 2, generation: 0 },
      { type: "barrier-release", run: 1, t: 1, leader: 0, parties: 2, generation: 0, droppedOut: -1 },
      { type: "barrier-arrive", run: 1, t: 1, chunk: 1.5, generation: 0 },
      { type: "phase-start", run: 1, t: 1, chunk: 0, phase: "constructor" },
      { type: "top", run: 1, t: 2, top: null }, { type: "chunk-cancelled", run: 1, t: 2, chunk: -1 },
      { type: "run-end", run: 1, t: Infinity }],
  ];
  for (const list of lists) {
    const facts = runFacts(list, { makespanMs: "x" });
    assert.ok(facts && typeof facts.empty === "boolean");
    if (!facts.empty) assert.doesNotThrow(() => answerAll(facts), JSON.stringify(list));
  }
  assert.equal(Object.getPrototypeOf([]), Array.prototype);
  assert.equal({}.leader, undefined);
  assert.equal(runFacts([]).empty, true);
  assert.equal(runFacts(null).outcome, "empty");
  // A run-start that claims 10^12 chunks falls back to the chunks its events name (none here).
  assert.equal(runFacts(lists[8]).empty, true);
  // A chunk count as a string is not a count: the events' largest chunk (3) says 4.
  assert.equal(runFacts(lists[9]).run.chunks, 4);
});

test("another run's events in an imported list are ignored", () => {
  const first = buildRun({ embedEnd: [100, 200], run: 1 }).events;
  const second = buildRun({ embedEnd: [300, 50], run: 2 }).events;
  const mixed = [...first.slice(0, 5), ...second, ...first.slice(5)];
  const facts = runFacts(mixed);
  assert.equal(facts.run.runId, 1);
  assert.equal(facts.generations[0].leader, 1);
  const text = (facts) => Object.values(answerAll(facts)).map((parts) => parts && plainText(parts));
  assert.deepEqual(text(facts), text(runFacts(first)));
});

test("the lanes' own history gives the same facts as one built here (and is what the page passes)", () => {
  for (const name of ["run-46", "failfast-46", "dropout-46", "stopped-46", "timeout-dropout-46", "hang-stopped-46"]) {
    const { events, result, options } = fixture(name);
    const lanes = new LaneHistory(events[0].chunks, () => {});
    for (const event of events) lanes.apply(event); // every event, as Lanes.apply does
    const text = (facts) => Object.values(answerAll(facts)).map((parts) => parts && plainText(parts));
    assert.deepEqual(text(runFacts(events, result, { history: lanes, options })), text(runFacts(events, result, { options })),
      name);
  }
  // A history of another size is not this run's: one is built instead.
  const { events } = fixture("run-46");
  const facts = runFacts(events, null, { history: new LaneHistory(3, () => {}) });
  assert.equal(facts.critical.segments.length, 3);
});

test("scanning in slices gives the facts of one pass", () => {
  const { events, result } = fixture("failfast-46");
  const scan = new RunScan(events, result);
  let steps = 0;
  while (!scan.step(7)) steps++;
  assert.equal(steps, Math.ceil(events.length / 7) - 1);
  const text = (facts) => Object.values(answerAll(facts)).map((parts) => parts && plainText(parts));
  assert.deepEqual(text(scan.facts()), text(runFacts(events, result)));
});

test("cost: 10,000 chunks under 50 ms; the figure at 100,000", (t) => {
  const timeFor = (chunks) => {
    const embedEnd = [...Array(chunks).keys()].map((c) => r(100 + ((c * 7919) % 2000) / 10));
    const { events } = buildRun({ embedEnd });
    // The page's case: the lanes already hold the history of these events.
    const lanes = new LaneHistory(chunks, () => {});
    for (const event of events) lanes.apply(event);
    // The best of five: the machine is shared, and the question is the work's cost, not the neighbours'.
    const measure = (options) => {
      const times = [];
      for (let i = 0; i < 5; i++) {
        const start = performance.now();
        const facts = runFacts(events, null, options);
        times.push(performance.now() - start);
        assert.equal(facts.generations.length, 2);
      }
      return { best: Math.min(...times), first: times[0] };
    };
    return { page: measure({ history: lanes }), own: measure({}), events: events.length };
  };
  const line = (chunks, { page, own, events }) => `${chunks} chunks (${events} events): with the lanes' history ` +
    `${page.best.toFixed(1)} ms (first ${page.first.toFixed(1)}), building its own ${own.best.toFixed(1)} ms ` +
    `(first ${own.first.toFixed(1)})`;
  const small = timeFor(10_000);
  t.diagnostic(line("10,000", small));
  assert.ok(small.page.best < 50, `${small.page.best} ms`);
  assert.ok(small.own.best < 50, `${small.own.best} ms`);
  t.diagnostic(line("100,000", timeFor(100_000)));
});

/** The deepest nesting of round brackets in `text`: 2 reads as "(dropped out (timed out))". */
function bracketDepth(text) {
  let depth = 0, deepest = 0;
  for (const char of text) {
    if (char === "(") deepest = Math.max(deepest, ++depth);
    else if (char === ")") depth--;
  }
  return deepest;
}

/** Every answer of `facts` as plain text, by name. */
const allText = (facts) => Object.fromEntries(Object.entries(answerAll(facts)).map(([key, parts]) =>
  [key, parts && plainText(parts)]));

test("a drop-out completes generation 0: each chunk named with its own moment, as the events say", () => {
  // Real time, a 250 ms timeout, drop-out: 9 chunks time out in Phase 1; the last to drop out completes generation
  // 0, and the release names a parked waiter leader. The last arrival is neither of them.
  const { events } = fixture("timeout-dropout-46");
  const { releases, arrivals, of } = recount(events);
  const release = releases[0];
  const last = arrivals(0).at(-1);
  const first = arrivals(0)[0];
  const dropOut = of("chunk-dropped", (e) => e.chunk === release.droppedOut)[0];
  assert.ok(release.droppedOut !== undefined && last.chunk !== release.leader && last.chunk !== release.droppedOut,
    "the fixture's three chunks differ");
  const facts = runFacts(events);
  const gen0 = facts.generations[0];
  assert.deepEqual([gen0.lastArrival.chunk, gen0.lastArrival.t], [last.chunk, last.t]);
  const text = allText(facts);
  assert.ok(text.lastArrival.startsWith(`Generation 0: chunk-${dropOut.chunk} dropped out at ${ms(dropOut.t)} and ` +
    `that completed it: chunk-${last.chunk} had arrived last, at ${ms(last.t)}, and the barrier named ` +
    `chunk-${release.leader}, a parked waiter, its leader; all ${arrivals(0).length} had been parked for up to ` +
    `${ms(release.t - first.t)} (the first, chunk-${first.chunk}, since ${ms(first.t)})`), text.lastArrival);
  // Q2: the last Phase 1 to end was the drop-out's, which never arrived.
  assert.ok(!text.chunkOrder.includes(`until chunk-${dropOut.chunk} arrived`), text.chunkOrder);
  assert.ok(text.chunkOrder.includes(`the last, chunk-${dropOut.chunk}'s, at ${ms(dropOut.t)}, when it timed out ` +
    `and dropped out). The barrier held every chunk until chunk-${dropOut.chunk} dropped out, after ` +
    `chunk-${last.chunk} had arrived last, at ${ms(last.t)}.`), text.chunkOrder);
  for (const [name, answer] of Object.entries(text)) if (answer) assert.ok(bracketDepth(answer) <= 1, `${name}: ${answer}`);
});

test("a chunk that dropped out is named without brackets in brackets", () => {
  // chunk-5 times out in Phase 1 and drops out: Q2's stand-in says so.
  const { events } = buildRun({ embedEnd: [100, 110, 120, 130, 140, 150, 300] });
  const cut = events.filter((e) => !(e.chunk === 5 && e.type !== "phase-start") &&
    !(e.chunk === 5 && e.phase === "score"));
  const at = cut.findIndex((e) => e.type === "phase-complete" && e.chunk === 6);
  cut.splice(at, 0, { run: 1, type: "chunk-dropped", t: 250.1, chunk: 5, id: "chunk-5", phase: "embed",
    message: "timed out after 250 ms", timedOut: true, parties: 6, generation: 0 });
  const text = allText(runFacts(cut));
  assert.match(text.chunkOrder, /chunk-5 never finished Phase 1 \(dropped out: timed out\); chunk-6, the last to finish Phase 1, stands in/);
  for (const [name, answer] of Object.entries(text)) if (answer) assert.ok(bracketDepth(answer) <= 1, `${name}: ${answer}`);
});

test("a hang, then Stop: Q4 names the chunk that hung, once, and what ends a hang", () => {
  const { events, options } = fixture("hang-stopped-46");
  const [fault] = options.faults;
  const { of } = recount(events);
  const start = of("phase-start", (e) => e.chunk === fault.chunk)[0];
  const cancelled = of("chunk-cancelled");
  const end = of("run-end")[0];
  const facts = runFacts(events, null, { options });
  assert.deepEqual(facts.hangs, [{ chunk: fault.chunk, phase: "embed", start: start.t,
    end: cancelled.find((e) => e.chunk === fault.chunk).t, how: "cancelled" }]);
  const q4 = plainText(answerFailure(facts));
  assert.equal(q4, `No chunk raised: chunk-${fault.chunk} hung in Phase 1, as its hang fault makes it: it began the ` +
    `phase at ${ms(start.t)} and never finished, so generation 0 waited for it with 45 of 46 arrived. Nothing but ` +
    "Stop or a phase timeout ends a hang: it raises nothing, so the group has no failure to act on. This run was " +
    `stopped at ${ms(end.t)}, and Stop cancels the group as a failure does: 46 chunks cancelled, 45 parked at the ` +
    `barrier, 1 mid-phase (chunk-${fault.chunk}), 0 before they started.`);
  // Without the options (an imported list) there is no fault to name: the stop alone.
  assert.match(plainText(answerFailure(runFacts(events))), /^No chunk raised: this run was stopped at [\d.]+ ms, and Stop cancels/);
  // A fault that never hung (an error, or a hang in a phase the chunk never reached) is no hang.
  for (const other of [{ ...fault, kind: "error" }, { ...fault, phase: "score" }, { ...fault, chunk: 46 }, null, "x"]) {
    assert.deepEqual(runFacts(events, null, { options: { faults: [other] } }).hangs, [], JSON.stringify(other));
  }
  assert.deepEqual(runFacts(events, null, { options: { faults: "hang" } }).hangs, []);
});

test("a hang that the phase timeout ended: Q4 says the timeout ended it", () => {
  // chunk-1 hangs in Phase 1; a 250 ms timeout fails it under fail-fast.
  const { events } = buildRun({ embedEnd: [100, 120, 150], fail: { chunk: 1, phase: "embed", t: 250.1 } });
  const cut = events.filter((e) => !(e.chunk === 1 && e.type !== "phase-start" && e.type !== "chunk-failed"));
  const failed = cut.find((e) => e.type === "chunk-failed");
  Object.assign(failed, { message: "timed out after 250 ms", timedOut: true });
  const facts = runFacts(cut, null, { options: { faults: [{ chunk: 1, phase: "embed", kind: "hang" }] } });
  assert.equal(facts.hangs[0].how, "timed-out");
  assert.match(plainText(answerFailure(facts)), /^chunk-1 timed out in Phase 1 at 250\.1 ms\..* That was chunk-1's hang fault: nothing but Stop or a phase timeout ends a hang, and here the phase timeout did\.$/);
});

test("Phase 3 is generation 1's release to run-end, and the rest of the makespan is between the bars", () => {
  const { events } = fixture("run-46");
  const { releases, of } = recount(events);
  const end = of("run-end")[0];
  const facts = runFacts(events);
  const phase3 = facts.critical.segments.at(-1);
  assert.equal(phase3.kind, "answer");
  assert.deepEqual([phase3.start, phase3.stop], [releases[1].t, end.t]);
  assert.ok(phase3.ms > 0.1, `Phase 3 took ${phase3.ms} ms`);
  // The remainder: before the first bar (starting), and between each bar's end and its release, each release and
  // the next bar's start (waking), and run-end to the makespan.
  const [bar0, bar1] = facts.critical.segments;
  const gaps = bar0.start + (releases[0].t - bar0.stop) + (bar1.start - releases[0].t) + (releases[1].t - bar1.stop) +
    (end.makespanMs - end.t);
  assert.ok(Math.abs(facts.critical.makespanMs - facts.critical.lengthMs - gaps) < 1e-6);
  const text = allText(facts);
  assert.ok(text.critical.includes(`→ gen 1 release ${ms(releases[1].t)} → Phase 3 (${ms(end.t - releases[1].t)}: ` +
    `every chunk's future returns, the index is freed, the top 3 ranked, the answer written) → the answer (run-end) ` +
    `${ms(end.t)} = `), text.critical);
  assert.match(text.critical, /went to starting and waking chunks between the bars\.$/);
  // Q1 agrees: Phase 3 began at the release, and ranked the top 3 at the top event.
  const top = of("top")[0];
  assert.ok(text.lastArrival.includes(`; its release let every chunk's future return and Phase 3 begin: it ranked the ` +
    `top 3 at ${ms(top.t)} (${ms(top.t - releases[1].t)} after the release), and the run ended at ${ms(end.t)}.`),
  text.lastArrival);
});

test("the verdict's mark: ✓ held, ✗ broken, a neutral mark when it could not be checked", () => {
  assert.deepEqual(verdictMark(runFacts(fixture("run-46").events)), { mark: "✓", state: "held" });
  assert.deepEqual(verdictMark(runFacts(fixture("stopped-46").events)), { mark: "○", state: "untested" });
  assert.deepEqual(verdictMark(runFacts(fixture("hang-stopped-46").events)), { mark: "○", state: "untested" });
  const { events } = buildRun({ embedEnd: [100, 200, 150, 300] });
  const index = events.findIndex((e) => e.type === "phase-start" && e.phase === "score" && e.chunk === 2);
  const [moved] = events.splice(index, 1);
  events.splice(events.findIndex((e) => e.type === "barrier-arrive" && e.chunk === 2) + 1, 0, { ...moved, t: 150 });
  assert.deepEqual(verdictMark(runFacts(events)), { mark: "✗", state: "broken" });
});

test("the status says what the run was and, off real time, that its times are stretched", () => {
  const facts = runFacts(fixture("run-46").events);
  assert.equal(answerStatus(facts, { timeScale: 1 }), "Answered from run 1 (46 chunks, seed 7).");
  assert.equal(answerStatus(facts, {}), "Answered from run 1 (46 chunks, seed 7).");
  assert.equal(answerStatus(facts, { timeScale: 3 }),
    "Answered from run 1 (46 chunks, seed 7). Times are at 3× slower: every latency is stretched 3×.");
  assert.equal(answerStatus(facts, { timeScale: 10, phaseTimeoutMs: 500 }), "Answered from run 1 (46 chunks, " +
    "seed 7). Times are at 10× slower: every latency is stretched 10× (the 500 ms phase timeout is not).");
  assert.equal(answerStatus(facts, { timeScale: 0.5 }),
    "Answered from run 1 (46 chunks, seed 7). Times are at 0.5×: every latency is scaled by 0.5.");
  assert.equal(answerStatus(facts, { timeScale: 0 }),
    "Answered from run 1 (46 chunks, seed 7). Times are at 0×: every simulated latency is zero.");
  for (const hostile of [null, "3", NaN, -1, { timeScale: "3" }]) {
    assert.equal(answerStatus(facts, hostile), "Answered from run 1 (46 chunks, seed 7).", String(hostile));
  }
  const stopped = runFacts(fixture("stopped-46").events);
  assert.match(answerStatus(stopped, { timeScale: 3 }), /^From run \d+ \(46 chunks, seed 7\), stopped at [\d.]+ ms: what it never reached stays unanswered\. Times are at 3× slower/);
});

test("250 chunks: a drop-out completing generation 0, and a hang then Stop, name their own chunks", () => {
  const embedEnd = [...Array(250).keys()].map((c) => r(100 + ((c * 37) % 200) + c / 1000));
  const order = [...embedEnd.keys()].sort((a, b) => embedEnd[a] - embedEnd[b] || a - b);
  const [firstIn, , lastIn, slowest] = [order[0], 0, order.at(-2), order.at(-1)];

  // The slowest chunk times out at 300.5 and drops out instead of arriving: that completes generation 0, and the
  // barrier names the first waiter leader. Its Phase 2 never happens.
  const { events } = buildRun({ embedEnd });
  const dropped = events.flatMap((e) => {
    if (e.chunk === slowest && (e.type === "phase-complete" || e.type === "barrier-arrive" ||
      (e.type === "phase-start" && e.phase === "score"))) {
      return e.type === "phase-complete" && e.phase === "embed" ? [{ run: 1, type: "chunk-dropped", t: 300.5,
        chunk: slowest, id: `chunk-${slowest}`, phase: "embed", message: "timed out after 300 ms", timedOut: true,
        parties: 249, generation: 0 }] : [];
    }
    if (e.type === "barrier-release" && e.generation === 0) {
      return [{ ...e, t: 300.5, leader: firstIn, leaderId: `chunk-${firstIn}`, parties: 249, droppedOut: slowest }];
    }
    return [e];
  });
  const facts = runFacts(dropped);
  const text = allText(facts);
  assert.ok(text.lastArrival.startsWith(`Generation 0: chunk-${slowest} dropped out at 300.5 ms and that completed ` +
    `it: chunk-${lastIn} had arrived last, at ${ms(embedEnd[lastIn])}, and the barrier named chunk-${firstIn}, a ` +
    "parked waiter, its leader; all 249 had been parked"), text.lastArrival);
  assert.match(text.chunkOrder, new RegExp(`until chunk-${slowest} dropped out, after chunk-${lastIn} had arrived last`));
  assert.equal(facts.critical.segments[0].chunk, slowest);

  // chunk-17 hangs in Phase 1; the other 249 park; Stop cancels them all.
  const before = events.findIndex((e) => e.type === "barrier-release");
  const hung = events.slice(0, before).filter((e) => !(e.chunk === 17 && e.type !== "phase-start"));
  for (let c = 0; c < 250; c++) {
    hung.push({ run: 1, type: "chunk-cancelled", t: 900, chunk: c, id: `chunk-${c}`, phase: "embed", waiting: c !== 17,
      started: true });
  }
  hung.push({ run: 1, type: "run-end", t: 900.2, makespanMs: 900.2, workingMs: 1, waitingMs: 1, aborted: true,
    error: "the run was stopped" });
  const hangFacts = runFacts(hung, null, { options: { faults: [{ chunk: 17, phase: "embed", kind: "hang" }] } });
  assert.deepEqual(hangFacts.hangs, [{ chunk: 17, phase: "embed", start: 0.1, end: 900, how: "cancelled" }]);
  assert.equal(plainText(answerFailure(hangFacts)), "No chunk raised: chunk-17 hung in Phase 1, as its hang fault " +
    "makes it: it began the phase at 0.1 ms and never finished, so generation 0 waited for it with 249 of 250 " +
    "arrived. Nothing but Stop or a phase timeout ends a hang: it raises nothing, so the group has no failure to " +
    "act on. This run was stopped at 900.2 ms, and Stop cancels the group as a failure does: 250 chunks cancelled, " +
    "249 parked at the barrier, 1 mid-phase (chunk-17), 0 before they started.");
  assert.deepEqual(verdictMark(hangFacts), { mark: "○", state: "untested" });
});
