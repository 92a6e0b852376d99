// The JS API in real Chromium, as a hostile or impatient caller uses it:
// Stop through an AbortSignal (no event after the rejection, no timer left),
// and a seeded fuzz of option objects (wrong types, huge and sparse arrays,
// Proxies and getters that throw, unknown and non-enumerable keys). Every
// case must settle, and reject with an Error naming a field, a chunk, or an
// AbortError; none may trap, hang or raise an uncaught error.
//
// Replay a failing fuzz with FUZZ_SEED=<the printed seed> npm test.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { openDemo } from "./demo.mjs";
import { checkRecording } from "../../www/event-schema.js";
import { eventsFromTrace, toTrace, traceJsonParts } from "../../www/trace.js";

let demo, page, problems;

before(async () => {
  demo = await openDemo({}, {
    beforeLoad: async (page) => {
      // Count live timers: gloo-timers calls the global setTimeout/clearTimeout.
      await page.addInitScript(() => {
        const live = new Set();
        const { setTimeout: set, clearTimeout: clear } = window;
        window.setTimeout = (callback, ms, ...rest) => {
          const id = set((...values) => { live.delete(id); callback(...values); }, ms, ...rest);
          live.add(id);
          return id;
        };
        window.clearTimeout = (id) => { live.delete(id); clear(id); };
        window.liveTimers = () => live.size;
      });
    },
  });
  ({ page, problems } = demo);
  await page.evaluate(async () => {
    const wasm = await import("/pkg/rag_phase_sync.js");
    window.runPipeline = wasm.runPipeline;
  });
});

after(() => demo?.close());

/** Runs the bundled corpus ten times slower and aborts it when `when(event)` first holds. */
async function stopWhen(when, options = {}) {
  return page.evaluate(async ({ when, options }) => {
    const decide = new Function("event", `return (${when})(event)`);
    const controller = new AbortController();
    const events = [];
    let abortedAt = 0;
    const timersBefore = window.liveTimers();
    const run = window.runPipeline({ timeScale: 10, seed: 4, ...options, signal: controller.signal }, (event) => {
      events.push(event);
      if (!abortedAt && decide(event)) {
        abortedAt = performance.now();
        // From a timer, as a click would: not from inside the pipeline's own callback.
        setTimeout(() => { abortedAt = performance.now(); controller.abort(); }, 0);
      }
    });
    let error;
    try { await run; } catch (thrown) { error = thrown; }
    const rejectedAfterMs = performance.now() - abortedAt;
    const atRejection = events.length;
    const timersAfter = window.liveTimers() - timersBefore;
    await new Promise((resolve) => setTimeout(resolve, 300));
    return {
      name: error?.name, isDomException: error instanceof DOMException, message: error?.message,
      rejectedAfterMs, timersAfter, eventsAfter: events.length - atRejection,
      last: events.at(-1), chunks: events[0].chunks,
      cancelled: new Set(events.filter((e) => e.type === "chunk-cancelled").map((e) => e.chunk)).size,
      cancelledEvents: events.filter((e) => e.type === "chunk-cancelled").length,
      scored: events.filter((e) => e.type === "phase-complete" && e.phase === "score").length,
    };
  }, { when: when.toString(), options });
}

function assertStopped(stopped, expectedCancelled) {
  assert.equal(stopped.name, "AbortError");
  assert.ok(stopped.isDomException, "rejects with a DOMException, as fetch does");
  assert.ok(stopped.rejectedAfterMs < 100, `rejected ${stopped.rejectedAfterMs} ms after abort()`);
  assert.equal(stopped.timersAfter, 0, "every timer was cleared");
  assert.equal(stopped.eventsAfter, 0, "no event after the rejection");
  assert.equal(stopped.last.type, "run-end");
  assert.equal(stopped.last.aborted, true);
  assert.equal(stopped.last.line, "Pipeline stopped: every chunk was cancelled");
  assert.equal(stopped.cancelled, expectedCancelled);
  assert.equal(stopped.cancelledEvents, expectedCancelled, "each chunk cancelled once");
}

test("Stop mid-Phase 1 rejects with AbortError, cancels every chunk and leaves no timer", async () => {
  const stopped = await stopWhen((event) => event.type === "phase-complete" && event.phase === "embed");
  assertStopped(stopped, stopped.chunks); // parked at the barrier or still embedding: all cancelled
});

test("Stop mid-Phase 2 does the same, with scored chunks at the second barrier", async () => {
  const stopped = await stopWhen((event) => event.type === "phase-start" && event.phase === "score",
    { embedMs: [10, 20], scoreMs: 200, chunks: 200 });
  assertStopped(stopped, 200);
  assert.equal(stopped.scored, 0, "stopped before any chunk finished scoring");
});

