// Replay, traces and User Timing (www/replay.js, www/trace.js, www/user-timing.js), in Chromium:
// stepping reproduces the live run's log line by line, forward and back, at 46 and 250 chunks; playing
// at 4× ends in the live run's final state (lanes' text and pixels, gate, log), and while it plays the
// gate's and the lanes' text match the cursor in every frame; the keyboard shortcuts work in the bar and
// on the lanes as the Keyboard help says (Space presses a focused button, K always plays) and never in a
// text field; an exported trace follows the Trace Event Format's rules and imports back to the same
// picture; hostile files give an error and the page keeps working; a live run leaves one User Timing
// measure per phase; a 100,000-chunk replay steps back without a long freeze.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { copyLog, fillForm, nextFrames, openDemo, WIDE_WITH_CLIPBOARD } from "./demo.mjs";
import { eventsFromTrace } from "../../www/trace.js";
import { describe } from "../../www/replay.js";

let demo, page, problems;

before(async () => {
  demo = await openDemo(WIDE_WITH_CLIPBOARD);
  ({ page, problems } = demo);
});

after(() => demo?.close());

/** Sets the form's fields by name (blank clears one), runs, and waits until the run is over. */
async function run(fields) {
  await fillForm(page, fields);
  await page.click("#run");
  await page.waitForSelector("#stop:disabled", { timeout: 120_000 });
}

const frames = () => nextFrames(page);

/** Every line of the log (Copy all, as a reader would take them); [] when it is empty. */
async function logLines() {
  const [said, text] = await copyLog(page);
  if (said.startsWith("Nothing to copy")) return [];
  assert.match(said, /^Copied/);
  return text.split("\n");
}

/** The replay's cursor once it has settled (no seek under way): { position, where, line }. */
async function settled() {
  await page.waitForFunction(() => {
    const where = document.querySelector("#replay .replay-where").textContent;
    return where.startsWith("event ");
  }, null, { timeout: 60_000 });
  await frames();
  return page.evaluate(() => ({
    position: Number(document.querySelector("#replay").dataset.position),
    where: document.querySelector("#replay .replay-where").textContent,
    line: document.querySelector("#replay .replay-line").textContent,
    playing: document.querySelector("[data-replay=play]").classList.contains("playing"),
  }));
}

/** Waits until the cursor is at event `position` (0-based) and returns the settled state. */
async function at(position) {
  await page.waitForFunction((position) => document.querySelector("#replay").dataset.position === String(position) &&
    document.querySelector("#replay .replay-where").textContent.startsWith("event "), position, { timeout: 60_000 });
  return settled();
}

/** Moves the cursor to `position` with the slider, as a pointer would. */
async function slideTo(position) {
  await page.$eval("#replay .replay-position", (slider, position) => {
    slider.value = String(position);
    slider.dispatchEvent(new Event("input", { bubbles: true }));
  }, position);
  return at(position);
}

/** What the lanes, the gate and the log show: the lanes' text alternative and canvas pixels, the gate's text. */
async function picture() {
  await frames();
  await page.waitForTimeout(250); // the lanes' text is written at most every 200 ms while a run is drawn
  await frames();
  const views = await page.evaluate(() => {
    const canvas = document.querySelector("#timeline .lanes-canvas");
    return {
      label: canvas.getAttribute("aria-label"),
      rows: [...document.querySelectorAll("#timeline .lanes-rows > li")].map((row) => row.textContent),
      releases: document.querySelector("#timeline .releases").textContent,
      axis: document.querySelector("#timeline .axis").textContent,
      gate: document.querySelector("#barriers").textContent,
      pixels: canvas.toDataURL(),
      logLabel: document.querySelector("#log").getAttribute("aria-label"),
    };
  });
  return { ...views, log: await logLines() };
}

/** Clicks Export trace and returns the file's name and text. */
async function exportTrace() {
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#trace-export")]);
  await page.waitForFunction(() => document.querySelector("#trace-status").textContent.startsWith("Saved"));
  return { name: download.suggestedFilename(), text: readFileSync(await download.path(), "utf8") };
}

