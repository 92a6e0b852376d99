// The page: reads the form, calls the WASM module's runPipelineBatched, and replays
// each event it streams into the lanes, the barrier meters, the log and the
// answer. Every number shown comes from an event or the run's result.

import { Compare } from "./compare.js";
import { Gate } from "./gate.js";
import { showHazard } from "./hazard.js";
import { Lanes } from "./lanes.js";
import { LogView } from "./log-view.js";
import { Questions } from "./questions.js";
import { Recording } from "./recording.js";
import { formatCount, formatMs, plural } from "./format.js";
import { Replay } from "./replay.js";
import { bindTraceControls } from "./trace.js";
import { RunMeasures } from "./user-timing.js";
import { restoreForm, saveForm } from "./url-state.js";
import { loadWasm } from "./wasm-loader.js";

const $ = (selector) => document.querySelector(selector);
const form = $("#controls");
const runButton = $("#run");
const stopButton = $("#stop");
const runState = $("#run-state");
const errorBox = $("#error");
const answerBox = $("#answer");
const documentsSummary = $("#documents-summary");
const announcer = $("#announcer");
const timelinePanel = $("#timeline-panel");
const timeline = new Lanes($("#timeline"), { legend: $("#timeline-panel .lanes-legend") });
const compare = new Compare($("#compare"), { barrierLanes: timeline });
const barriers = new Gate($("#barriers"));
const log = new LogView($("#log"), {
  copyButton: $("#log-copy"), downloadButton: $("#log-download"), status: $("#log-status"),
});

let runPipelineBatched; // the WASM module's export, once it has loaded
/** The seed's five questions, answered from each run's events once it ends; its fault run calls the pipeline. */
const questions = new Questions($("#questions"), {
  invariant: $("#invariant"), timeline, run: (options, onBatch) => runPipelineBatched(options, onBatch),
  // Q5's offer: the same seed again, in compare mode with a store write (the form shows what ran).
  compare({ seed, approach, storeMs }) {
    form.elements.seed.value = String(seed);
    form.elements.compare.value = approach;
    form.elements.storeMs.value = String(storeMs);
    form.requestSubmit();
  },
});
let runStartedAt = 0; // performance.now() at the current run's t = 0
let lastChunkCount = 0; // chunks in the current run, from its run-start event
let frame = 0;
/** The run in flight: { controller, end }, or null. Only its events are drawn. */
let current = null;
/** The latest run's events, kept as their batches' JSON texts (recording.js): what replay, traces, compare mode
 *  and the questions panel read back. */
let recorded = new Recording();
/** The live run's User Timing measures (DevTools' Performance panel), from its run-start on. */
let measures = null;

/** What the page calls each option that can be wrong: its messages use the visible labels. */
const FIELD_LABELS = {
  query: "Question", chunks: "Chunks", seed: "Seed", timeScale: "Speed", barrier: "Barrier",
  faults: "Fault chunk", onChunkError: "When a chunk fails", phaseTimeoutMs: "Phase timeout",
  documents: "Documents", chunkWords: "Words per chunk", overlapWords: "Overlap words",
  storeMs: "Vector-store write", approach: "Run beside it",
};

/** A whole number as typed: digits only ("1e3", "0x10" and "2.5" are not), with an optional minus. */
const INTEGER = /^-?\d+$/;

/** `text` as a number if it is a plain integer; otherwise as typed, so Rust's error quotes it. */
function integerOrText(text) {
  return INTEGER.test(text) ? Number(text) : text;
}

