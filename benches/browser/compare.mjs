#!/usr/bin/env node
// The barrier against the seed's "Alternative Approach" (two gathers), in
// headless Chromium on real timers (timeScale 1, the default latencies:
// embedMs [100, 300], scoreMs 50), through runPipelineBatched as the page
// calls it. For each size (the default corpus, 46 chunks, and 1,000 chunks)
// and store write (storeMs 0: no store step; storeMs 20: each chunk writes
// its vector after Phase 1, 4 writes at a time), seeds 1-3 each run once as
// approach "barrier" and once as "gather", one after the other in one tab
// (never two runs at once: they would share the event loop), the order
// alternating by seed. The figure is gather's makespan / barrier's for the
// same seed, the median of the 3 seeds; also each approach's events per run.
//
// What to expect (src/store.rs): with no store step both approaches wait for
// the slowest embedding and then score, so ~1.00. With storeMs 20 the store
// takes 4 writes per 20 ms; the barrier writes each vector as its chunk
// finishes Phase 1, overlapping slower chunks' embeddings, the gathers only
// after the slowest one (~300 ms). At 46 chunks the 12 rounds of writes
// (240 ms) mostly fit under the embeddings: ~410 ms against ~590 ms, ~1.45.
//
// Measured (Chromium 156, the 2-core machine): 1.00 and 1.42 at 46 chunks
// (barrier 437 ms, gather 615 ms with storeMs 20); 0.98 and 1.04 at 1,000.
// At 1,000 chunks with storeMs 20 both runs are the store's queue: 250 rounds
// of writes of ~21.6 ms each, not 20 (a timer fires late, and a freed slot
// passes to the next write through the event loop; (5,559 - 100 - 50) / 250),
// ~5,400 ms that neither approach can overlap with anything but
// the 200 ms spread of the embeddings (100-300 ms). The barrier starts
// writing at ~100 ms, the gathers at ~300 ms: barrier 5,559 ms, gather
// 5,803 ms, a gap of ~245 ms on ~5.5 s. What the barrier buys is bounded by
// the embedding spread, not by N, so the ratio falls toward 1 as the store's
// queue grows. With no store the gathers are ~2% faster at 1,000 chunks:
// they emit 4 events a chunk to the barrier's 6 (no barrier-arrive, two
// generations; 4,010 against 6,008 a run) and wake no parked chunks.
//
// It prints one table and writes target/bench-compare.json.
//
// Usage, from the repository root after `make build`: node benches/browser/compare.mjs

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../scripts/serve.mjs";
import { median, withChromium, withPage } from "./harness.mjs";

const SIZES = [null, 1_000]; // null: the default corpus (46 chunks)
const STORE_MS = [0, 20];
const SEEDS = [1, 2, 3];
const OUT = join(ROOT, "target", "bench-compare.json");

// ---------------------------------------------------------------------------
// In the page (playwright sends the function's source).

/** Installs `window.compareRun(options)`: one runPipelineBatched call, its makespan, wall time and event count. */
async function installCompareRun() {
  const wasm = await import("/pkg/rag_phase_sync.js");
  await wasm.default(); // the page's app.js has already initialised it: returns at once
  window.compareRun = async (options) => {
    let events = 0;
    let chunks = 0;
    const start = performance.now();
    const result = await wasm.runPipelineBatched(options, (batch) => {
      events += batch.length;
      for (const event of batch) if (event.type === "run-start") chunks = event.chunks;
    });
    return { wallMs: performance.now() - start, makespanMs: result.makespanMs, approach: result.approach, events, chunks };
  };
}

// ---------------------------------------------------------------------------
// In node.

/** Every size × store case: per seed, a barrier and a gather run; their ratio, median over the seeds. */
async function measure(browser, url) {
  return withPage(browser, url, async (page) => {
    const run = (options) => page.evaluate((options) => window.compareRun(options), options);
    await run({ seed: 0 }); // warm-up: the first run in a tab compiles and allocates what later ones reuse
    const rows = [];
    for (const chunks of SIZES) {
      for (const storeMs of STORE_MS) {
        const seeds = [];
        for (const seed of SEEDS) {
          const base = { seed, storeMs, timeScale: 1, ...(chunks ? { chunks } : {}) };
          // Alternating which goes first, so that neither always runs in the other's wake (GC, a warm cache).
          const order = seed % 2 ? ["barrier", "gather"] : ["gather", "barrier"];
          const runs = {};
          for (const approach of order) {
            runs[approach] = await run({ ...base, approach });
            if (runs[approach].approach !== approach) throw new Error(`asked for ${approach}, ran ${runs[approach].approach}`);
          }
          seeds.push({ seed, first: order[0], ...runs, ratio: runs.gather.makespanMs / runs.barrier.makespanMs });
        }
        const n = seeds[0].barrier.chunks;
        const row = {
          n,
          storeMs,
          seeds,
          ratio: median(seeds.map((entry) => entry.ratio)),
          barrierMs: median(seeds.map((entry) => entry.barrier.makespanMs)),
          gatherMs: median(seeds.map((entry) => entry.gather.makespanMs)),
          barrierEvents: median(seeds.map((entry) => entry.barrier.events)),
          gatherEvents: median(seeds.map((entry) => entry.gather.events)),
        };
        rows.push(row);
        console.error(`  ${n} chunks, storeMs ${storeMs}: gather / barrier ${row.ratio.toFixed(3)} ` +
          `(${seeds.map((entry) => entry.ratio.toFixed(3)).join(", ")}), events ${row.barrierEvents} / ${row.gatherEvents}`);
      }
    }
    return rows;
  }, { install: installCompareRun });
}

function report(chromium, rows) {
  const int = (value) => Math.round(value).toLocaleString("en-US");
  return [
    `Chromium ${chromium} (headless), node ${process.version}, real timers (timeScale 1, embedMs [100, 300], scoreMs 50)`,
    "",
    "| chunks | storeMs | gather / barrier makespan | per seed | barrier ms | gather ms | events barrier / gather |",
    "|---:|---:|---:|---|---:|---:|---:|",
    ...rows.map((row) => `| ${int(row.n)} | ${row.storeMs} | ${row.ratio.toFixed(2)} | ` +
      `${row.seeds.map((entry) => entry.ratio.toFixed(3)).join(", ")} | ${int(row.barrierMs)} | ${int(row.gatherMs)} | ` +
      `${int(row.barrierEvents)} / ${int(row.gatherEvents)} |`),
    "",
    `- makespan: the run's makespanMs; per seed (${SEEDS.join(", ")}) one barrier and one gather run in one tab, one at a ` +
      "time, the first of the two alternating; the ratio is the median over the seeds, the ms and events the medians of each approach.",
  ].join("\n");
}

async function main() {
  const { chromium, result: rows } = await withChromium(measure);
  console.log(report(chromium, rows));
  mkdirSync(join(ROOT, "target"), { recursive: true });
  const results = { date: new Date().toISOString(), chromium, node: process.version, seeds: SEEDS, rows };
  writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote ${OUT}`);
}

main().catch((error) => {
  console.error(`compare bench failed: ${error.message}`);
  process.exitCode = 1;
});