/** Imports a file (a path, or { name, text }) through the Import trace input. */
async function importTrace(file) {
  await page.evaluate(() => {
    document.querySelector("#trace-status").textContent = "";
    document.querySelector("#trace-error").hidden = true;
  });
  const files = typeof file === "string" ? file
    : { name: file.name, mimeType: "application/json", buffer: Buffer.from(file.text) };
  await page.setInputFiles("#trace-import", files);
  await page.waitForFunction(() => !document.querySelector("#trace-error").hidden ||
    document.querySelector("#trace-status").textContent.startsWith("Imported"), null, { timeout: 60_000 });
  return page.evaluate(() => {
    const error = document.querySelector("#trace-error");
    return error.hidden ? null : error.textContent;
  });
}

/** How many log lines events 0..position print. */
const linesUpTo = (events, position) => events.slice(0, position + 1).filter((event) => event.line !== undefined).length;

for (const chunks of ["", "250"]) {
  const size = chunks || "46 (the corpus)";
  test(`replay at ${size} chunks: stepping shows the live log line by line, forward and back; 4× ends where the run did`, async () => {
    await run({ chunks, seed: "11", timeScale: "1", faultChunk: "" });
    const live = await picture();
    const { text } = await exportTrace();
    const events = eventsFromTrace(text);
    const last = events.length - 1;
    assert.equal(live.log.length, events.filter((event) => event.line !== undefined).length, "the live log has a line per lined event");
    let state = await settled();
    assert.equal(state.position, last, "after a run the cursor is at its last event");
    assert.equal(state.where.split(" · ")[0], `event ${events.length.toLocaleString("en")} of ${events.length.toLocaleString("en")}`);

    // Forward from the start, one event at a time: the log holds exactly the first lines of the live log.
    await page.click("[data-replay=start]");
    state = await at(0);
    assert.deepEqual(await logLines(), []);
    for (let position = 0; position <= 60; position++) {
      if (position > 0) {
        await page.click("[data-replay=forward]");
        state = await at(position);
      }
      const event = events[position];
      assert.deepEqual(await logLines(), live.log.slice(0, linesUpTo(events, position)), `log at event ${position}`);
      assert.equal(state.line, event.line ?? describe(event), `readout's line at event ${position}`);
      assert.equal(state.where.split(" · ")[1], `${event.t.toLocaleString("en", { minimumFractionDigits: 1, maximumFractionDigits: 1 })} ms`);
    }
    // Anywhere in the run, then back one event at a time: lines disappear as their events are undone.
    const marks = [Math.floor(last / 3), Math.floor(last / 2), last - 3];
    for (const mark of marks) {
      await slideTo(mark);
      for (let position = mark; position > mark - 12; position--) {
        if (position < mark) {
          await page.click("[data-replay=back]");
          await at(position);
        }
        assert.deepEqual(await logLines(), live.log.slice(0, linesUpTo(events, position)), `log at event ${position} (back)`);
      }
    }
    // Play at 4× from the start: it ends on the run's last event, with the live run's final picture.
    await page.click("[data-replay=start]");
    await at(0);
    await page.selectOption("[name=replaySpeed]", "4");
    const started = Date.now();
    await page.click("[data-replay=play]");
    await page.waitForFunction(() => document.querySelector("[data-replay=play]").classList.contains("playing"));
    await page.waitForFunction(() => !document.querySelector("[data-replay=play]").classList.contains("playing"), null, { timeout: 60_000 });
    const took = Date.now() - started;
    state = await at(last);
    assert.ok(took >= events[last].t / 4 - 20, `4× took ${took} ms for a ${events[last].t} ms run: not faster than 4×`);
    assert.deepEqual(await picture(), live, "after playing to the end, the lanes, gate and log are the live run's");
    await page.selectOption("[name=replaySpeed]", "1");
    assert.deepEqual(problems, []);
  });
}