test("Stop during store writes, with the barrier or a gather, leaves no timer and cancels each task once", async () => {
  for (const approach of ["barrier", "gather", "gather-collect"]) {
    // Writes take 200 ms at timeScale 10: none has finished when Stop lands.
    const stopped = await stopWhen((event) => event.type === "store-start", { embedMs: [10, 20], storeMs: 20, approach });
    assertStopped(stopped, stopped.chunks); // every chunk future, or every store task of the gather
  }
});

test("a gathered run with store writes is a whole recording and survives a trace round trip", async () => {
  for (const approach of ["barrier", "gather", "gather-collect"]) {
    const events = await page.evaluate(async (approach) => {
      const events = [];
      await window.runPipeline({ seed: 3, timeScale: 0.2, storeMs: 20, approach }, (event) => events.push(event));
      return events;
    }, approach);
    assert.equal(events[0].approach, approach);
    assert.equal(events[0].storeMs, 20);
    assert.equal(checkRecording(events), events, `${approach}: the schema knows every event`);
    const trace = toTrace(events);
    assert.deepEqual(eventsFromTrace(traceJsonParts(trace).join("")), events, `${approach}: lossless`);
    const named = (name) => trace.traceEvents.filter((e) => e.name === name && e.ph === "X").length;
    assert.equal(named("Store write"), 46, `${approach}: one write per chunk on its track`);
    const gathers = trace.traceEvents.filter((e) => e.name.startsWith("Gather (")).map((e) => e.name);
    assert.deepEqual(gathers, approach === "barrier" ? [] : ["Gather (embed)", "Gather (store)", "Gather (score)"]);
    assert.equal(trace.traceEvents.filter((e) => e.name === "Without the barrier").length, 1);
  }
});

test("an already aborted signal rejects at once, before any event", async () => {
  const result = await page.evaluate(async () => {
    const events = [];
    try {
      await window.runPipeline({ signal: AbortSignal.abort() }, (event) => events.push(event));
      return { resolved: true };
    } catch (error) {
      return { name: error.name, events: events.length };
    }
  });
  assert.deepEqual(result, { name: "AbortError", events: 0 });
});

test("a fuzz of 1,000 hostile option objects: each settles with a named error, nothing escapes", async () => {
  const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
  console.log(`fuzz seed ${seed} (replay: FUZZ_SEED=${seed} npm test)`);
  const tallies = await page.evaluate(fuzz, { seed, cases: 1000 });
  console.log("fuzz tallies", JSON.stringify(tallies.counts));
  assert.deepEqual(tallies.bad, [], `seed ${seed}: cases that broke the rules`);
  assert.equal(Object.values(tallies.counts).reduce((a, b) => a + b, 0), 1000);
  assert.ok(tallies.counts.field > 300, "most junk is refused by a field");
  assert.ok(tallies.counts.resolved > 20, "some cases are valid and run");
  // After all that, a normal run still succeeds.
  const answer = await page.evaluate(async () => (await window.runPipeline({ seed: 1, timeScale: 0 })).answer);
  assert.match(answer, /\[chunk-\d+\]/);
});

test("nothing was logged to the console as an error", () => {
  assert.deepEqual(problems, []);
});