/** Form values as runPipeline options; blank fields are left out so Rust's defaults apply. */
function readOptions() {
  const data = new FormData(form);
  const options = {};
  const number = (name) => {
    const text = String(data.get(name) ?? "").trim();
    if (text !== "") options[name] = integerOrText(text);
  };
  number("chunks");
  number("seed");
  number("timeScale");
  number("chunkWords");
  number("overlapWords");
  number("phaseTimeoutMs");
  number("storeMs");
  // One fault from three controls; a chunk that is not a number goes as typed, so Rust's error quotes it.
  const faultChunk = String(data.get("faultChunk") ?? "").trim();
  if (faultChunk !== "") {
    options.faults = [{
      chunk: integerOrText(faultChunk),
      phase: String(data.get("faultPhase") ?? "embed"),
      kind: String(data.get("faultKind") ?? "error"),
    }];
  }
  options.onChunkError = String(data.get("onChunkError") ?? "fail-fast");
  options.query = String(data.get("query") ?? "");
  options.barrier = String(data.get("barrier") ?? "phase");
  // One pasted text is one document; Rust splits it into paragraphs and chunks.
  const documents = String(data.get("documents") ?? "");
  if (documents.trim() !== "") options.documents = [documents];
  return options;
}

/** A log line's colour class, by its event's type (phase lines are coloured by phase instead). */
const LOG_CLASSES = {
  top: "answer", "answer-start": "answer", answer: "answer", "chunk-failed": "failed",
  "chunk-dropped": "dropped", "chunk-cancelled": "cancelled", "barrier-broken": "failed", "run-end": "failed",
};

/** Prints the event's log line, if it has one, coloured by what it says. */
function logLine(event) {
  if (!event.line) return;
  const phase = event.type === "phase-complete" ? `phase-${event.phase === "embed" ? 1 : 2}` : "";
  const stopped = event.type === "run-end" && event.aborted;
  log.append(event.line, stopped ? "stopped" : LOG_CLASSES[event.type] ?? phase);
}

/** Draws one event into the lanes, the gate and the log: the one drawing path, live and in replay. */
function drawEvent(event) {
  if (event.type === "run-start") {
    timeline.reset(event.chunks);
    barriers.reset(event.chunks, event.barrier);
  }
  timeline.apply(event);
  barriers.apply(event);
  logLine(event);
  if (event.type === "run-end") log.flush(); // the last lines at once, not up to LIVE_MS later
}

/** Draws one event of the run in flight (`run` wraps it so no other run's events get here). */
function onEvent(event) {
  if (event.type === "run-start") {
    lastChunkCount = event.chunks;
    documentsSummary.textContent = form.elements.documents.value.trim() === ""
      ? `the bundled corpus, ${plural(event.chunks, "chunk")}`
      : `your text, ${plural(event.chunks, "chunk")}`;
    runStartedAt = performance.now() - event.t;
    measures = new RunMeasures(event, runStartedAt);
  }
  measures?.apply(event);
  drawEvent(event);
}

/** The views as a replay drives them: cleared, then drawn event by event through drawEvent. */
const replayViews = {
  clear() {
    const view = timeline.viewState();
    timeline.clear();
    barriers.clear();
    log.clear();
    return view;
  },
  draw: drawEvent,
  restore: (view) => timeline.restoreView(view),
  tick: (t) => timeline.tick(t),
  show(t) {
    timeline.show(t);
    barriers.render();
    log.flush();
  },
};
const replay = new Replay($("#replay"), replayViews, { keyScopes: [$("#timeline")] });

function animate() {
  timeline.tick(performance.now() - runStartedAt);
  if (current?.beside) compare.tick(performance.now() - current.beside.startedAt);
  frame = requestAnimationFrame(animate);
}

/** A citation: a button that shows chunk `chunk`'s lane, or says it has none drawn. */
function citeButton(chunk, text) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "cite";
  button.textContent = text;
  button.addEventListener("click", () => {
    const shown = timeline.highlight(chunk, { focus: true });
    answerBox.querySelector(`.sources [data-chunk="${chunk}"]`)?.classList.add("flash");
    if (!shown) runState.textContent = `chunk-${chunk} has no lane drawn.`;
  });
  return button;
}