test("while playing, the gate's and the lanes' text follow the cursor in the frame that moves it", async () => {
  await run({ chunks: "", seed: "13", timeScale: "1", faultChunk: "" });
  const events = eventsFromTrace((await exportTrace()).text);
  for (const speed of ["0.25", "4"]) {
    await page.click("[data-replay=start]");
    await at(0);
    await page.selectOption("[name=replaySpeed]", speed);
    // Each time the bar writes the cursor (at the end of its frame), what the gate and the lanes say right then.
    await page.evaluate(() => {
      const replay = document.querySelector("#replay");
      window.__samples = [];
      window.__sampler = new MutationObserver(() => {
        if (!replay.querySelector("[data-replay=play]").classList.contains("playing")) return;
        const lines = [...document.querySelectorAll("#barriers .barrier")];
        window.__samples.push({
          position: Number(replay.dataset.position),
          gate: lines.at(-1)?.textContent ?? "",
          waiting: [...document.querySelectorAll("#timeline .lanes-rows .status")]
            .filter((status) => / · waiting \d+\/\d+$/.test(status.textContent)).length,
        });
      });
      window.__sampler.observe(replay, { attributes: true, attributeFilter: ["data-position"] });
    });
    await page.click("[data-replay=play]");
    await page.waitForFunction(() => !document.querySelector("[data-replay=play]").classList.contains("playing"), null, { timeout: 60_000 });
    const samples = await page.evaluate(() => {
      window.__sampler.disconnect();
      return window.__samples;
    });
    // What the events up to the cursor say: the open generation and how many have arrived in it.
    let checked = 0;
    for (const { position, gate, waiting } of samples) {
      let generation = 0;
      let arrived = 0;
      for (const event of events.slice(0, position + 1)) {
        if (event.type === "barrier-arrive" || event.type === "barrier-withdraw") arrived = event.arrived;
        if (event.type === "barrier-release") [generation, arrived] = [event.generation + 1, 0];
      }
      if (generation > 1) continue; // both released: nothing fills any more
      assert.equal(gate, `generation ${generation}: ${arrived}/46 arrived`, `${speed}×, the gate at event ${position}`);
      assert.equal(waiting, arrived, `${speed}×, lanes waiting at event ${position}`);
      checked++;
    }
    // The run lasts ~400 ms: ~100 frames at 0.25×, a few at 4× (each frame there draws a dozen events).
    assert.ok(checked >= (speed === "4" ? 3 : 20), `${speed}×: ${checked} frames checked`);
  }
  await page.selectOption("[name=replaySpeed]", "1");
  assert.deepEqual(problems, []);
});

