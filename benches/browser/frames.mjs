#!/usr/bin/env node
// The page's frame times while it draws a run: the demo page itself (its form,
// its lanes, its log), served and driven in headless Chromium, over 1,000,
// 10,000 and 100,000 chunks on real timers (Speed "real time", the default
// latencies: the page has no zero-latency option), RUNS times each in a fresh
// tab after one warm-up run of the bundled corpus, reporting the median of each
// figure over the runs:
//
//   - frame times: the intervals between requestAnimationFrame callbacks from
//     Run to the end of the run, as p50 / p95 / max;
//   - the longest task (PerformanceObserver "longtask");
//   - makespan / critical path (the run's makespanMs over the longest planned
//     embed plus the longest planned score, critical-path.mjs, as bench.mjs);
//   - after the run: the page keeps every event (as each batch's JSON text,
//     recording.js) and, once the run ends, its questions panel parses them
//     back and scans them a slice per task
//     (questions.js): that scan's own time, its longest slice, the time from
//     the run-end event to the answers, and the longest task and frame from
//     the run-end event until then; then the JS heap the page holds (after a
//     full GC, so garbage does not count; the kept events are most of it).
//
// Each size runs twice: the page as it is, and the page with the lanes and the
// gate switched off (their apply and tick made no-ops), so that what the
// drawing costs can be told from what the pipeline and the rest of the page do.
//
// The page's own module is left as it is; only the WASM module's
// runPipelineBatched is wrapped (by serving a small module in its place) so
// that the benchmark sees the events the page sees (and the page still gets
// each batch's text, its second argument).
//
// It prints one table and writes target/bench-frames.json.
//
// Usage, from the repository root after `make build`: node benches/browser/frames.mjs
// (FRAMES_SIZES=10000 node benches/browser/frames.mjs: only those sizes).

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../scripts/serve.mjs";
import { criticalPath } from "./critical-path.mjs";
import { median, withChromium } from "./harness.mjs";

// FRAMES_SIZES=10000 (comma-separated) runs only those sizes while iterating.
const SIZES = process.env.FRAMES_SIZES ? process.env.FRAMES_SIZES.split(",").map(Number) : [1_000, 10_000, 100_000];
const RUNS = 3;
const OUT = join(ROOT, "target", "bench-frames.json");
const GOALS = { 1_000: 16.7, 10_000: 16.7, 100_000: 33 }; // p95 frame ms
const LONG_TASK_GOAL = 50;

/** Served in place of pkg/rag_phase_sync.js: the module, with runPipelineBatched telling window.onBenchBatch too. */
const TAP = `
import * as real from "/pkg/rag_phase_sync.js?real";
export * from "/pkg/rag_phase_sync.js?real";
export default real.default;
export function runPipelineBatched(options, onBatch) {
  return real.runPipelineBatched(options, (batch, json) => {
    window.onBenchBatch?.(batch);
    return onBatch(batch, json);
  });
}
`;

// ---------------------------------------------------------------------------
// In the page (playwright sends the functions' source).

/**
 * Starts recording frames, long tasks and the run's events; window.benchStop() returns what was recorded until
 * the run's end, and window.benchTail() (after it) what happened from the run-end event until the questions
 * panel had its answers (its "questions-facts" performance measure).
 */