/** The answer: each quoted sentence (always text, whatever it contains) and its citation.
 *  The quotes come as data from Rust, so nothing here parses the answer's text. */
function answerParagraph(result) {
  const paragraph = document.createElement("p");
  paragraph.className = "answer-text";
  if (result.quotes.length === 0) paragraph.append(result.answer);
  result.quotes.forEach((quote, index) => {
    paragraph.append(`${index > 0 ? " " : ""}${quote.text} `, citeButton(quote.chunk, `[${quote.id}]`));
  });
  return paragraph;
}

/** One of the top chunks: its id, its score and the parts it blends, its text. */
function sourceItem(entry) {
  const item = document.createElement("li");
  item.dataset.chunk = String(entry.chunk);
  const head = document.createElement("div");
  const id = document.createElement("code");
  id.textContent = entry.id;
  const score = document.createElement("span");
  score.className = "score";
  score.textContent = `score ${entry.score.toFixed(2)} · BM25 ${entry.bm25.toFixed(2)} · cosine ${entry.cosine.toFixed(2)}`;
  head.append(id, " ", score);
  const quote = document.createElement("blockquote");
  quote.textContent = entry.text;
  item.append(head, quote);
  // Fewer than three chunks matched: the rest of the top 3 is filler, and looks it.
  if (entry.score === 0) {
    item.classList.add("unmatched");
    score.textContent += " · no match";
  }
  return item;
}

/** What the barrier bought: the top 3 had chunks scored as soon as they were embedded. */
function withoutBarrierFacts(result) {
  const { top, changed, wrong } = result.withoutBarrier;
  const ids = top.map((entry) => entry.id).join(", ");
  const verdict = wrong === 0
    ? `the top 3 would have been ${ids}: the same chunks, this time`
    : `the top 3 would have been ${ids}: ${wrong} of them wrong`;
  const facts = document.createElement("p");
  facts.className = "facts without-barrier";
  facts.textContent = `Without the barrier: ${formatCount(changed)} of ${plural(lastChunkCount, "chunk")} ` +
    `would have scored against a partial corpus and got a different score, and ${verdict}.`;
  return facts;
}

/** "chunk-4 (timed out after 500 ms in Phase 1)": one chunk that dropped out, as the result reports it. */
function droppedText({ id, phase, message }) {
  return `${id} (${message} in Phase ${phase === "score" ? 2 : 1})`;
}

/** Under drop-out: the chunks that left the barrier, each linked to its lane. */
function droppedList(dropped) {
  const paragraph = document.createElement("p");
  paragraph.className = "dropped-out";
  const head = document.createElement("strong");
  head.textContent = "Dropped out: ";
  paragraph.append(head);
  dropped.forEach((entry, index) => {
    if (index > 0) paragraph.append("; ");
    const text = droppedText(entry);
    paragraph.append(citeButton(entry.chunk, entry.id), text.slice(entry.id.length));
  });
  const note = document.createElement("span");
  note.className = "muted";
  note.textContent = dropped.length === 1
    ? " It left the barrier; the answer ranks the chunks that finished."
    : ` They left the barrier; the answer ranks the ${plural(lastChunkCount - dropped.length, "chunk")} that finished.`;
  paragraph.append(note);
  return paragraph;
}

/** A paragraph of facts about the run. */
function facts(...parts) {
  const paragraph = document.createElement("p");
  paragraph.className = "facts";
  paragraph.append(...parts);
  return paragraph;
}

/** The time scale the run used, from the Speed control: 1 is real time. */
function timeScale() {
  return Number(form.elements.timeScale.value) || 1;
}