test("keyboard: Space/K, J/L, arrows, Home/End in the bar and on the lanes; never in a text field", async () => {
  await run({ chunks: "", seed: "12", timeScale: "1" });
  const last = (await settled()).position;
  const press = async (key, position) => {
    await page.keyboard.press(key);
    return at(position);
  };
  await page.focus("#timeline .lanes-scroll");
  await press("Home", 0);
  await press("l", 1);
  await press("L", 2);
  await press("ArrowRight", 3);
  await press("j", 2);
  await press("ArrowLeft", 1);
  await press("End", last);
  await press("Home", 0);
  // K and Space play and pause.
  await page.keyboard.press("k");
  await page.waitForFunction(() => document.querySelector("[data-replay=play]").classList.contains("playing"));
  await page.keyboard.press("k");
  assert.equal((await settled()).playing, false, "K paused");
  await page.keyboard.press(" ");
  await page.waitForFunction(() => document.querySelector("[data-replay=play]").classList.contains("playing"));
  await page.keyboard.press(" ");
  const paused = await settled();
  assert.equal(paused.playing, false, "Space paused");
  // In the bar: Space presses the focused button (here Step ›), as everywhere; L steps too; K plays and pauses.
  await page.focus("[data-replay=forward]");
  await press(" ", paused.position + 1);
  await press("l", paused.position + 2);
  assert.equal((await settled()).playing, false);
  await page.keyboard.press("k");
  await page.waitForFunction(() => document.querySelector("[data-replay=play]").classList.contains("playing"));
  await page.keyboard.press("k");
  const resumed = await settled();
  assert.equal(resumed.playing, false, "K paused with focus on Step ›");
  assert.ok(resumed.position >= paused.position + 2, "K played, it did not step back");
  await page.focus("[data-replay=back]");
  await press("J", resumed.position - 1);
  // The slider: arrows move it by one event natively, and the lanes follow; Space plays and pauses there.
  await page.focus("#replay .replay-position");
  await press("ArrowRight", resumed.position);
  await page.keyboard.press(" ");
  await page.waitForFunction(() => document.querySelector("[data-replay=play]").classList.contains("playing"));
  await page.keyboard.press(" ");
  assert.equal((await settled()).playing, false, "Space paused on the slider");
  await press("Home", 0);

  // Text fields keep every key: the question, Find chunk (inside the lanes), the speed select.
  const before = (await settled()).position;
  await page.fill("[name=query]", "");
  await page.focus("[name=query]");
  await page.keyboard.type("lj k");
  for (const key of ["Home", "End", "ArrowLeft", "ArrowRight"]) await page.keyboard.press(key);
  assert.equal(await page.inputValue("[name=query]"), "lj k", "the question got its keys");
  await page.focus("#timeline .lanes-find input");
  for (const key of ["l", "j", "k", " ", "Home", "End", "ArrowLeft", "ArrowRight"]) await page.keyboard.press(key);
  await page.focus("[name=replaySpeed]");
  await page.keyboard.press("ArrowLeft");
  await page.keyboard.press("End");
  await frames();
  const after = await settled();
  assert.equal(after.position, before, "no key typed in a field moved the replay");
  assert.equal(after.playing, false, "no key typed in a field played the replay");
  await page.fill("[name=query]", "What is retrieval augmented generation?");
  await page.selectOption("[name=replaySpeed]", "1");
  // The page lists the shortcuts, and each button names its own.
  const keys = await page.textContent("#replay .replay-keys");
  for (const key of ["Space", "K", "J", "L", "Home", "End"]) assert.ok(keys.includes(key), `Keyboard lists ${key}`);
  // It says what the keys just did: K plays anywhere in the bar or the lanes; Space does too, except on a button.
  const help = await page.$$eval("#replay .replay-keys li", (items) => items.map((item) => item.textContent.replace(/\s+/g, " ")));
  assert.deepEqual(help.slice(0, 2), ["K: play or pause",
    "Space: play or pause, except on a button, which it presses as anywhere else (on Step › it steps)"]);
  // Only K plays from every control (Space on another button presses that button).
  assert.equal(await page.getAttribute("[data-replay=play]", "aria-keyshortcuts"), "K");
  assert.deepEqual(problems, []);
});

