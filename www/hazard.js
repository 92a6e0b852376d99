// The hazard demo (#hazard): the same four chunks, one of which gives up waiting at the barrier once, run
// with async-barrier and with PhaseBarrier at the same time (runHazardDemo). Each gets a lane chart (the page's
// Lanes), its verdict and the events that prove it. Rust decides everything (src/hazard.rs): which release was
// false, who it left behind, who is still parked. This file only words the result and lists the events.

import { el } from "./dom.js";
import { formatMs } from "./format.js";
import { Lanes } from "./lanes.js";

/** The two runs, in the order the section shows them. */
const BARRIERS = [
  { barrier: "classic", name: "async-barrier", title: "async-barrier (classic)" },
  { barrier: "phase", name: "PhaseBarrier", title: "PhaseBarrier (ours)" },
];
/** The demo runs in real time: the times it reports are the script's (hazardScenario()). */
const TIME_SCALE = 1;
/** What a chunk is doing inside each phase, and what it has not done before it. */
const DOING = { embed: "embedding", score: "scoring" };
const NOT_DONE = { embed: "begun embedding", score: "scored" };

const $ = (selector) => document.querySelector(selector);

/**
 * Wires the section to the WASM module once `loading` (the page's loadWasm() promise) resolves; if it rejects,
 * the section says so instead of keeping a dead button.
 */
export async function showHazard(loading) {
  buildRuns();
  const button = $("#hazard-run");
  const state = $("#hazard-state");
  let wasm;
  try {
    wasm = await loading;
  } catch (error) {
    button.textContent = "Unavailable";
    showError(`The WebAssembly module did not load (${error?.message ?? error}), so the demo cannot run.`);
    return;
  }
  const scenario = wasm.hazardScenario();
  $("#hazard-script").textContent = scriptText(scenario);
  // One scale for both charts: the horizon, plus room for late timers.
  const sharedAxis = { ms: scenario.horizonMs * TIME_SCALE * 1.05 };
  const runs = BARRIERS.map(({ barrier, name }, index) => {
    const article = $(`#hazard .hazard-run[data-barrier="${barrier}"]`);
    const legend = index === 0 ? $("#hazard .hazard-key") : undefined;
    const drops = []; // this run's dropped waits, marked on their lanes (see dropOverlay)
    const overlay = dropOverlay(drops, name);
    const lanes = new Lanes(article.querySelector(".hazard-lanes"), { critical: false, sharedAxis, legend, overlay });
    return { barrier, name, article, lanes, drops };
  });
  button.addEventListener("click", () => run(wasm, scenario, runs, button, state));
  button.disabled = false;
  button.textContent = "Show the hazard";
}

/** One article per barrier, from the section's template: its heading, chart, verdict and proof. */
function buildRuns() {
  const template = $("#hazard-run-template");
  for (const { barrier, title } of BARRIERS) {
    const article = template.content.firstElementChild.cloneNode(true);
    article.dataset.barrier = barrier;
    const heading = article.querySelector("h3");
    heading.id = `hazard-${barrier}`;
    heading.textContent = title;
    article.setAttribute("aria-labelledby", heading.id);
    $("#hazard .hazard-runs").append(article);
  }
}

/** Runs both barriers at once and shows what each did; the button is back when both are done. */
async function run(wasm, scenario, runs, button, state) {
  button.disabled = true;
  state.textContent = "Running both barriers…";
  $("#hazard-error").hidden = true;
  const started = performance.now();
  for (const { article, lanes, drops } of runs) {
    drops.length = 0;
    lanes.reset(scenario.chunks);
    article.querySelector(".hazard-verdict").textContent = "Running…";
    article.querySelector(".hazard-verdict").classList.remove("held", "broken");
    article.querySelector(".hazard-proof").hidden = true;
    article.querySelector(".hazard-events").replaceChildren();
    article.querySelector(".hazard-all").replaceChildren();
    article.querySelector(".hazard-all-count").textContent = "";
  }
  let frame = requestAnimationFrame(function tick() {
    for (const { lanes } of runs) lanes.tick(performance.now() - started);
    frame = requestAnimationFrame(tick);
  });
  try {
    const results = await Promise.all(runs.map(({ barrier, lanes, drops }) => {
      const events = [];
      const onEvent = (event) => {
        events.push(event);
        lanes.apply(event);
        if (noteDrop(drops, event)) lanes.invalidate("full"); // the mark and the canvas's label, at the next frame
      };
      return wasm.runHazardDemo({ barrier, timeScale: TIME_SCALE }, onEvent).then((result) => ({ result, events }));
    }));
    results.forEach(({ result, events }, index) => showResult(runs[index], result, events));
    state.textContent = `Done: ${results.map(({ result }, index) =>
      `${runs[index].name} ${result.invariantHeld ? "kept" : "broke"} the barrier's promise`).join(", ")}.`;
  } catch (error) {
    state.textContent = "";
    showError(`The demo failed: ${error?.message ?? error}`);
    for (const { article } of runs) article.querySelector(".hazard-verdict").textContent = "No result: see the error above.";
  } finally {
    cancelAnimationFrame(frame);
    button.disabled = false;
  }
}

