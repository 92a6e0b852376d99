// The hazard demo section (#hazard): one click runs async-barrier and PhaseBarrier at once on real timers.
// async-barrier must show a false leader for generation 0 and PhaseBarrier none, and every number a verdict
// states must be the time of an event the page lists for that run (read from the page, not from canned text).
// The dropped wait is marked on chunk-1's lane (on the canvas, and in its label) where the events put it.
// It runs twice in a row, never scrolls sideways at 390 px, and says why when the module cannot load.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../../scripts/serve.mjs";
import { formatMs } from "../../www/format.js";
import { launchChromium } from "./chromium.mjs";
import { ARTIFACTS, nextFrames, openDemo } from "./demo.mjs";

let demo, page, problems;

before(async () => {
  demo = await openDemo({ viewport: { width: 1280, height: 900 } });
  ({ page, problems } = demo);
});

after(() => demo?.close());

/** Clicks "Show the hazard" (checking it disables while both runs go) and waits until it is back. */
async function showHazard(on = page) {
  await on.waitForSelector("#hazard-run:not([disabled])");
  await on.click("#hazard-run");
  assert.equal(await on.isDisabled("#hazard-run"), true, "disabled while running");
  await on.waitForSelector("#hazard-run:not([disabled])", { timeout: 20_000 });
  assert.match(await on.textContent("#hazard-state"), /^Done:/);
  assert.equal(await on.isVisible("#hazard-error"), false);
}

/** What the page shows for one barrier's run: its verdict, key events, every event, lane statuses. */
function read(barrier) {
  return page.$eval(`#hazard .hazard-run[data-barrier="${barrier}"]`, (article) => {
    const items = (selector) => [...article.querySelectorAll(`${selector} > li`)].map((item) => ({
      type: item.dataset.type, t: Number(item.dataset.t), chunk: item.dataset.chunk === undefined ? undefined
        : Number(item.dataset.chunk), generation: item.dataset.generation === undefined ? undefined
        : Number(item.dataset.generation), text: item.textContent,
    }));
    return {
      verdict: article.querySelector(".hazard-verdict").textContent,
      key: items(".hazard-events"),
      all: items(".hazard-all"),
      statuses: [...article.querySelectorAll(".lanes-rows .status")].map((status) => status.textContent),
      label: article.querySelector(".lanes-canvas").getAttribute("aria-label"),
      releases: [...article.querySelectorAll(".releases li")].map((item) => item.textContent),
    };
  });
}

/**
 * Where the canvas of `barrier`'s run has ink-coloured pixels along the middle of each lane: per lane, the x (CSS px
 * from the canvas's left) of each such pixel within 5 px of its middle. The release lines are ink; so is the mark of a dropped wait.
 */
function inkAlongLanes(barrier) {
  return page.$eval(`#hazard .hazard-run[data-barrier="${barrier}"] .lanes`, (root) => {
    const canvas = root.querySelector(".lanes-canvas");
    const scroll = root.querySelector(".lanes-scroll");
    const ratio = canvas.width / canvas.clientWidth;
    const ink = getComputedStyle(root).getPropertyValue("--lane-ink").trim().match(/[0-9a-f]{2}/gi).map((hex) => parseInt(hex, 16));
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    return [...root.querySelectorAll(".lanes-rows > li")].map((row) => {
      const middle = (scroll.offsetTop + row.offsetTop + row.offsetHeight / 2 - scroll.scrollTop) * ratio;
      const xs = new Set();
      for (let y = Math.round(middle - 5 * ratio); y <= Math.round(middle + 5 * ratio); y++) {
        for (let x = 0; x < canvas.width; x++) {
          const at = (y * canvas.width + x) * 4;
          if (Math.abs(data[at] - ink[0]) + Math.abs(data[at + 1] - ink[1]) + Math.abs(data[at + 2] - ink[2]) < 60) xs.add(x / ratio);
        }
      }
      return [...xs].sort((a, b) => a - b);
    });
  });
}

/** The one event of `events` matching `fields`; fails if there is not exactly one. */
function one(events, fields) {
  const found = events.filter((event) => Object.entries(fields).every(([key, value]) => event[key] === value));
  assert.equal(found.length, 1, `one event like ${JSON.stringify(fields)}, found ${found.length}`);
  return found[0];
}

/** Whether every Phase 1 completion comes before every Phase 2 start: the barrier's promise. */
function phasesApart(events) {
  const lastEmbed = events.findLastIndex((event) => event.type === "phase-complete" && event.text.includes("Phase 1"));
  const firstScore = events.findIndex((event) => event.type === "phase-start" && event.text.includes("Phase 2"));
  return lastEmbed < firstScore;
}