/** Checks `trace` against the Trace Event Format's rules and what this page promises of it; returns its events. */
function assertValidTrace(trace, chunks) {
  assert.equal(typeof trace, "object");
  assert.ok(Array.isArray(trace.traceEvents), "traceEvents is a list");
  assert.equal(trace.displayTimeUnit, "ms");
  assert.equal(trace.otherData.tool, "rag-phase-sync");
  const phases = new Set();
  const tracks = new Map(); // "pid/tid" → its timed events, in file order
  const threadNames = new Map();
  let processName = null;
  for (const [index, event] of trace.traceEvents.entries()) {
    const at = `trace event ${index} ${JSON.stringify(event).slice(0, 120)}`;
    assert.equal(typeof event.name, "string", `${at}: name`);
    assert.equal(typeof event.ph, "string", `${at}: ph`);
    assert.ok(Number.isFinite(event.ts) && event.ts >= 0, `${at}: ts`);
    assert.ok(Number.isInteger(event.pid), `${at}: pid`);
    assert.ok(Number.isInteger(event.tid), `${at}: tid`);
    assert.ok(["X", "i", "M"].includes(event.ph), `${at}: only documented phases X, i, M`);
    phases.add(event.ph);
    if (event.ph === "X") assert.ok(Number.isFinite(event.dur) && event.dur >= 0, `${at}: X has dur >= 0`);
    if (event.ph === "i") assert.ok(["g", "p", "t"].includes(event.s), `${at}: instant scope`);
    if (event.ph === "M") {
      assert.ok(["process_name", "thread_name", "thread_sort_index", "process_sort_index"].includes(event.name), at);
      if (event.name === "thread_name") {
        assert.ok(!threadNames.has(event.tid), `${at}: one name per tid`);
        threadNames.set(event.tid, event.args.name);
      }
      if (event.name === "process_name") processName = event.args.name;
      continue;
    }
    const key = `${event.pid}/${event.tid}`;
    if (!tracks.has(key)) tracks.set(key, []);
    tracks.get(key).push(event);
  }
  assert.match(processName ?? "", /^rag-phase-sync run \d+/, "the run is a named process");
  // One track per chunk, named chunk-N, and every timed event on a named track.
  const chunkTids = [...threadNames].filter(([, name]) => /^chunk-\d+$/.test(name));
  assert.equal(chunkTids.length, chunks, "a thread_name per chunk");
  assert.equal(new Set(chunkTids.map(([, name]) => name)).size, chunks, "each chunk's name once");
  for (const key of tracks.keys()) assert.ok(threadNames.has(Number(key.split("/")[1])), `track ${key} is named`);
  for (const [key, events] of tracks) {
    // The format does not require ts order; this page writes each track in it (see trace.js), and checks so.
    for (let i = 1; i < events.length; i++) assert.ok(events[i].ts >= events[i - 1].ts, `track ${key}: ts in order at ${i}`);
    // Perfetto drops X events that overlap without nesting: each pair nests or is apart.
    const spans = events.filter((event) => event.ph === "X").map((event) => [event.ts, event.ts + event.dur, event.name]);
    for (let i = 0; i < spans.length; i++) {
      for (let j = i + 1; j < spans.length; j++) {
        const [a, b] = [spans[i], spans[j]];
        const apart = a[1] <= b[0] || b[1] <= a[0];
        const nested = (a[0] <= b[0] && b[1] <= a[1]) || (b[0] <= a[0] && a[1] <= b[1]);
        assert.ok(apart || nested, `track ${key}: ${a[2]} [${a[0]}, ${a[1]}] and ${b[2]} [${b[0]}, ${b[1]}] overlap`);
      }
    }
  }
  assert.ok(phases.has("X") && phases.has("i") && phases.has("M"));
  const names = trace.traceEvents.map((event) => event.name);
  for (const name of ["Run", "Phase 1 (embed)", "Barrier wait (gen 0)"]) assert.ok(names.some((n) => n.startsWith(name)), name);
  // Every pipeline event rides in exactly one trace event's args.
  const seqs = trace.traceEvents.flatMap((event) => event.args?.pipeline?.map((entry) => entry.seq) ?? []).sort((a, b) => a - b);
  assert.deepEqual(seqs, seqs.map((_, index) => index), "each seq 0..n-1 once");
  return seqs.length;
}

test("an exported trace keeps the format's rules, and imports back to the same lanes, gate and log", async () => {
  for (const [fields, chunks] of [[{ chunks: "", seed: "21", faultChunk: "" }, 46], [{ chunks: "250", seed: "22", faultChunk: "17" }, 250]]) {
    await run({ timeScale: "1", ...fields });
    const live = await picture();
    const { name, text } = await exportTrace();
    assert.match(name, /^rag-phase-sync-run-\d+\.trace\.json$/);
    const trace = JSON.parse(text);
    const count = assertValidTrace(trace, chunks);
    const names = trace.traceEvents.map((event) => event.name);
    if (!fields.faultChunk) {
      for (const name of ["Barrier release (gen 0)", "Barrier release (gen 1)", "Phase 2 (score)", "Phase 3 (answer)", "Top 3"]) {
        assert.ok(names.includes(name), name);
      }
    } else {
      const failures = trace.traceEvents.filter((event) => event.cat === "failure");
      assert.ok(failures.some((event) => /^(Failed|Timed out)/.test(event.name)), "the failure is an instant");
      assert.ok(failures.some((event) => event.name.startsWith("Cancelled")), "cancellations are instants");
      assert.ok(trace.traceEvents.some((event) => event.name.startsWith("Barrier broken") && event.s === "p"));
    }
    // Another run changes every view; importing the file brings the first one back, exactly.
    await run({ chunks: "30", seed: "5", faultChunk: "" });
    assert.notDeepEqual((await picture()).log, live.log);
    assert.equal(await importTrace({ name, text }), null, "imported without error");
    const state = await settled();
    assert.equal(state.position, count - 1, "the import replays to the run's end");
    assert.deepEqual(await picture(), live, "lanes (text and pixels), gate and log as the live run left them");
    assert.match(await page.textContent("#run-state"), /^Replaying run \d+ from rag-phase-sync-run-/);
    // Lossless: the imported run exports to the very same file.
    assert.equal((await exportTrace()).text, text, "exporting the import gives the same bytes");
    // And it replays: back to the start and forward again.
    await page.click("[data-replay=start]");
    await at(0);
    await page.click("[data-replay=end]");
    await at(count - 1);
    assert.deepEqual(await picture(), live);
  }
  // Traces list events in any order (the format allows it): a shuffled file imports the same.
  await run({ chunks: "", seed: "23", timeScale: "1", faultChunk: "" });
  const live = await picture();
  const { name, text } = await exportTrace();
  const shuffled = JSON.parse(text);
  shuffled.traceEvents.reverse();
  assert.equal(await importTrace({ name, text: JSON.stringify(shuffled) }), null);
  await settled();
  assert.deepEqual(await picture(), live);
  assert.deepEqual(problems, []);
});