function showAnswer(result) {
  const chunkMs = result.workingMs + result.waitingMs;
  const waitShare = (100 * result.waitingMs) / Math.max(chunkMs, 1e-9);
  const cost = document.createElement("strong");
  cost.textContent = formatMs(result.waitingMs);
  const scale = timeScale();
  // Speed stretches every latency, the barrier's wait included; say so rather than let it look 3× dearer.
  const scaled = scale === 1 ? "" : ` At ${scale}× slower every latency is stretched ${scale}×, and so is this.`;
  const replay = document.createElement("button");
  replay.type = "button";
  replay.textContent = "replay this seed";
  replay.addEventListener("click", () => {
    form.elements.seed.value = String(result.seed);
    saveForm(form);
  });
  const seed = document.createElement("code");
  seed.textContent = String(result.seed);
  const sources = document.createElement("ol");
  sources.className = "sources";
  sources.setAttribute("aria-label", `Top ${plural(result.top.length, "chunk")}, best first`);
  sources.append(...result.top.map(sourceItem));
  const answer = answerParagraph(result);
  answerBox.replaceChildren(answer);
  if (result.dropped?.length > 0) answerBox.append(droppedList(result.dropped));
  answerBox.append(
    sources,
    withoutBarrierFacts(result),
    facts("The barrier's cost: chunks spent ", cost, ` waiting for slower chunks, ${waitShare.toFixed(0)}% of ` +
      `their ${formatCount(Math.round(chunkMs))} chunk-milliseconds.${scaled}`),
    facts(`makespan ${formatMs(result.makespanMs)} · run ${result.runId} · seed `, seed, " ", replay),
  );
}

/** The first sentence of the answer, for the one announcement a run makes. */
function firstSentence(result) {
  return result.quotes[0]?.text ?? result.answer;
}

/** Says one thing politely to screen readers (the page's only live announcement besides errors). */
function announce(text) {
  announcer.textContent = text;
}

/** Rust's message names the API field ("chunks must be …"); the page names the label a person sees
 *  ("Chunks: must be …") and writes long numbers with separators. */
function errorText(error) {
  const message = error instanceof Error ? error.message : String(error);
  // The page sends one fault, typed in Fault chunk: its range errors are about that field's value.
  const range = error?.field === "faults" && message.match(/chunk index from 0 to (\d+)/);
  if (range) {
    const typed = form.elements.faultChunk.value.trim();
    return `Fault chunk: must be a chunk index from 0 to ${formatCount(Number(range[1]))} ` +
      `(got ${INTEGER.test(typed) ? typed : JSON.stringify(typed)})`;
  }
  const label = FIELD_LABELS[error?.field];
  const named = label && message.startsWith(`${error.field} `)
    ? `${label}:${message.slice(error.field.length)}`
    : message;
  return named.replace(/\b\d{5,}\b/g, (digits) => formatCount(Number(digits)));
}

function showError(error) {
  errorBox.hidden = false;
  errorBox.textContent = errorText(error);
  const field = error?.field && form.querySelector(`[data-field="${error.field}"]`);
  if (field) {
    field.closest("details")?.setAttribute("open", "");
    field.classList.add("invalid");
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }
}

/** A muted paragraph for the answer panel. */
function note(text, className = "muted") {
  const paragraph = document.createElement("p");
  paragraph.className = className;
  paragraph.textContent = text;
  return paragraph;
}

/** Run and Stop while a run is in flight (Run restarts it) and once none is. Focus follows:
 *  to Stop while running, back to Run after, and never to <body> when Stop disables itself. */
function setRunning(running) {
  runButton.textContent = running ? "Restart" : "Run";
  runButton.title = running ? "Stop the run in flight and start a new one" : "";
  stopButton.disabled = !running;
  if (running) stopButton.focus();
  else if (document.activeElement === stopButton || document.activeElement === document.body) runButton.focus();
}

/** On a narrow screen the form fills the first screenful: bring the lanes into view on Run. */
function revealLanes() {
  if (timelinePanel.getBoundingClientRect().top < window.innerHeight * 0.6) return;
  const reduced = matchMedia("(prefers-reduced-motion: reduce)").matches;
  timelinePanel.scrollIntoView({ block: "start", behavior: reduced ? "auto" : "smooth" });
}