/**
 * Follows a dropped wait in `drops` through `event`: a wait-cancelled starts one (where the chunk gave up), a
 * withdrawal of that chunk's arrival marks it withdrawn, and the chunk's next arrival closes it. True if it changed.
 */
function noteDrop(drops, event) {
  const open = drops.find((drop) => drop.chunk === event.chunk && drop.againT === undefined);
  switch (event.type) {
    case "wait-cancelled":
      drops.push({ chunk: event.chunk, id: event.id, t: event.t, withdrawn: false, againT: undefined });
      return true;
    case "barrier-withdraw":
      if (!open) return false;
      open.withdrawn = true;
      return true;
    case "barrier-arrive":
      if (!open) return false;
      open.againT = event.t;
      return true;
    default:
      return false;
  }
}

/** The glyph that marks a dropped wait on its lane, as the section's key shows it (.hazard-drop-key). */
const DROP_GLYPH = "↺";

/**
 * The Lanes overlay of one run's dropped waits (`drops`, kept by noteDrop) on barrier `name`: a ↺ in a ring on
 * the chunk's lane where it gave up waiting and arrived again, and a sentence each for the canvas's label.
 */
function dropOverlay(drops, name) {
  return {
    draw(context, { x, rowTop, barH, first, last, k, palette }) {
      const r = Math.max(5, Math.min(8, barH / 2));
      for (const drop of drops) {
        const row = Math.floor(drop.chunk / k);
        if (row < first || row >= last) continue;
        const [cx, cy] = [x(drop.t), rowTop(row) + barH / 2];
        context.save();
        context.setLineDash([]);
        context.beginPath();
        context.arc(cx, cy, r, 0, 2 * Math.PI);
        context.fillStyle = palette.css.bg; // a ring of the page's background: it reads over any bar
        context.fill();
        context.lineWidth = 1.5;
        context.strokeStyle = context.fillStyle = palette.css.ink;
        context.stroke();
        context.font = `bold ${Math.round(r * 1.6)}px system-ui, sans-serif`;
        context.textAlign = "center";
        context.textBaseline = "middle";
        context.fillText(DROP_GLYPH, cx, cy + 0.5);
        context.restore();
      }
    },
    text: () => drops.map(({ id, t, withdrawn, againT }) => {
      const gaveUp = `${id} gave up waiting at ${formatMs(t)} (the ${DROP_GLYPH} on its lane)`;
      if (againT === undefined) return gaveUp;
      return `${gaveUp}: ${name} ${withdrawn ? "withdrew its arrival" : "still counted its arrival"}, and ` +
        `${id} arrived again at ${formatMs(againT)}`;
    }),
  };
}

function showError(text) {
  const box = $("#hazard-error");
  box.hidden = false;
  box.textContent = text;
}

/** "chunk-0 to chunk-3 embed for 40, 60, 80 and 200 ms, …": the script, from Rust's own numbers. */
function scriptText({ chunks, embedMs, scoreMs, impatientId, patienceMs, horizonMs }) {
  const list = (values) => `${values.slice(0, -1).join(", ")} and ${formatMs(values.at(-1))}`;
  return `The script: chunk-0 to chunk-${chunks - 1} embed for ${list(embedMs)}, wait at one barrier, ` +
    `score for ${list(scoreMs)} and wait at it again. ${impatientId} waits at most ${formatMs(patienceMs)}: ` +
    `its wait is raced against a timer, dropped when the timer wins, and it arrives again at once. ` +
    `The demo ends at ${formatMs(horizonMs)}: a chunk still parked then would wait forever.`;
}

