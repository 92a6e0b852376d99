#!/usr/bin/env node
// The whole pipeline in headless Chromium, through the JS API (`runPipeline`),
// as a page uses it. Measures:
//
//   1. zero latency (embedMs [0, 0], scoreMs 0) over 1,000 / 10,000 / 100,000
//      distinct chunks of a seeded synthetic corpus, with a callback that
//      receives every event: wall time of the call, best of 3, and the event
//      count (and runPipelineBatched too, when the module exports it);
//   2. the seed's Python solution (benches/pipeline/seed.py) at the same N,
//      as "Python / ours";
//   3. real timers (default latencies) over 6 / 1,000 / 10,000 chunks:
//      makespan / critical path, median of 3;
//   4. during a 100,000-chunk run (zero and default latencies), in a fresh
//      page: the longest task (PerformanceObserver "longtask") and the
//      largest gap between the ticks of a 5 ms setInterval probe, which is
//      the freeze a person would feel;
//   5. the release .wasm's size, raw and gzip -9.
//
// It prints one table and writes every figure to target/bench-browser.json.
//
// Run from the repository root, after `make build` (and, once,
// `cd tests/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci`):
//
//   node benches/browser/bench.mjs [--python-ms-100000=5600 ...]
//
// --python-ms-<N>=<ms> gives Python's time at N instead of running seed.py
// (which is run only if benches/pipeline/seed.py exists).

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { ROOT } from "../../scripts/serve.mjs";
import { median, withChromium, withPage } from "./harness.mjs";

const SIZES = [1_000, 10_000, 100_000]; // measurement 1 and 2
const REAL_SIZES = [6, 1_000, 10_000]; // measurement 3
const FREEZE_CHUNKS = 100_000; // measurement 4
const RUNS = 3;
const ZERO = { embedMs: [0, 0], scoreMs: 0 };
const WASM = join(ROOT, "pkg", "rag_phase_sync_bg.wasm");
const SEED_PY = join(ROOT, "benches", "pipeline", "seed.py");
const OUT = join(ROOT, "target", "bench-browser.json");

// ---------------------------------------------------------------------------
// In the page. Installed once per page as `window.bench`; playwright sends the
// function's source, so it may use nothing from this file's scope but its argument.

