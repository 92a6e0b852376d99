// The lanes at any scale, measured from what the canvas drew: the release
// lines sit where Phase 2 begins and ends on the time axis (at 1280 and 390
// px), 10,000 chunks at real time keep the page responsive and every lane
// reachable, and no run is capped at 48 lanes. Screenshots go to artifacts/.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { ARTIFACTS, openDemo } from "./demo.mjs";

let demo, browser, page, problems;

before(async () => {
  demo = await openDemo({ viewport: { width: 1280, height: 900 } });
  ({ browser, page, problems } = demo);
});

after(() => demo?.close());

/** Runs the page's form with `chunks` (blank: the bundled corpus) at real time, and waits for the run to end. */
async function run(chunks, { timeout = 60_000 } = {}) {
  await page.fill("[name=chunks]", chunks);
  await page.fill("[name=seed]", "3");
  await page.selectOption("[name=timeScale]", "1");
  await page.click("#run");
  await page.waitForSelector("#stop:disabled", { timeout });
  assert.equal(await page.isVisible("#error"), false);
}

/** Finds chunk `chunk` with the lanes' "Find chunk" control; resolves to its lane's name and status. */
async function find(chunk) {
  await page.fill("#timeline [name=find]", String(chunk));
  await page.press("#timeline [name=find]", "Enter");
  return page.$eval("#timeline .lane.highlighted", (lane) => ({
    name: lane.querySelector(".name").firstChild.textContent,
    status: lane.querySelector(".status").textContent,
    visible: (() => {
      const box = lane.getBoundingClientRect();
      const view = document.querySelector("#timeline .lanes-scroll").getBoundingClientRect();
      return box.top >= view.top - 0.5 && box.bottom <= view.bottom + 0.5 && box.height > 0;
    })(),
  }));
}

/**
 * What the canvas drew, read back in the page: the x (CSS px, on the canvas) of every release line (columns
 * of the release colour through at least 90% of the rows), the first and last column of Phase 2 bars (the
 * colours of the legend's score key), and the axis's tick marks, with the tick spacing the axis's text states.
 */
function measure() {
  return page.evaluate(() => {
    const canvas = document.querySelector("#timeline .lanes-canvas");
    const box = canvas.getBoundingClientRect();
    const ratio = canvas.width / box.width;
    const rowsBox = document.querySelector("#timeline .lanes-scroll").getBoundingClientRect();
    const top = Math.round((rowsBox.top - box.top) * ratio);
    const bottom = Math.round((rowsBox.bottom - box.top) * ratio);
    const { data, width } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    const probe = document.createElement("canvas").getContext("2d");
    const rgb = (css) => {
      probe.fillStyle = css;
      probe.fillRect(0, 0, 1, 1);
      return [...probe.getImageData(0, 0, 1, 1).data.slice(0, 3)];
    };
    const style = getComputedStyle(canvas);
    const release = rgb(style.getPropertyValue("--lane-release"));
    const muted = rgb(style.getPropertyValue("--lane-muted"));
    // The score pattern's colours, as the legend's key shows them.
    const key = document.querySelector("#timeline-panel canvas[data-fill=score]");
    const keyData = key.getContext("2d").getImageData(0, 0, key.width, key.height).data;
    const score = new Map();
    for (let i = 0; i < keyData.length; i += 4) score.set(keyData.slice(i, i + 3).join(), true);
    const at = (x, y) => 4 * (y * width + x);
    const is = (i, [r, g, b]) => Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) <= 6;
    /** Runs of adjacent columns as their centres, in CSS px. */
    const centres = (columns) => {
      const runs = [];
      for (const x of columns) {
        if (runs.length && runs.at(-1)[1] === x - 1) runs.at(-1)[1] = x;
        else runs.push([x, x]);
      }
      return runs.map(([a, b]) => (a + b + 1) / 2 / ratio);
    };
    const releaseColumns = [];
    let firstScore = Infinity;
    let lastScore = -Infinity;
    for (let x = 0; x < width; x++) {
      let lined = 0;
      for (let y = top; y < bottom; y++) {
        const i = at(x, y);
        if (is(i, release)) lined++;
        if (score.has(`${data[i]},${data[i + 1]},${data[i + 2]}`)) {
          firstScore = Math.min(firstScore, x);
          lastScore = Math.max(lastScore, x + 1); // the right edge of the column
        }
      }
      if (lined >= 0.9 * (bottom - top)) releaseColumns.push(x);
    }
    const ticks = [];
    for (let x = 0; x < width; x++) if (is(at(x, top - 3), muted)) ticks.push(x);
    const axis = document.querySelector("#timeline .axis").textContent;
    const gates = [...document.querySelectorAll("#barriers .barrier")].map((item) => item.textContent);
    return {
      releases: centres(releaseColumns), firstScore: firstScore / ratio, lastScore: lastScore / ratio,
      ticks: centres(ticks), axis, gates, plotWidth: box.width,
    };
  });
}

/** The x the axis gives time `t` (ms): its tick marks are 0, step, 2 step…, the step its text states. */
function onAxis({ ticks, axis }, t) {
  const step = Number(axis.match(/a tick every ([\d,.]+) ms/)[1].replaceAll(",", ""));
  assert.ok(ticks.length >= 3, `at least 3 ticks: ${ticks}`);
  const perMs = (ticks.at(-1) - ticks[0]) / ((ticks.length - 1) * step);
  return ticks[0] + t * perMs;
}