/** Runs in the page: `cases` random option objects from `seed`; returns tallies and rule breakers. */
async function fuzz({ seed, cases }) {
  let state = seed >>> 0;
  const random = () => { // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const pick = (list) => list[Math.floor(random() * list.length)];
  const thrower = () => { throw new Error("getter threw"); };
  const junk = () => pick([
    () => undefined, () => null, () => true, () => NaN, () => Infinity, () => -Infinity, () => -1, () => 0, () => 1,
    () => 2.5, () => 1e308, () => -1e308, () => 2 ** 53, () => Math.floor(random() * 200), () => random() * 1000,
    () => "", () => "x", () => "phase", () => "classic", () => "drop-out", () => "fail-fast", () => "embed",
    () => "y".repeat(100_000), () => "12", () => "0x10", () => "1e3",
    () => [], () => [1, 2], () => [300, 100], () => [0, 5], () => Object.assign([], { length: 2 ** 32 - 1 }),
    () => Object.assign([], { length: 1e8 }), () => ["A short document about barriers."], () => [123],
    () => ({}), () => ({ chunk: 1 }), () => ({ a: { b: { c: [] } } }), () => [{ chunk: 1, phase: "score" }],
    () => [{ chunk: 2, kind: "hang" }], () => [{ get chunk() { return thrower(); } }],
    () => () => [1, 2], () => () => { throw new Error("embed threw"); }, () => () => new Promise(() => {}),
    () => new Proxy({}, { get: thrower, ownKeys: thrower, getPrototypeOf: thrower }),
    () => new Proxy([1, 2], { get: thrower }), () => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; },
    () => Symbol("junk"), () => 10n, () => AbortSignal.abort(), () => new Date(), () => /re/,
    () => new Float32Array(4), () => Object.create(null),
  ])();
  const NAMES = ["documents", "chunkWords", "overlapWords", "chunks", "query", "embed", "seed", "embedMs", "scoreMs",
    "timeScale", "faults", "failChunk", "onChunkError", "phaseTimeoutMs", "barrier", "approach", "storeMs"];
  const VALID = {
    chunks: () => 1 + Math.floor(random() * 250), seed: () => Math.floor(random() * 1000), timeScale: () => 0,
    embedMs: () => [0, 2], scoreMs: () => 1, barrier: () => pick(["phase", "classic"]),
    onChunkError: () => pick(["fail-fast", "drop-out"]), phaseTimeoutMs: () => 50,
    approach: () => pick(["barrier", "gather", "gather-collect"]), storeMs: () => pick([0, 5, 1000]),
    faults: () => [{ chunk: 0, phase: pick(["embed", "score"]), kind: pick(["error", "hang"]) }],
    query: () => "Why does scoring need a barrier?", chunkWords: () => 1 + Math.floor(random() * 200),
  };
  const build = (signal) => {
    // Zero latency unless the fuzz says otherwise: valid runs then finish in milliseconds.
    const options = { timeScale: 0 };
    const fields = Math.floor(random() * 5);
    for (let i = 0; i < fields; i++) {
      const name = random() < 0.1 ? pick(["chunk", "fail", "Chunks", "__proto__x"]) : pick(NAMES);
      options[name] = random() < 0.35 && VALID[name] ? VALID[name]() : junk();
    }
    options.signal = random() < 0.02 ? junk() : signal;
    return pick([
      () => options, () => options, () => options, () => options, () => options, () => options,
      () => new Proxy(options, { ownKeys: thrower }),
      () => new Proxy(options, { get: (target, key) => (key === pick(NAMES) ? thrower() : target[key]) }),
      () => Object.defineProperty(options, pick(NAMES), { get: thrower, enumerable: true }),
      () => Object.defineProperty(options, "chunk", { value: 6, enumerable: false }),
      () => Object.setPrototypeOf(options, { inherited: 1 }),
      () => Object.assign([], { length: 2 ** 32 - 1 }),
      () => junk(),
    ])();
  };
  const counts = { resolved: 0, field: 0, chunk: 0, aborted: 0, other: 0 };
  const bad = [];
  const uncaught = [];
  const onError = (event) => uncaught.push(String(event.message ?? event.reason));
  window.addEventListener("error", onError);
  window.addEventListener("unhandledrejection", onError);
  for (let index = 0; index < cases; index++) {
    const caseSeed = state;
    const options = build(AbortSignal.timeout(1500));
    const started = performance.now();
    let outcome;
    try {
      const settled = await Promise.race([
        window.runPipeline(options).then((result) => ({ result }), (error) => ({ error })),
        new Promise((resolve) => setTimeout(() => resolve({ hang: true }), 5000)),
      ]);
      outcome = settled;
    } catch (error) {
      outcome = { threw: error };
    }
    const took = performance.now() - started;
    const { result, error } = outcome;
    if (outcome.hang || outcome.threw) {
      bad.push({ index, caseSeed, why: outcome.hang ? "did not settle in 5 s" : `threw ${outcome.threw}` });
    } else if (result) {
      counts.resolved++;
      if (typeof result.answer !== "string") bad.push({ index, caseSeed, why: "resolved without an answer" });
    } else if (error?.name === "AbortError") {
      counts.aborted++;
    } else if (!(error instanceof Error)) {
      bad.push({ index, caseSeed, why: `rejected with a non-Error: ${String(error)}` });
    } else if (typeof error.field === "string") {
      counts.field++;
      if (!error.message.startsWith(error.field)) bad.push({ index, caseSeed, why: `message does not name ${error.field}: ${error.message}` });
      if (error.message.length > 600) bad.push({ index, caseSeed, why: `message of ${error.message.length} characters` });
    } else if (/^chunk-\d+ (failed|timed out) in Phase [12]/.test(error.message) || error.dropped || error.collected) {
      counts.chunk++;
    } else {
      counts.other++;
      bad.push({ index, caseSeed, why: `an Error naming no field: ${error.message}` });
    }
    if (took > 4000) bad.push({ index, caseSeed, why: `took ${took} ms` });
  }
  window.removeEventListener("error", onError);
  window.removeEventListener("unhandledrejection", onError);
  for (const message of uncaught) bad.push({ why: `uncaught: ${message}` });
  return { counts, bad: bad.slice(0, 20) };
}
