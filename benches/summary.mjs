#!/usr/bin/env node
// The last step of `make bench`: one table of the figures the project's
// performance goals name, read from what the five benchmarks wrote in this
// run (target/bench-barrier.json, target/bench-pipeline.json,
// target/bench-browser.json, target/bench-compare.json,
// target/bench-frames.json), written again as target/bench.json. A figure
// with no goal has "—": measured so that a change shows, not held to a bound.
//
// Usage: node benches/summary.mjs

import { existsSync, readFileSync, writeFileSync } from "node:fs";

const target = new URL("../target/", import.meta.url);
const read = (name) => {
  const file = new URL(name, target);
  return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : null;
};
const barrier = read("bench-barrier.json");
const pipeline = read("bench-pipeline.json");
const browser = read("bench-browser.json");
const compare = read("bench-compare.json");
const frames = read("bench-frames.json");

const fixed = (value, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : "–");
const int = (value) => Math.round(value).toLocaleString("en-US");
const at = (rows, n) => rows?.find((row) => row.n === n);

const nativeRow = at(pipeline?.rows, 100_000);
const pythonMs = nativeRow?.python_ms;
const zero100k = at(browser?.zero?.rows, 100_000);
const bestWall = (row, key = "wallMs") => row && Math.min(...row.runs.map((run) => run[key] ?? Infinity));
const batchedMs = zero100k?.batchedRuns ? Math.min(...zero100k.batchedRuns.map((run) => run.wallMs)) : undefined;
const realRatio = (n) => {
  const row = browser?.real?.find((entry) => entry.n === n);
  if (!row) return undefined;
  const ratios = row.runs.map((run) => run.ratio).sort((a, b) => a - b);
  return ratios[Math.floor(ratios.length / 2)];
};
const freeze = (name) => browser?.freeze?.find((entry) => entry.name === name);
/** The page's frame figures at `n` chunks, with the lanes drawing (frames.mjs). */
const page = (n) => frames?.rows.find((row) => row.n === n && row.drawing);
const pageSlash = (key, digits = 1) =>
  [1_000, 10_000, 100_000].map((n) => fixed(page(n)?.[key], digits)).join(" / ");
/** compare.mjs's figures at each chunk count (46: the default corpus) and storeMs. */
const approachFigures = [[46, 0], [46, 20], [1_000, 0], [1_000, 20]].flatMap(([n, storeMs]) => {
  const row = compare?.rows.find((entry) => entry.n === n && entry.storeMs === storeMs);
  const where = `${n.toLocaleString("en-US")} chunks, storeMs ${storeMs}`;
  return [
    { figure: `Chromium, real timers, ${where}: gather / barrier makespan (same seed)`, now: row?.ratio, goal: "—" },
    { figure: `… ${where}: events per run, barrier / gather`,
      text: row ? `${int(row.barrierEvents)} / ${int(row.gatherEvents)}` : "–", goal: "—" },
  ];
});
/** The page's figures after a run at 10k and 100k chunks (lanes drawing), "a / b". */
const tailSlash = (key, digits = 0) => [10_000, 100_000].map((n) => fixed(page(n)?.[key], digits)).join(" / ");
const usPerWait = (contender) =>
  barrier?.find((row) => row.parties === 100_000 && row.contender.includes(contender))?.usPerWait;

const figures = [
  { figure: "native, zero latency, 100k distinct chunks: Python / ours", now: pythonMs / nativeRow?.ours_ms, goal: ">= 30" },
  { figure: "native: time(100k) / time(10k)", now: pipeline?.ours_100k_over_10k, goal: "<= 11" },
  { figure: "Chromium, zero latency, 100k distinct chunks, a callback per event: Python / ours",
    now: pythonMs / bestWall(zero100k), goal: ">= 10" },
  { figure: "the same with runPipelineBatched: Python / ours", now: pythonMs / batchedMs, goal: "" },
  { figure: "Chromium, real timers: makespan / critical path at 6 chunks", now: realRatio(6), goal: "<= 1.02" },
  { figure: "… at 1,000 chunks", now: realRatio(1_000), goal: "<= 1.05" },
  { figure: "… at 10,000 chunks", now: realRatio(10_000), goal: "<= 1.10" },
  { figure: "longest task during a 100k-chunk run, zero latency (ms)", now: freeze("zero latency")?.longestTaskMs,
    goal: "<= 50", digits: 0 },
  { figure: "longest task during a 100k-chunk run, real latency (ms)", now: freeze("default latencies")?.longestTaskMs,
    goal: "<= 50", digits: 0 },
  { figure: "the page drawing a run at real time, 1k / 10k / 100k chunks: p95 frame (ms)", text: pageSlash("p95"),
    goal: "<= 16.7 / 16.7 / 33" },
  { figure: "… longest task (ms)", text: pageSlash("longestTaskMs", 0), goal: "<= 50" },
  { figure: "… makespan / critical path at 10k chunks", now: page(10_000)?.ratio, goal: "<= 1.15" },
  { figure: "… at 100k chunks", now: page(100_000)?.ratio, goal: "—" },
  { figure: "the page after a 10k / 100k-chunk run: questions scan of every kept event, work (ms)",
    text: tailSlash("scanMs"), goal: "—" },
  { figure: "… its longest slice (ms)", text: tailSlash("longestSliceMs", 1), goal: "<= 50" },
  { figure: "… from the run-end event to the answers (ms)", text: tailSlash("answersAfterMs"), goal: "—" },
  { figure: "… longest task from the run-end event to the answers (ms)", text: tailSlash("tailLongestTaskMs"),
    goal: "<= 50" },
  { figure: "… the page's JS heap after it, full GC, every event still kept (MB)", text: tailSlash("heapMB"), goal: "—" },
  ...approachFigures,
  { figure: "release .wasm, gzip -9 (KB)", now: browser?.wasm && browser.wasm.gzip9 / 1000, goal: "<= 60", digits: 1 },
  { figure: "PhaseBarrier vs async-barrier at 100k parties: speed-up",
    now: usPerWait("async-barrier") / usPerWait("PhaseBarrier"), goal: ">= 2" },
];

console.log("\n| figure | now | goal |\n|---|---:|---:|");
for (const { figure, now, text, goal, digits } of figures) console.log(`| ${figure} | ${text ?? fixed(now, digits)} | ${goal} |`);
const missing = [["barrier", barrier], ["pipeline", pipeline], ["browser", browser], ["compare", compare], ["frames", frames]]
  .filter(([, data]) => !data);
for (const [name] of missing) console.log(`(no target/bench-${name}.json: run that benchmark first)`);
writeFileSync(new URL("bench.json", target), `${JSON.stringify({ date: new Date().toISOString(), figures }, null, 2)}\n`);