function startRecording() {
  const began = performance.now();
  const frames = []; // [time of the frame, interval since the previous one]
  const longTasks = []; // [start, duration]
  const path = window.criticalPath();
  let result = { events: 0, makespanMs: NaN };
  let runEndAt = Infinity;
  let stopAt = Infinity;
  window.onBenchBatch = (batch) => {
    for (const event of batch) {
      result.events++;
      path.onEvent(event);
      if (event.type === "run-end") {
        result.makespanMs = event.makespanMs;
        runEndAt = performance.now();
      }
    }
  };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longTasks.push([entry.startTime, entry.duration]);
  });
  observer.observe({ type: "longtask" });
  let answered = null;
  const answers = new Promise((resolve) => {
    const measures = new PerformanceObserver((list) => {
      const entry = list.getEntries().find((measure) => measure.name === "questions-facts" && measure.startTime >= began);
      if (!entry) return;
      measures.disconnect();
      resolve(entry);
    });
    measures.observe({ type: "measure" });
  }).then((entry) => (answered = entry));
  let last = null;
  let recording = true;
  const frame = (now) => {
    if (last !== null) frames.push([now, now - last]);
    last = now;
    if (recording) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  const take = () => {
    for (const entry of observer.takeRecords()) longTasks.push([entry.startTime, entry.duration]);
  };
  window.benchStop = () => {
    stopAt = performance.now();
    take();
    window.onBenchBatch = null;
    return {
      frames: frames.filter(([at]) => at <= stopAt).map(([, interval]) => interval),
      longTasks: longTasks.filter(([start]) => start < stopAt).map(([, duration]) => duration),
      ...result,
      criticalPathMs: path.ms(),
    };
  };
  window.benchTail = async () => {
    let entry = answered;
    if (!entry) {
      let timer = 0;
      const late = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("no \"questions-facts\" measure within 60 s of the run's end: " +
          "does questions.js still make it?")), 60_000);
      });
      entry = await Promise.race([answers, late]).finally(() => clearTimeout(timer));
    }
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))); // a frame after it
    recording = false;
    take();
    observer.disconnect();
    const answeredAt = entry.startTime + entry.duration;
    const after = (at) => at >= runEndAt;
    return {
      scanMs: entry.detail.ms,
      slices: entry.detail.slices,
      longestSliceMs: entry.detail.longestMs,
      scannedEvents: entry.detail.events,
      answersAfterMs: answeredAt - runEndAt,
      tailLongestTaskMs: Math.max(0, ...longTasks.filter(([start, duration]) => after(start + duration)).map(([, d]) => d)),
      tailMaxFrameMs: Math.max(0, ...frames.filter(([at]) => after(at)).map(([, interval]) => interval)),
    };
  };
}

// ---------------------------------------------------------------------------
// In node.

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

/** Runs the page's form with `chunks` chunks at real time and waits for the end of the run. */
async function runForm(page, chunks) {
  await page.fill("[name=chunks]", chunks);
  await page.selectOption("[name=timeScale]", "1");
  await page.click("#run");
  await page.waitForSelector("#stop:disabled", { timeout: 300_000 });
}

/** Makes the lanes and the gate draw nothing (the modules are the page's own instances). */
async function switchOffDrawing() {
  const [{ Lanes }, { Gate }] = await Promise.all([import("/www/lanes.js"), import("/www/gate.js")]);
  Lanes.prototype.apply = Lanes.prototype.tick = Gate.prototype.apply = () => {};
}

/** RUNS measured runs of `n` chunks in a fresh tab, drawn by the lanes or (`drawing` false) not. */
async function measure(browser, url, n, drawing) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  try {
    const problems = [];
    page.on("pageerror", (error) => problems.push(error.message));
    await page.route((target) => target.pathname === "/pkg/rag_phase_sync.js" && target.search === "",
      (route) => route.fulfill({ contentType: "text/javascript", body: TAP }));
    await page.goto(url);
    await page.waitForSelector("#run:not([disabled])");
    await page.evaluate(`window.criticalPath = ${criticalPath}`);
    await runForm(page, ""); // warm-up: the bundled corpus
    // Its questions scan done too (questions.js measures it), so that nothing of it runs into the first run.
    await page.waitForFunction(() => performance.getEntriesByName("questions-facts").length > 0);
    if (!drawing) await page.evaluate(switchOffDrawing);
    const cdp = await page.context().newCDPSession(page);
    const runs = [];
    for (let run = 0; run < RUNS; run++) {
      await page.evaluate(startRecording);
      await runForm(page, String(n));
      const recorded = await page.evaluate(() => window.benchStop());
      const tail = await page.evaluate(() => window.benchTail());
      await cdp.send("HeapProfiler.collectGarbage");
      const heapMB = (await cdp.send("Runtime.getHeapUsage")).usedSize / 1e6;
      if (problems.length) throw new Error(`the page raised: ${problems.join("; ")}`);
      if (await page.isVisible("#error")) throw new Error(`the run failed: ${await page.textContent("#error")}`);
      const sorted = [...recorded.frames].sort((a, b) => a - b);
      runs.push({
        frames: sorted.length,
        p50: percentile(sorted, 0.5),
        p95: percentile(sorted, 0.95),
        max: sorted.at(-1),
        longTasks: recorded.longTasks.length,
        longestTaskMs: Math.max(0, ...recorded.longTasks),
        events: recorded.events,
        makespanMs: recorded.makespanMs,
        criticalPathMs: recorded.criticalPathMs,
        ratio: recorded.makespanMs / recorded.criticalPathMs,
        ...tail,
        heapMB,
      });
    }
    const medianOf = (key) => median(runs.map((run) => run[key]));
    return { n, drawing, ...Object.fromEntries(Object.keys(runs[0]).map((key) => [key, medianOf(key)])), runs };
  } finally {
    await page.close();
  }
}