async function installPageHelpers({ zero }) {
  const wasm = await import("/pkg/rag_phase_sync.js");
  await wasm.default(); // the page's app.js has already initialised it: returns at once
  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

  /** mulberry32: a seeded generator of floats in [0, 1). */
  function generator(seed) {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** `count` distinct pseudo-words of 2 or 3 consonant-vowel syllables ("tavi", "mokeru"). */
  function pseudoWords(count, random) {
    const consonants = "bdfgklmnprtvz";
    const vowels = "aeiou";
    const pick = (letters) => letters[Math.floor(random() * letters.length)];
    const words = new Set();
    while (words.size < count) {
      let word = "";
      for (let syllable = 2 + Math.floor(random() * 2); syllable > 0; syllable--) word += pick(consonants) + pick(vowels);
      words.add(word);
    }
    return [...words];
  }

  /**
   * `n` distinct documents of 12 to 16 words (14 on average) drawn from 3,000
   * pseudo-words with Zipf-like frequencies (rank = 3000^u), each starting
   * with its own token (`doc42`), and a query of three of the words. Kept in
   * the page (one corpus at a time); only its statistics go back to node.
   */
  let corpus = null;
  function makeCorpus(n, seed = 1) {
    const random = generator(seed);
    const words = pseudoWords(3000, random);
    const documents = new Array(n);
    for (let i = 0; i < n; i++) {
      const text = [`doc${i}`];
      for (let k = 12 + Math.floor(random() * 5); k > 0; k--) text.push(words[Math.floor(words.length ** random()) - 1]);
      documents[i] = text.join(" ");
    }
    const encoder = new TextEncoder();
    const bytes = documents.reduce((sum, text) => sum + encoder.encode(text).length, 0);
    const wordCount = documents.reduce((sum, text) => sum + text.split(" ").length - 1, 0); // not the token
    corpus = { documents, query: `${words[3]} ${words[30]} ${words[300]}` };
    return { documents: n, distinct: new Set(documents).size, bytes, meanWords: wordCount / n, query: corpus.query };
  }

  /**
   * A callback for every event (or every batch) that counts them and touches `t`;
   * with `plan`, it also keeps the longest plannedMs of each phase (the critical path).
   */
  function counter(plan) {
    const count = { events: 0, tSum: 0, path: plan ? window.criticalPath() : null }; // critical-path.mjs
    count.onEvent = (event) => {
      count.events++;
      count.tSum += event.t;
      count.path?.onEvent(event);
    };
    count.onBatch = (batch) => batch.forEach(count.onEvent);
    return count;
  }

  /** One runPipeline (or runPipelineBatched) call, timed with performance.now() around it. */
  async function timedRun(options, { batched = false, plan = false } = {}) {
    const count = counter(plan);
    const start = performance.now();
    const result = batched
      ? await wasm.runPipelineBatched(options, count.onBatch)
      : await wasm.runPipeline(options, count.onEvent);
    const wallMs = performance.now() - start;
    return {
      wallMs,
      events: count.events,
      tSum: count.tSum,
      makespanMs: result.makespanMs,
      criticalPathMs: count.path?.ms(),
    };
  }

  window.bench = {
    hasBatched: typeof wasm.runPipelineBatched === "function",
    makeCorpus,

    /** Measurement 1: `runs` zero-latency runs over the current corpus. */
    async zeroLatency(runs, batched) {
      const options = { documents: corpus.documents, query: corpus.query, seed: 1, ...zero };
      const results = [];
      for (let run = 0; run < runs; run++) results.push(await timedRun(options, { batched }));
      return results;
    },

    /** Measurement 3: one run of `chunks` chunks (the bundled corpus repeated) on real timers, default latencies. */
    realTimers: (chunks, seed) => timedRun({ chunks, seed }, { plan: true }),

    /** Measurement 4: one run, watched by a longtask observer and a 5 ms setInterval probe. */
    async freeze(options) {
      const supported = PerformanceObserver.supportedEntryTypes.includes("longtask");
      const longTasks = [];
      const observer = supported && new PerformanceObserver((list) => longTasks.push(...list.getEntries()));
      observer?.observe({ type: "longtask", buffered: false });
      const ticks = [];
      const probe = setInterval(() => ticks.push(performance.now()), 5);
      await sleep(50); // the probe is ticking before the call, so its synchronous part counts too
      const run = await timedRun(options);
      await sleep(50); // one more tick after the last task of the run
      clearInterval(probe);
      if (observer) {
        longTasks.push(...observer.takeRecords());
        observer.disconnect();
      }
      let maxGapMs = 0;
      for (let i = 1; i < ticks.length; i++) maxGapMs = Math.max(maxGapMs, ticks[i] - ticks[i - 1]);
      const longest = longTasks.reduce((max, entry) => Math.max(max, entry.duration), 0);
      return { ...run, longTaskSupported: supported, longTasks: longTasks.length, longestTaskMs: longest, maxGapMs, ticks: ticks.length };
    },
  };
}

// ---------------------------------------------------------------------------
// In node.

/** A tab on the demo page with `window.bench` installed (installPageHelpers). */
const withBenchPage = (browser, url, use) => withPage(browser, url, use, { install: installPageHelpers, arg: { zero: ZERO } });

const best = (runs) => runs.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));

/** Measurement 1: zero latency, N distinct chunks, best of RUNS (and the batched API when it exists). */
async function measureZeroLatency(browser, url) {
  return withBenchPage(browser, url, async (page) => {
    const hasBatched = await page.evaluate(() => window.bench.hasBatched);
    const rows = [];
    for (const n of SIZES) {
      const corpus = await page.evaluate((n) => window.bench.makeCorpus(n), n);
      if (corpus.distinct !== n || corpus.bytes >= 10_000_000 || n > 100_000) {
        throw new Error(`synthetic corpus out of bounds: ${JSON.stringify(corpus)}`);
      }
      const runs = await page.evaluate((runs) => window.bench.zeroLatency(runs, false), RUNS);
      const batchedRuns = hasBatched ? await page.evaluate((runs) => window.bench.zeroLatency(runs, true), RUNS) : null;
      rows.push({ n, corpus, runs, best: best(runs), batchedRuns, batchedBest: batchedRuns && best(batchedRuns) });
      console.error(`  zero latency ${n}: ${best(runs).wallMs.toFixed(1)} ms`);
    }
    return { hasBatched, rows };
  });
}