/** The verdict, the key events and every event of one finished run. */
function showResult({ name, article }, result, events) {
  const verdict = article.querySelector(".hazard-verdict");
  verdict.textContent = verdictText(name, result);
  verdict.classList.add(result.invariantHeld ? "held" : "broken");
  article.querySelector(".hazard-events").replaceChildren(...keyEvents(result, events).map(eventItem));
  article.querySelector(".hazard-all").replaceChildren(...events.map(eventItem));
  article.querySelector(".hazard-all-count").textContent = ` (${events.length})`;
  article.querySelector(".hazard-proof").hidden = false;
}

/** What happened, in a sentence or three, from the result alone. */
function verdictText(name, result) {
  const [first, ...later] = result.falseReleases;
  const parts = [];
  if (first) {
    const counted = first.countedCancelled.map(({ id }) => `${id}'s`).join(" and ");
    parts.push(`${name} released generation ${first.generation} at ${formatMs(first.atMs)}, led by ` +
      `${first.leaderId}, while ${missingText(first.missing)}` +
      (counted ? `: ${counted} cancelled arrival was still counted.` : "."));
    for (const release of later) {
      parts.push(`Generation ${release.generation} followed at ${formatMs(release.atMs)}, led by ` +
        `${release.leaderId}, while ${missingText(release.missing)}.`);
    }
  } else {
    const withdrawn = result.cancelledWaits.filter((wait) => wait.withdrawn).map(({ id }) => `${id}'s`);
    const [release] = result.releases;
    parts.push(`${name} ${withdrawn.length ? `withdrew ${withdrawn.join(" and ")} cancelled arrival and ` : ""}` +
      (release ? `released generation ${release.generation} at ${formatMs(release.atMs)}, led by ` +
        `${release.leaderId}, the last to arrive.` : "released no generation."));
  }
  if (result.stillParked.length > 0) {
    const parked = result.stillParked.map(({ id, generation, sinceMs }) =>
      `${id} (in generation ${generation} since ${formatMs(sinceMs)})`).join(" and ");
    parts.push(`When the demo ended at ${formatMs(result.endedMs)}, ${parked} was still parked at the barrier, ` +
      `waiting for a release that would never come.`);
  } else if (result.finished.length === result.chunks) {
    parts.push(`Every chunk finished both phases, the last at ${formatMs(result.endedMs)}.`);
  }
  return parts.join(" ");
}

/** "chunk-3 was still embedding (until 200 ms)", "chunk-3 had not scored yet (it did at 220 ms)". */
function missingText(missing) {
  return missing.map(({ id, phase, working, finishedAtMs }) => {
    const until = finishedAtMs === undefined ? "" : working ? ` (until ${formatMs(finishedAtMs)})`
      : ` (it did at ${formatMs(finishedAtMs)})`;
    return working ? `${id} was still ${DOING[phase]}${until}` : `${id} had not ${NOT_DONE[phase]} yet${until}`;
  }).join(" and ");
}

/** The events a verdict rests on: each dropped wait and withdrawal, each release, each chunk a false release
 *  left behind finishing that phase, and each chunk cancelled where it was parked when the demo ended. */
function keyEvents(result, events) {
  const behind = new Set(result.falseReleases.flatMap((release) =>
    release.missing.map(({ chunk, phase }) => `${chunk}:${phase}`)));
  return events.filter((event) => ["wait-cancelled", "barrier-withdraw", "barrier-release", "chunk-cancelled"]
    .includes(event.type) || (event.type === "phase-complete" && behind.has(`${event.chunk}:${event.phase}`)));
}

/** One event as a list item: its time, then what it says (its log line where it has one). */
function eventItem(event) {
  const item = el("li");
  Object.assign(item.dataset, { type: event.type, t: String(event.t) });
  if (event.chunk !== undefined) item.dataset.chunk = String(event.chunk);
  if (event.generation !== undefined) item.dataset.generation = String(event.generation);
  item.append(el("span", "hazard-t", formatMs(event.t)), el("span", "", eventText(event)));
  return item;
}

function eventText(event) {
  switch (event.type) {
    case "barrier-arrive":
      return `${event.id} arrives: ${event.arrived} of ${event.parties} in generation ${event.generation}`;
    case "barrier-withdraw":
      return `barrier-withdraw: ${event.id}'s arrival taken back, ${event.arrived} of ${event.parties} ` +
        `left in generation ${event.generation}`;
    case "barrier-release":
      return `barrier-release: generation ${event.generation}, leader ${event.leaderId}`;
    case "phase-start":
      return `${event.id} starts Phase ${event.phase === "embed" ? 1 : 2} (${event.phase}, ${formatMs(event.plannedMs)})`;
    case "run-end":
      return "the demo ends";
    default:
      return event.line ?? event.type;
  }
}