function report(chromium, rows) {
  const fixed = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : "–");
  const lines = [
    `Chromium ${chromium} (headless), node ${process.version}, viewport 1280 × 900, Speed "real time"`,
    "",
    "| chunks | lanes and gate | frames | p50 ms | p95 ms (goal) | max ms | longest task ms (goal ≤ 50) | makespan / critical path |",
    "|---:|---|---:|---:|---:|---:|---:|---:|",
    ...rows.map((row) => `| ${row.n.toLocaleString("en-US")} | ${row.drawing ? "drawing" : "off"} | ${row.frames} | ${fixed(row.p50)} | ` +
      `${fixed(row.p95)} (≤ ${GOALS[row.n]}) | ${fixed(row.max)} | ${fixed(row.longestTaskMs, 0)} | ` +
      `${fixed(row.ratio, 2)} (${fixed(row.makespanMs, 0)} / ${fixed(row.criticalPathMs, 0)}) |`),
    "",
    "- frame: the interval between requestAnimationFrame callbacks from Run to the run's end (the page's whole " +
      "main thread: the pipeline, the lanes, the log); longest task: PerformanceObserver \"longtask\" (0: none over 50 ms).",
    `- the median of each figure over ${RUNS} runs in one fresh tab, after a warm-up run of the bundled corpus; critical path as in bench.mjs.`,
    "- lanes and gate off: their apply and tick made no-ops after the warm-up; the rest of the page (log, answer) as is.",
    "",
    "After the run: the questions panel's scan of every event the page kept (questions.js, its \"questions-facts\" measure).",
    "",
    "| chunks | lanes and gate | events scanned | scan ms (slices) | longest slice ms | answers after run-end ms | longest task ms | max frame ms | JS heap MB |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map((row) => `| ${row.n.toLocaleString("en-US")} | ${row.drawing ? "drawing" : "off"} | ` +
      `${row.scannedEvents.toLocaleString("en-US")} | ${fixed(row.scanMs, 0)} (${row.slices}) | ${fixed(row.longestSliceMs)} | ` +
      `${fixed(row.answersAfterMs, 0)} | ${fixed(row.tailLongestTaskMs, 0)} | ${fixed(row.tailMaxFrameMs)} | ${fixed(row.heapMB, 0)} |`),
    "",
    "- scan ms: the scan's own work (its slices, not the waits between them); answers after run-end: from the run-end " +
      "event reaching the page to the scan's end (the answers are drawn right after); longest task and max frame: from the " +
      "run-end event to a frame after that; JS heap: Runtime.getHeapUsage after a full GC, the run's events still kept.",
  ];
  return lines.join("\n");
}

async function main() {
  const { chromium, result: rows } = await withChromium(async (browser, url) => {
    const rows = [];
    for (const n of SIZES) for (const drawing of [true, false]) {
      const row = await measure(browser, url, n, drawing);
      rows.push(row);
      console.error(`  ${n} chunks, lanes ${drawing ? "drawing" : "off"}: frames p50 ${row.p50.toFixed(1)} / p95 ${row.p95.toFixed(1)} / max ${row.max.toFixed(1)} ms, ` +
        `longest task ${row.longestTaskMs.toFixed(0)} ms, makespan / critical path ${row.ratio.toFixed(2)}; ` +
        `questions scan ${row.scanMs.toFixed(0)} ms in ${row.slices} slices (longest ${row.longestSliceMs.toFixed(0)} ms), ` +
        `answers ${row.answersAfterMs.toFixed(0)} ms after run-end, longest task ${row.tailLongestTaskMs.toFixed(0)} ms / frame ${row.tailMaxFrameMs.toFixed(0)} ms meanwhile`);
    }
    return rows;
  });
  console.log(report(chromium, rows));
  mkdirSync(join(ROOT, "target"), { recursive: true });
  const results = { date: new Date().toISOString(), chromium, node: process.version, goals: GOALS, longTaskGoal: LONG_TASK_GOAL, rows };
  writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote ${OUT}`);
}

main().catch((error) => {
  console.error(`frames bench failed: ${error.message}`);
  process.exitCode = 1;
});