test("hostile imports: a clear error each, the replay keeps its run, and a run afterwards works", async () => {
  await run({ chunks: "", seed: "31", timeScale: "1", faultChunk: "" });
  const { name, text } = await exportTrace();
  const good = JSON.parse(text);
  const kept = await settled();
  const edited = (edit) => {
    const copy = JSON.parse(text);
    edit(copy);
    return { name: "edited.json", text: JSON.stringify(copy) };
  };
  const carriedEntries = (trace) => trace.traceEvents.flatMap((event) => event.args?.pipeline ?? []);
  const big = join(tmpdir(), `rag-phase-sync-50mb-${process.pid}.json`);
  writeFileSync(big, `{"traceEvents":[],"pad":"${"x".repeat(50 * 1024 * 1024)}"}`);
  const cases = [
    ["not JSON", { name: "notes.json", text: "this is { not json" }, /Could not import notes\.json: it is not JSON/],
    ["empty file", { name: "empty.json", text: "" }, /it is not JSON/],
    ["JSON of the wrong shape", { name: "shape.json", text: '{"hello":"world"}' }, /it is JSON but not a trace/],
    ["a number", { name: "n.json", text: "42" }, /not a trace/],
    ["50 MB", big, /it is 50 MB; this page imports traces up to 40 MB/],
    ["missing args", edited((trace) => trace.traceEvents.forEach((event) => delete event.args)), /lost their args/],
    ["events out of order", edited((trace) => {
      const entries = carriedEntries(trace).sort((a, b) => a.seq - b.seq);
      entries[100].event.t = Math.max(0, entries[99].event.t - 0.5); // time runs backwards
    }), /out of order/],
    ["a seq twice", edited((trace) => { carriedEntries(trace).find((entry) => entry.seq === 8).seq = 7; }), /pipeline event 7 appears twice/],
    // 95 metadata events (names of the run's track and 46 chunks') come first: this cuts timed ones.
    ["a cut trace", edited((trace) => { trace.traceEvents.splice(150, 20); }), /pipeline event \d+ is missing \(the trace was cut or edited\)/],
    ["a trace from another tool", {
      name: "other.json",
      text: JSON.stringify({ traceEvents: [{ name: "thread_name", ph: "M", pid: 1, tid: 1, args: { name: "main" } },
        { name: "frame", ph: "X", ts: 0, dur: 16000, pid: 1, tid: 1, args: { id: 3 } }], displayTimeUnit: "ms" }),
    }, /it has no rag-phase-sync events: it looks like a trace from another tool \(2 trace events\)/],
    ["another tool's array", { name: "array.json", text: '[{"name":"a","ph":"B","ts":0,"pid":1,"tid":1}]' }, /no rag-phase-sync events/],
    ["chunks out of range", edited((trace) => { carriedEntries(trace).find((entry) => entry.seq === 0).event.chunks = 1e9; }),
      /event 0 \(run-start\): chunks must be a whole number from 1 to 100000/],
    ["a field of the wrong kind", edited((trace) => { carriedEntries(trace).find((entry) => entry.event.type === "top").event.top = "x"; }),
      /top must be a list/],
    ["a chunk outside the run", edited((trace) => {
      carriedEntries(trace).find((entry) => entry.event.type === "phase-start").event.chunk = 46;
    }), /chunk must be a chunk index from 0 to 45/],
    ["an unknown event", edited((trace) => { carriedEntries(trace).find((entry) => entry.seq === 5).event.type = "rm -rf"; }),
      /unknown type "rm -rf"/],
    ["another format version", edited((trace) => { trace.otherData.format = "99"; }), /format "99"/],
    ["an event that is not an object", edited((trace) => { carriedEntries(trace).find((entry) => entry.seq === 3).event = null; }),
      /without a seq number and an event object/],
  ];
  try {
    for (const [what, file, expected] of cases) {
      const error = await importTrace(file);
      assert.ok(error, `${what}: an error is shown`);
      assert.match(error, expected, `${what}: ${error}`);
      assert.equal(await page.isVisible("#trace-error"), true);
      const state = await settled();
      assert.equal(state.position, kept.position, `${what}: the replay keeps its run`);
    }
  } finally {
    rmSync(big, { force: true });
  }
  // The untouched file still imports, and the error goes away.
  assert.equal(await importTrace({ name, text: JSON.stringify(good) }), null);
  assert.equal(await page.isVisible("#trace-error"), false);
  // After all that, a run works.
  await run({ chunks: "", seed: "32" });
  assert.match(await page.textContent("#answer"), /\[chunk-\d+\]/, "the run answered");
  assert.match(await page.textContent("#run-state"), /^Done in/);
  assert.deepEqual(problems, []);
});

