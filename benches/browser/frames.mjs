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
//     embed plus the longest planned score, critical-path.mjs, as bench.mjs).
//
// Each size runs twice: the page as it is, and the page with the lanes and the
// gate switched off (their apply and tick made no-ops), so that what the
// drawing costs can be told from what the pipeline and the rest of the page do.
//
// The page's own module is left as it is; only the WASM module's
// runPipelineBatched is wrapped (by serving a small module in its place) so
// that the benchmark sees the events the page sees.
//
// It prints one table and writes target/bench-frames.json.
//
// Usage, from the repository root after `make build`: node benches/browser/frames.mjs
// (FRAMES_SIZES=10000 node benches/browser/frames.mjs: only those sizes).

import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, startServer } from "../../scripts/serve.mjs";
import { criticalPath } from "./critical-path.mjs";

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
  return real.runPipelineBatched(options, (batch) => {
    window.onBenchBatch?.(batch);
    return onBatch(batch);
  });
}
`;

// ---------------------------------------------------------------------------
// In the page (playwright sends the functions' source).

/** Starts recording frames, long tasks and the run's events; window.benchStop() returns what was recorded. */
function startRecording() {
  const frames = [];
  const longTasks = [];
  const path = window.criticalPath();
  let result = { events: 0, makespanMs: NaN };
  window.onBenchBatch = (batch) => {
    for (const event of batch) {
      result.events++;
      path.onEvent(event);
      if (event.type === "run-end") result.makespanMs = event.makespanMs;
    }
  };
  const observer = new PerformanceObserver((list) => longTasks.push(...list.getEntries().map((entry) => entry.duration)));
  observer.observe({ type: "longtask" });
  let last = null;
  let recording = true;
  const frame = (now) => {
    if (last !== null) frames.push(now - last);
    last = now;
    if (recording) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  window.benchStop = () => {
    recording = false;
    longTasks.push(...observer.takeRecords().map((entry) => entry.duration));
    observer.disconnect();
    window.onBenchBatch = null;
    return { frames, longTasks, ...result, criticalPathMs: path.ms() };
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
    if (!drawing) await page.evaluate(switchOffDrawing);
    const runs = [];
    for (let run = 0; run < RUNS; run++) {
      await page.evaluate(startRecording);
      await runForm(page, String(n));
      const recorded = await page.evaluate(() => window.benchStop());
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
      });
    }
    const median = (key) => [...runs.map((run) => run[key])].sort((a, b) => a - b)[Math.floor(RUNS / 2)];
    return { n, drawing, ...Object.fromEntries(Object.keys(runs[0]).map((key) => [key, median(key)])), runs };
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
  ];
  return lines.join("\n");
}

async function main() {
  if (!existsSync(join(ROOT, "pkg", "rag_phase_sync_bg.wasm"))) throw new Error("pkg/ is missing: run `make build` first");
  const { launchChromium } = await import("../../tests/e2e/chromium.mjs");
  let server, browser;
  const rows = [];
  let chromium;
  try {
    const served = await startServer({ port: 0 });
    server = served.server;
    browser = await launchChromium();
    chromium = browser.version();
    for (const n of SIZES) for (const drawing of [true, false]) {
      const row = await measure(browser, served.url, n, drawing);
      rows.push(row);
      console.error(`  ${n} chunks, lanes ${drawing ? "drawing" : "off"}: frames p50 ${row.p50.toFixed(1)} / p95 ${row.p95.toFixed(1)} / max ${row.max.toFixed(1)} ms, ` +
        `longest task ${row.longestTaskMs.toFixed(0)} ms, makespan / critical path ${row.ratio.toFixed(2)}`);
    }
  } finally {
    await browser?.close();
    server?.closeAllConnections();
    server?.close();
  }
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