/** Measurement 3: real timers, makespan / critical path, the median of RUNS runs (seeds 1..RUNS). */
async function measureRealTimers(browser, url) {
  return withBenchPage(browser, url, async (page) => {
    const rows = [];
    for (const n of REAL_SIZES) {
      const runs = [];
      for (let seed = 1; seed <= RUNS; seed++) {
        const run = await page.evaluate(([n, seed]) => window.bench.realTimers(n, seed), [n, seed]);
        runs.push({ ...run, seed, ratio: run.makespanMs / run.criticalPathMs });
      }
      const ratio = median(runs.map((run) => run.ratio));
      rows.push({ n, runs, ratio, median: runs.find((run) => run.ratio === ratio) });
      console.error(`  real timers ${n}: makespan / critical path ${ratio.toFixed(2)}`);
    }
    return rows;
  });
}

/** Measurement 4: longest task and largest probe gap during one 100k-chunk run, each in a fresh tab. */
async function measureFreeze(browser, url) {
  const cases = [
    { name: "zero latency", options: { chunks: FREEZE_CHUNKS, seed: 1, ...ZERO } },
    { name: "default latencies", options: { chunks: FREEZE_CHUNKS, seed: 1 } },
  ];
  const rows = [];
  for (const { name, options } of cases) {
    const result = await withBenchPage(browser, url, (page) => page.evaluate((options) => window.bench.freeze(options), options));
    rows.push({ name, n: FREEZE_CHUNKS, options, ...result });
    console.error(`  freeze, ${name}: longest task ${result.longestTaskMs} ms, largest gap ${result.maxGapMs.toFixed(0)} ms`);
  }
  return rows;
}

/** Measurement 2: Python's seconds at each N: an override, or seed.py's best of RUNS, or nothing. */
function measurePython(overrides) {
  const rows = {};
  for (const n of SIZES) {
    if (overrides.has(n)) {
      rows[n] = { ms: overrides.get(n), source: "override" };
      continue;
    }
    if (!existsSync(SEED_PY)) continue;
    const runs = [];
    for (let run = 0; run < RUNS; run++) {
      const child = spawnSync("python3", [SEED_PY, String(n)], { encoding: "utf8", timeout: 600_000 });
      const seconds = Number((child.stdout ?? "").match(/elapsed_s\s+([0-9.eE+-]+)/)?.[1]);
      if (child.status !== 0 || !Number.isFinite(seconds)) {
        throw new Error(`python3 ${SEED_PY} ${n} failed (status ${child.status}): ${child.error?.message ?? child.stderr}`);
      }
      runs.push(seconds * 1000);
    }
    rows[n] = { ms: Math.min(...runs), runs, source: "benches/pipeline/seed.py" };
    console.error(`  Python ${n}: ${rows[n].ms.toFixed(1)} ms`);
  }
  return rows;
}

/** Measurement 5: the release module's size, raw and gzip -9. */
function measureWasm() {
  const bytes = readFileSync(WASM);
  return { raw: bytes.length, gzip9: gzipSync(bytes, { level: 9 }).length };
}

/** `--python-ms-<N>=<ms>` flags as a Map from N to ms; anything else is an error. */
function parseArgs(argv) {
  const overrides = new Map();
  for (const arg of argv) {
    const match = arg.match(/^--python-ms-(\d+)=(\d+(?:\.\d+)?)$/);
    if (!match || !SIZES.includes(Number(match[1]))) {
      throw new Error(`unknown argument ${arg}; usage: node benches/browser/bench.mjs [--python-ms-<N>=<ms> ...], N in ${SIZES.join(", ")}`);
    }
    overrides.set(Number(match[1]), Number(match[2]));
  }
  return overrides;
}

// ---------------------------------------------------------------------------
// The table.

const int = (value) => Math.round(value).toLocaleString("en-US");
const ms = (value) => (value < 100 ? value.toFixed(1) : int(value));
const dash = "–";

/** A Markdown table, numbers right-aligned. */
function table(headers, rows) {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => `| ${cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(" | ")} |`;
  const rule = `|${widths.map((width, i) => (i < 2 ? "-".repeat(width + 2) : `${"-".repeat(width + 1)}:`)).join("|")}|`;
  return [line(headers), rule, ...rows.map(line)].join("\n");
}