test("User Timing: one measure per phase of a live run, none per chunk, earlier runs' cleared", async () => {
  const measures = () => page.evaluate(() => performance.getEntriesByType("measure")
    .filter((entry) => entry.name.startsWith("rag-phase-sync"))
    .map(({ name, startTime, duration, detail }) => ({ name, start: startTime, end: startTime + duration, detail })));
  for (const chunks of ["", "250"]) {
    await run({ chunks, seed: "41", timeScale: "1", faultChunk: "" });
    const found = await measures();
    const runs = found.map((entry) => entry.name.match(/^rag-phase-sync run (\d+)/)?.[1]);
    assert.equal(new Set(runs).size, 1, `only the latest run's measures: ${found.map((entry) => entry.name)}`);
    const prefix = `rag-phase-sync run ${runs[0]}`;
    const byName = Object.fromEntries(found.map((entry) => [entry.name.slice(prefix.length), entry]));
    assert.deepEqual(Object.keys(byName).sort(), ["", ": Phase 1 (embed)", ": Phase 2 (score)", ": Phase 3 (answer)",
      ": barrier gen 0", ": barrier gen 1"].sort(), "six measures, whatever the chunk count");
    const close = (a, b, what) => assert.ok(Math.abs(a - b) < 0.01, `${what}: ${a} vs ${b}`);
    close(byName[": Phase 1 (embed)"].start, byName[""].start, "Phase 1 starts with the run");
    close(byName[": Phase 1 (embed)"].end, byName[": Phase 2 (score)"].start, "Phase 2 starts at generation 0's release");
    close(byName[": barrier gen 0"].end, byName[": Phase 1 (embed)"].end, "barrier gen 0 ends at its release");
    close(byName[": barrier gen 1"].end, byName[": Phase 2 (score)"].end, "barrier gen 1 ends at its release");
    assert.ok(byName[": barrier gen 0"].start > byName[": Phase 1 (embed)"].start, "the first arrival comes after the start");
    assert.ok(byName[": Phase 3 (answer)"].start >= byName[": Phase 2 (score)"].end);
    assert.ok(byName[": Phase 3 (answer)"].end <= byName[""].end + 0.01);
    assert.equal(byName[""].detail.ended, "finished");
  }
  // A replay draws, but is not the run: it adds no measures.
  const before = await measures();
  await page.click("[data-replay=start]");
  await at(0);
  await page.selectOption("[name=replaySpeed]", "4");
  await page.click("[data-replay=play]");
  await page.waitForFunction(() => !document.querySelector("[data-replay=play]").classList.contains("playing"), null, { timeout: 60_000 });
  assert.deepEqual(await measures(), before);
  await page.selectOption("[name=replaySpeed]", "1");
  // A failed run's phases end where it did.
  await run({ chunks: "", seed: "42", faultChunk: "3" });
  const failed = await measures();
  assert.ok(failed.some((entry) => entry.name.endsWith("Phase 1 (embed)") && entry.detail.ended === "failed"), JSON.stringify(failed));
  await page.fill("[name=faultChunk]", "");
  assert.deepEqual(problems, []);
});