for (const width of [1280, 390]) {
  test(`at ${width} px the release lines are where Phase 2 starts and ends, on the time axis`, async () => {
    await page.setViewportSize({ width, height: 900 });
    await run("");
    const drawn = await measure();
    assert.equal(drawn.releases.length, 2, JSON.stringify(drawn));
    const [gen0, gen1] = drawn.releases;
    // The first Phase 2 bar starts at generation 0's release; the last one ends at generation 1's.
    assert.ok(Math.abs(gen0 - drawn.firstScore) <= 2, `gen 0 line ${gen0}, first score pixel ${drawn.firstScore}`);
    assert.ok(Math.abs(gen1 - drawn.lastScore) <= 2, `gen 1 line ${gen1}, last score pixel ${drawn.lastScore}`);
    // And both are where the axis puts the release times the events gave (the gate's text, to the ms).
    const times = drawn.gates.map((text) => Number(text.match(/released at (\d+) ms/)[1]));
    for (const [generation, x] of [gen0, gen1].entries()) {
      const expected = onAxis(drawn, times[generation]);
      assert.ok(Math.abs(x - expected) <= 2, `gen ${generation} at ${times[generation]} ms: line ${x}, axis ${expected}`);
    }
    assert.ok(gen1 - gen0 > 2, "the two lines are apart");
    await page.screenshot({ path: `${ARTIFACTS}lanes-46-${width}.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  });
}

test("at 250 chunks every chunk has a lane: chunk 199 and chunk 249 are found", async () => {
  await run("250");
  assert.match(await page.textContent("#timeline .lanes-scale"), /^\d+ chunks a row$/, "250 rows do not fit: bands");
  for (const chunk of [199, 249, 0]) {
    const lane = await find(chunk);
    assert.equal(lane.name, `chunk-${chunk}`);
    assert.match(lane.status, /^score \d\.\d\d( · early \d\.\d\d)? ✓$/);
    assert.equal(lane.visible, true);
  }
  assert.equal(await page.textContent("#timeline .lanes-scale"), "1 chunk a row");
  assert.equal(await page.locator("#timeline .lane.highlighted").count(), 1);
  // Beyond the run: no lane, and the control says so.
  await page.fill("#timeline [name=find]", "250");
  await page.press("#timeline [name=find]", "Enter");
  assert.match(await page.textContent("#timeline .lanes-note"), /^No chunk 250: this run has chunks 0 to 249\.$/);
});

test("10,000 chunks at real time: the page answers input within 100 ms, and chunk 9,990 is found", async () => {
  await page.evaluate(() => {
    window.inputDelays = [];
    document.querySelector("[name=query]").addEventListener("keydown", (event) => {
      // event.timeStamp is when the browser took the key; now is when the page could handle it.
      window.inputDelays.push({ ms: performance.now() - event.timeStamp, running: !document.querySelector("#stop").disabled });
    });
  });
  await page.fill("[name=chunks]", "10000");
  await page.selectOption("[name=timeScale]", "1");
  await page.click("[name=query]");
  await page.keyboard.press("End");
  await page.keyboard.press("Enter"); // runs; focus moves to Stop, so back to the field for the keys below
  await page.focus("[name=query]");
  // Keys, one after another, for as long as the run is in flight.
  for (let key = 0; key < 500 && !(await page.isDisabled("#stop")); key++) {
    await page.keyboard.press(key % 2 ? "Backspace" : "x");
  }
  await page.waitForSelector("#stop:disabled", { timeout: 60_000 });
  assert.match(await page.textContent("#answer .answer-text"), /\S/);
  const delays = await page.evaluate(() => window.inputDelays);
  const during = delays.filter((delay) => delay.running);
  assert.ok(during.length >= 3, `keys pressed while the run was in flight: ${JSON.stringify(delays)}`);
  const worst = Math.max(...delays.map((delay) => delay.ms));
  assert.ok(worst <= 100, `the slowest key took ${worst.toFixed(1)} ms: ${JSON.stringify(delays)}`);
  await page.screenshot({ path: `${ARTIFACTS}lanes-10000-1280.png`, fullPage: true });

  const lane = await find(9990);
  assert.deepEqual([lane.name, lane.visible], ["chunk-9990", true]);
  assert.match(lane.status, /^score \d\.\d\d( · early \d\.\d\d)? ✓$/);
  assert.match(await page.textContent("#timeline .lanes-note"), /^chunk-9990: score /);
  await page.screenshot({ path: `${ARTIFACTS}lanes-10000-found-1280.png`, fullPage: true });
});

test("screenshots: 1,000 and 10,000 chunks at 390 px, 1,000 at 1280 px", async () => {
  await run("1000");
  await page.screenshot({ path: `${ARTIFACTS}lanes-1000-1280.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    await page.waitForTimeout(100); // the lanes re-lay themselves out on resize, at the next frame
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true);
    await page.screenshot({ path: `${ARTIFACTS}lanes-1000-390.png`, fullPage: true });
    await run("10000");
    await page.screenshot({ path: `${ARTIFACTS}lanes-10000-390.png`, fullPage: true });
  } finally {
    await page.setViewportSize({ width: 1280, height: 900 });
  }
});

test("nothing was logged to the console as an error", () => {
  assert.deepEqual(problems, []);
});