function startAnimation() {
  cancelAnimationFrame(frame);
  frame = requestAnimationFrame(animate);
}

/** Starts a run; one already in flight is aborted first, and nothing of it is drawn after that.
 *  With compare mode on, the same seed then runs as two gathers, drawn under it. */
async function run(event) {
  event.preventDefault();
  const previous = current;
  const me = { controller: new AbortController(), end: null, beside: null };
  current = me; // first: the events the previous run sends while it is cancelled are ignored
  previous?.controller.abort();
  errorBox.hidden = true;
  for (const input of form.querySelectorAll(".invalid")) {
    input.classList.remove("invalid");
    input.removeAttribute("aria-invalid");
  }
  saveForm(form);
  measures = null;
  replay.setLive(true); // a new run ends any replay
  traces.setLive(true);
  setRunning(true);
  revealLanes();
  runState.textContent = "Running…";
  announce("");
  log.clear();
  recorded = new Recording();
  timeline.clear();
  barriers.clear();
  const variant = String(new FormData(form).get("compare") ?? "");
  if (variant) compare.begin(variant);
  else compare.clear();
  answerBox.replaceChildren(note("Waiting for every chunk…"));
  questions.clear();
  startAnimation();
  const options = { ...readOptions(), signal: me.controller.signal };
  const outcome = { result: null, error: null, events: recorded };
  try {
    // One array per turn of the event loop: far cheaper than a call per event at 100,000 chunks.
    outcome.result = await runPipelineBatched(options, (events, json) => {
      if (current !== me) return; // a superseded run: its cancellation is not this run's news
      outcome.events.push(events, json); // the text, not the objects: they die young once drawn
      for (const event of events) {
        if (event.type === "run-end") me.end = event;
        onEvent(event);
        // The gathers get this run's seed, so both draw the same latencies and scores.
        if (event.type === "run-start") me.seed = event.seed;
      }
    });
    if (current !== me) return;
    showAnswer(outcome.result);
    saveForm(form, { seed: String(outcome.result.seed) }); // the link now replays exactly this run
    runState.textContent = `Done in ${formatMs(outcome.result.makespanMs)}.`;
    announce(`Run finished in ${formatMs(outcome.result.makespanMs)}. Answer: ${firstSentence(outcome.result)}`);
  } catch (error) {
    if (current !== me) return;
    outcome.error = error;
    showFailure(me, error);
  } finally {
    if (current === me && variant) await compareBeside(me, outcome, options, variant);
    if (current === me) {
      current = null;
      cancelAnimationFrame(frame);
      setRunning(false);
      // Every ending (answered, failed, stopped), from the events and the lanes' history of them.
      questions.update(outcome.events, outcome.result, options, { history: timeline.history });
      replay.setLive(false);
      // A run that began (run-start) always ends with run-end, stopped or failed: all of it replays.
      replay.load(outcome.events.last?.type === "run-end" ? outcome.events : null, { drawn: true });
      traces.setLive(false);
    }
  }
}

/** The barrier run gave no answer: stopped (say when), or an error (say which, and mark its field). */
function showFailure(me, error) {
  if (error?.name === "AbortError") {
    // Stopped before Rust began the run (no run-end came): nothing ran, so nothing was cancelled.
    const text = me.end ? `Stopped: every chunk was cancelled at ${formatMs(me.end.t)}.`
      : "Stopped before the run started.";
    answerBox.replaceChildren(note(text, "stopped"));
    runState.textContent = me.end ? `Stopped at ${formatMs(me.end.t)}.` : "Stopped.";
    announce(text);
    return;
  }
  runState.textContent = "";
  answerBox.replaceChildren(note(error?.field
    ? "Nothing ran: fix the highlighted option."
    : error?.chunk !== undefined
      ? `No answer: chunk-${error.chunk} failed, so the group cancelled the others.`
      : "No answer."));
  showError(error);
}