test("the section explains the script in Rust's own numbers before anything runs", async () => {
  await page.waitForSelector("#hazard-run:not([disabled])");
  assert.equal(await page.textContent("#hazard-run"), "Show the hazard");
  const script = await page.textContent("#hazard-script");
  assert.match(script, /embed for 40, 60, 80 and 200 ms/);
  assert.match(script, /chunk-1 waits at most 50 ms/);
  assert.match(await page.textContent("#hazard .hazard-verdict"), /^Press Show the hazard/);
});

for (const round of ["first", "second"]) {
  test(`${round} run: async-barrier shows a false leader, PhaseBarrier none, each verdict from its events`, async () => {
    await showHazard();
    const classic = await read("classic");
    const phase = await read("phase");
    for (const { all } of [classic, phase]) {
      assert.equal(all.filter((event) => event.type === "run-end").length, 1, "one run's events, not two runs'");
      assert.equal(all.at(-1).type, "run-end");
      assert.ok(all.every((event, i) => i === 0 || all[i - 1].t <= event.t), "in time order");
      const gaveUp = one(all, { type: "wait-cancelled", chunk: 1 });
      assert.match(gaveUp.text, /chunk-1 gave up waiting after \d+ ms: its wait was dropped/);
    }
    const embedEnd = (all, chunk) => all.find((event) => event.type === "phase-complete" && event.chunk === chunk &&
      event.text.endsWith(`Phase 1 complete: chunk-${chunk}`));
    const scoreEnd = (all, chunk) => all.find((event) => event.type === "phase-complete" && event.chunk === chunk &&
      event.text.endsWith(`Phase 2 complete: chunk-${chunk}`));

    // async-barrier: its wait dropped, chunk-1's arrival stayed counted; generation 0 released with chunk-1 as
    // leader while chunk-3 was still embedding; generation 1 led by chunk-3 before it scored; chunk-3 parked.
    const early = one(classic.all, { type: "barrier-release", generation: 0 });
    assert.match(early.text, /generation 0, leader chunk-1$/);
    const classicEmbedded = embedEnd(classic.all, 3);
    assert.ok(early.t < classicEmbedded.t, `released at ${early.t} ms, chunk-3 embedded at ${classicEmbedded.t} ms`);
    assert.equal(classic.all.filter((event) => event.type === "barrier-withdraw").length, 0);
    assert.equal(phasesApart(classic.all), false, "Phase 2 began while chunk-3 embedded");
    const next = one(classic.all, { type: "barrier-release", generation: 1 });
    assert.match(next.text, /leader chunk-3$/);
    const scoredAt = scoreEnd(classic.all, 3).t;
    // Parked since its arrival in generation 2, a pacer turn after its score (not the score's own moment).
    const parkedAt = one(classic.all, { type: "barrier-arrive", chunk: 3, generation: 2 }).t;
    const end = one(classic.all, { type: "run-end" });
    assert.equal(classic.verdict,
      `async-barrier released generation 0 at ${formatMs(early.t)}, led by chunk-1, while chunk-3 was still ` +
      `embedding (until ${formatMs(classicEmbedded.t)}): chunk-1's cancelled arrival was still counted. ` +
      `Generation 1 followed at ${formatMs(next.t)}, led by chunk-3, while chunk-3 had not scored yet ` +
      `(it did at ${formatMs(scoredAt)}). When the demo ended at ${formatMs(end.t)}, chunk-3 (in generation 2 ` +
      `since ${formatMs(parkedAt)}) was still parked at the barrier, waiting for a release that would never come.`);
    for (const type of ["wait-cancelled", "barrier-release", "chunk-cancelled"]) {
      assert.ok(classic.key.some((event) => event.type === type), `${type} is among the key events`);
    }
    assert.deepEqual(classic.statuses.slice(0, 3), ["scored ✓", "scored ✓", "scored ✓"]);
    assert.equal(classic.statuses[3], "cancelled at the barrier");
    assert.equal(classic.releases[0], `Generation 0 released at ${formatMs(early.t)}, led by chunk-1.`);

    // PhaseBarrier: the arrival withdrawn, generation 0 released only when chunk-3 arrived, led by it.
    const withdrawn = one(phase.all, { type: "barrier-withdraw", chunk: 1 });
    assert.match(withdrawn.text, /chunk-1's arrival taken back, 2 of 4 left in generation 0$/);
    const release = one(phase.all, { type: "barrier-release", generation: 0 });
    assert.match(release.text, /generation 0, leader chunk-3$/);
    assert.ok(release.t >= embedEnd(phase.all, 3).t, "released once chunk-3 embedded");
    assert.equal(phasesApart(phase.all), true, "no chunk scored before every chunk embedded");
    const last = one(phase.all, { type: "run-end" });
    assert.equal(phase.verdict,
      `PhaseBarrier withdrew chunk-1's cancelled arrival and released generation 0 at ${formatMs(release.t)}, ` +
      `led by chunk-3, the last to arrive. Every chunk finished both phases, the last at ${formatMs(last.t)}.`);
    assert.ok(phase.key.some((event) => event.type === "barrier-withdraw" && event.t === withdrawn.t));
    assert.equal(phase.all.filter((event) => event.type === "chunk-cancelled").length, 0);
    assert.deepEqual(phase.statuses, ["scored ✓", "scored ✓", "scored ✓", "scored ✓"]);

    // chunk-1's dropped wait and its arrival again are marked on its lane (↺), said in each canvas's label, and
    // keyed. On PhaseBarrier's lanes nothing else is ink left of the first release line: the mark is where the
    // line through the two release lines (x = a + b·t) puts the moment it gave up.
    for (const [{ all, label }, name, kept] of [[classic, "async-barrier", "still counted"], [phase, "PhaseBarrier", "withdrew"]]) {
      const gaveUp = one(all, { type: "wait-cancelled", chunk: 1 });
      const again = all.find((event) => event.type === "barrier-arrive" && event.chunk === 1 && event.t >= gaveUp.t);
      assert.ok(label.endsWith(`; chunk-1 gave up waiting at ${formatMs(gaveUp.t)} (the ↺ on its lane): ${name} ${kept} ` +
        `its arrival, and chunk-1 arrived again at ${formatMs(again.t)}.`), label);
    }
    await nextFrames(page); // the canvas is presented anew the frame after the run ends
    const lanes = await inkAlongLanes("phase");
    const [gen0, gen1] = [0, 1].map((generation) => one(phase.all, { type: "barrier-release", generation }).t);
    const lineX = Math.min(...lanes[0]); // chunk-0's lane: ink only where the release lines cross it
    const line1X = Math.max(...lanes[0]);
    const perMs = (line1X - lineX) / (gen1 - gen0);
    const expected = lineX + (one(phase.all, { type: "wait-cancelled", chunk: 1 }).t - gen0) * perMs;
    const marked = lanes[1].filter((x) => x < lineX - 4);
    assert.ok(marked.length > 0, "chunk-1's lane is marked before the first release");
    assert.ok(marked.every((x) => Math.abs(x - expected) <= 12), `marked at ${marked}, the moment is at ${expected}`);
    for (const lane of [0, 2, 3]) assert.ok(lanes[lane].every((x) => x >= lineX - 4), `chunk-${lane}'s lane is not marked`);
    assert.match(await page.textContent("#hazard .hazard-key"), /↺a chunk gave up waiting and arrived again/);

    // The two lane charts share one time axis, and the key is painted.
    const axes = await page.$$eval("#hazard .lanes .axis", (nodes) => nodes.map((node) => node.textContent));
    assert.equal(axes.length, 2);
    assert.equal(axes[0], axes[1]);
    assert.deepEqual(problems, []);
    await page.$eval("#hazard", (section) => section.scrollIntoView());
    await page.screenshot({ path: `${ARTIFACTS}/hazard-1280-${round}.png`, fullPage: false });
  });
}

test("at 390 px the section never scrolls sideways, and a run fits", async () => {
  const narrow = await demo.browser.newPage({ viewport: { width: 390, height: 844 } });
  const errors = [];
  narrow.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  narrow.on("pageerror", (error) => errors.push(error.message));
  try {
    await narrow.goto(demo.url);
    await showHazard(narrow);
    assert.equal(await narrow.evaluate(() => document.documentElement.scrollWidth), 390);
    const widest = await narrow.$$eval("#hazard *", (nodes) => Math.max(...nodes.map((node) => node.getBoundingClientRect().right)));
    assert.ok(widest <= 390, `an element of #hazard reaches ${widest} px`);
    await (await narrow.$("#hazard")).screenshot({ path: `${ARTIFACTS}/hazard-390.png` });
    assert.deepEqual(errors, []);
  } finally {
    await narrow.close();
  }
});

test("without the WebAssembly module the section says why instead of keeping a dead button", async () => {
  const { server, url } = await startServer({ port: 0 });
  const browser = await launchChromium();
  try {
    const broken = await browser.newPage();
    await broken.route("**/rag_phase_sync_bg.wasm", (route) => route.fulfill({ status: 404, body: "" }));
    await broken.goto(url);
    await broken.waitForSelector("#hazard-error:not([hidden])");
    assert.equal(await broken.textContent("#hazard-run"), "Unavailable");
    assert.equal(await broken.isDisabled("#hazard-run"), true);
    assert.match(await broken.textContent("#hazard-error"), /did not load/);
  } finally {
    await browser.close();
    server.close();
  }
});