test("replay is off while a run is live, and a new run ends a replay", async () => {
  await run({ chunks: "", seed: "51", timeScale: "1", faultChunk: "" });
  await page.click("[data-replay=start]");
  await at(0);
  await page.selectOption("[name=replaySpeed]", "0.25");
  await page.click("[data-replay=play]");
  await page.waitForFunction(() => document.querySelector("[data-replay=play]").classList.contains("playing"));
  // Run during the replay: the replay stops, and while the run is live nothing of it can be used.
  await page.fill("[name=chunks]", "200");
  await page.selectOption("[name=timeScale]", "10");
  await page.click("#run");
  await page.waitForSelector("#log .log-row", { timeout: 30_000 });
  const live = await page.evaluate(() => ({
    disabled: [...document.querySelectorAll("#replay button, #replay select, #replay input")].map((node) => node.disabled),
    playing: document.querySelector("[data-replay=play]").classList.contains("playing"),
    where: document.querySelector("#replay .replay-where").textContent,
  }));
  assert.equal(await page.isEnabled("#stop"), true, "the run is live");
  assert.ok(live.disabled.every(Boolean), "every replay control is disabled while the run is live");
  assert.equal(live.playing, false);
  assert.equal(live.where, "Replay: after the run.");
  await page.focus("#timeline .lanes-scroll");
  await page.keyboard.press("Home"); // no replay to move: the key does nothing to the live run
  assert.equal(await page.isEnabled("#stop"), true);
  // Stop: the stopped run replays too (it has a run-end).
  await page.click("#stop");
  await page.waitForSelector("#stop:disabled");
  const stopped = await settled();
  assert.ok(stopped.line.startsWith("Pipeline stopped"), stopped.line);
  await page.click("[data-replay=start]");
  await at(0);
  await page.click("[data-replay=end]");
  await at(stopped.position);
  await page.selectOption("[name=replaySpeed]", "1");
  await page.selectOption("[name=timeScale]", "1");
  assert.deepEqual(problems, []);
});

test("at 100,000 chunks, stepping back replays 600,000 events without freezing the page", async () => {
  await run({ chunks: "100000", seed: "61", timeScale: "1", faultChunk: "" });
  const end = await settled();
  await page.evaluate(() => {
    window.__longest = 0;
    window.__observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__longest = Math.max(window.__longest, entry.duration);
    });
    window.__observer.observe({ type: "longtask" });
  });
  await page.focus("#timeline .lanes-scroll");
  const started = Date.now();
  for (let i = 0; i < 20; i++) await page.keyboard.press("ArrowLeft"); // a held key: requests coalesce
  const state = await at(end.position - 20);
  const took = Date.now() - started;
  const longest = await page.evaluate(() => {
    window.__observer.disconnect();
    return window.__longest;
  });
  console.log(`100,000 chunks: 20 steps back took ${took} ms, longest task ${Math.round(longest)} ms`);
  assert.ok(longest < 150, `no task held the page for long (longest ${Math.round(longest)} ms)`);
  assert.equal(state.position, end.position - 20);
  assert.ok(state.where.startsWith(`event ${(end.position - 19).toLocaleString("en")} of`), state.where);
  // The log follows: the number of lines up to here (its label counts them).
  const label = await page.getAttribute("#log", "aria-label");
  assert.match(label, /^Run log, [\d,]+ lines$/);
  assert.deepEqual(problems, []);
});