function report({ chromium, wasm, zero, python, real, freeze }) {
  const headers = ["run", "N", "wall ms", "batched ms", "events", "Python ms", "Python / ours",
    "makespan / critical path", "longest task ms", "probe gap ms"];
  const rows = [];
  for (const row of zero.rows) {
    const peer = python[row.n];
    rows.push(["zero latency, N distinct docs", int(row.n), ms(row.best.wallMs),
      row.batchedBest ? ms(row.batchedBest.wallMs) : dash, int(row.best.events),
      peer ? ms(peer.ms) : dash, peer ? (peer.ms / row.best.wallMs).toFixed(2) : dash, dash, dash, dash]);
  }
  for (const row of real) {
    const { makespanMs, criticalPathMs, wallMs, events } = row.median;
    rows.push(["real timers, chunks: N", int(row.n), ms(wallMs), dash, int(events), dash, dash,
      `${row.ratio.toFixed(2)} (${int(makespanMs)} / ${int(criticalPathMs)})`, dash, dash]);
  }
  for (const row of freeze) {
    rows.push([`freeze: ${row.name}, chunks: N`, int(row.n), ms(row.wallMs), dash, int(row.events), dash, dash, dash,
      row.longTaskSupported ? ms(row.longestTaskMs) : "unsupported", ms(row.maxGapMs)]);
  }

  const notes = [
    `wall ms: performance.now() around the runPipeline call with a callback that counts every event; zero latency: best of ${RUNS}` +
      ` (at every N, 100,000 included); real timers: the run with the median makespan / critical path of ${RUNS} (seeds 1-${RUNS}); freeze: one run in a fresh tab.`,
    `synthetic corpus: ${zero.rows.map((row) => `${int(row.n)} docs ${(row.corpus.bytes / 1e6).toFixed(2)} MB`).join(", ")}` +
      ` (${zero.rows[0].corpus.meanWords.toFixed(1)} pseudo-words on average + a unique token each, every text distinct); query "${zero.rows[0].corpus.query}".`,
    zero.hasBatched ? `batched ms: runPipelineBatched, same options, best of ${RUNS}.` : "batched ms: the module exports no runPipelineBatched.",
    Object.keys(python).length === 0
      ? "Python: skipped (no benches/pipeline/seed.py here and no --python-ms-<N>= override)."
      : `Python: ${[...new Set(Object.values(python).map((row) => row.source))].join(", ")} (seed.py: best of ${RUNS}, its own elapsed_s; the seed's mock embedding and score, not BM25). Python / ours > 1: ours is faster.`,
    "critical path: max plannedMs over embed phase-starts + max over score phase-starts (default latencies: embedMs [100, 300], scoreMs 50, timeScale 1).",
    `longest task: max duration of PerformanceObserver "longtask" entries (0 if none reached 50 ms); probe gap ms: the largest interval between the ticks of a setInterval(…, 5) probe during the run (what a person would feel).`,
  ];
  return [
    `Chromium ${chromium} (headless), node ${process.version}`,
    `pkg/rag_phase_sync_bg.wasm: ${int(wasm.raw)} bytes raw, ${int(wasm.gzip9)} bytes gzip -9 (${(wasm.gzip9 / 1024).toFixed(1)} KiB)`,
    "",
    table(headers, rows),
    "",
    ...notes.map((note) => `- ${note}`),
  ].join("\n");
}

// ---------------------------------------------------------------------------

async function main() {
  const overrides = parseArgs(process.argv.slice(2));
  if (!existsSync(WASM)) throw new Error("pkg/ is missing: run `make build` first");
  const wasm = measureWasm();
  const { chromium, result: { zero, real, freeze } } = await withChromium(async (browser, url) => ({
    zero: await measureZeroLatency(browser, url),
    real: await measureRealTimers(browser, url),
    freeze: await measureFreeze(browser, url),
  }));
  // After the browser is gone, so that the two never share the cores.
  const python = measurePython(overrides);

  const results = { date: new Date().toISOString(), chromium, node: process.version, wasm, zero, python, real, freeze };
  console.log(report(results));
  mkdirSync(join(ROOT, "target"), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote ${OUT}`);
}

main().catch((error) => {
  console.error(`bench failed: ${error.message}`);
  process.exitCode = 1;
});