/** Compare mode's run: the same options and `seed` as two gathers (`variant`), drawn in the compare panel. */
function runBeside(me, options, variant, seed) {
  const beside = { result: null, error: null, events: compare.events, startedAt: performance.now() };
  beside.done = runPipelineBatched({ ...options, seed, approach: variant }, (events) => {
    if (current !== me) return;
    for (const event of events) {
      if (event.type === "run-start") beside.startedAt = performance.now() - event.t;
      compare.apply(event);
    }
  }).then((result) => { beside.result = result; }, (error) => { beside.error = error; });
  return beside;
}

/**
 * Compare mode, once the barrier run has ended: the same seed as two gathers (`variant`), then both lanes on
 * one axis and the verdict. After the barrier run, not beside it: two runs sharing one event loop would time
 * each other's scheduling, not their structure. Nothing runs if the barrier run was stopped or never began.
 */
async function compareBeside(me, outcome, options, variant) {
  if (me.seed === undefined || outcome.error?.name === "AbortError") {
    compare.skip(me.seed === undefined ? null : "Stopped before the same seed ran as two gathers.");
    return;
  }
  const said = runState.textContent;
  runState.textContent = `${said} Now the same seed as two gathers…`;
  me.beside = runBeside(me, options, variant, me.seed);
  await me.beside.done;
  if (current !== me) return;
  const events = await outcome.events.events(); // the barrier run's, parsed back
  if (current !== me) return;
  runState.textContent = said;
  questions.setCompareVerdict(compare.finish({ ...outcome, events }, me.beside));
}

/** Stop: aborts the run in flight; its chunks report their cancellation, then run-end. */
function stop() {
  if (!current) return;
  runState.textContent = "Stopping…";
  current.controller.abort();
}

// A shared link's settings, before anything else: the form shows them while the module loads.
if (restoreForm(form, location.search) && ["documents", "chunkWords", "overlapWords"]
  .some((name) => form.elements[name].value !== "")) $("#documents-panel").open = true;

/** A trace read back: replay it, say whose run it was, and what it answered. */
function showImported(events, file) {
  errorBox.hidden = true;
  replay.load(events);
  const start = events[0];
  const end = events.at(-1);
  const answer = events.find((event) => event.type === "answer");
  answerBox.replaceChildren(note(`Imported from ${file.name}: run ${start.run}, ${plural(start.chunks, "chunk")}, ` +
    `seed ${start.seed}, question "${start.query}".`));
  answerBox.append(answer ? note(answer.text, "answer-text") : note(end.line ?? "The run ended without an answer."));
  runState.textContent = `Replaying run ${start.run} from ${file.name}.`;
  // The five questions, answered from the file's events (a fault run of it uses the seed and question it names).
  questions.update(events, null, { seed: start.seed, query: start.query, barrier: start.barrier });
  compare.clear(); // a compared run's gathers are not this file's
}

const traces = bindTraceControls({
  exportButton: $("#trace-export"), importInput: $("#trace-import"), status: $("#trace-status"),
  errorBox: $("#trace-error"), recording: () => replay.recording, onImport: showImported,
});

/** Loads the WASM module, then enables Run. A function, not top-level await,
 *  so that the same code also runs in the classic standalone bundle. */
async function start() {
  const loading = loadWasm();
  showHazard(loading); // the hazard demo section runs on the same module, or says why it cannot
  try {
    const wasm = await loading;
    runPipelineBatched = wasm.runPipelineBatched;
    form.addEventListener("submit", run);
    stopButton.addEventListener("click", stop);
    runButton.disabled = false;
    runButton.textContent = "Run";
  } catch (error) {
    // Without the module nothing can run: say why instead of leaving a dead button.
    runButton.textContent = "Unavailable";
    showError(new Error(`Could not load the WebAssembly module (${error.message}). Build it with \`make serve\`.`));
  }
}

start();
