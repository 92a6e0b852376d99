// The page: reads the form, calls the WASM module's runPipelineBatched, and replays
// each event it streams into the lanes, the barrier meters, the log and the
// answer. Every number shown comes from an event or the run's result.

import { Gate } from "./gate.js";
import { Lanes } from "./lanes.js";

const $ = (selector) => document.querySelector(selector);
const form = $("#controls");
const runButton = $("#run");
const stopButton = $("#stop");
const runState = $("#run-state");
const errorBox = $("#error");
const logList = $("#log");
const answerBox = $("#answer");
const documentsSummary = $("#documents-summary");
const timeline = new Lanes($("#timeline"), { legend: $("#timeline-panel .lanes-legend") });
const barriers = new Gate($("#barriers"));

/** Log lines kept on the page; a 100,000-chunk run prints 200,000. */
const MAX_LOG_LINES = 2000;

let runPipelineBatched; // the WASM module's export, once it has loaded
let runStartedAt = 0; // performance.now() at the current run's t = 0
let lastChunkCount = 0; // chunks in the current run, from its run-start event
let frame = 0;
/** The run in flight: { controller, end }, or null. Only its events are drawn. */
let current = null;

/** Form values as runPipeline options; blank fields are left out so Rust's defaults apply. */
function readOptions() {
  const data = new FormData(form);
  const options = {};
  const number = (name) => {
    const text = String(data.get(name) ?? "").trim();
    // Text that is not a number goes to Rust as typed, so its error quotes it.
    if (text !== "") options[name] = Number.isNaN(Number(text)) ? text : Number(text);
  };
  number("chunks");
  number("seed");
  number("timeScale");
  number("chunkWords");
  number("overlapWords");
  number("phaseTimeoutMs");
  // One fault from three controls; a chunk that is not a number goes as typed, so Rust's error quotes it.
  const faultChunk = String(data.get("faultChunk") ?? "").trim();
  if (faultChunk !== "") {
    options.faults = [{
      chunk: Number.isNaN(Number(faultChunk)) ? faultChunk : Number(faultChunk),
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

const LOG_CLASSES = {
  top: "answer", "answer-start": "answer", answer: "answer", "chunk-failed": "failed",
  "chunk-dropped": "dropped", "chunk-cancelled": "cancelled", "barrier-broken": "failed", "run-end": "failed",
};
let hiddenLines = 0;
let logGrew = false;

function appendLog(text, className) {
  const item = document.createElement("li");
  item.textContent = text;
  item.className = className;
  logList.append(item);
  logGrew = true;
}

/** Keeps the newest log line in view. Once a frame, not once a line: reading
 *  scrollHeight forces a layout, and a big run prints thousands of lines. */
function scrollLog() {
  if (logGrew) logList.scrollTop = logList.scrollHeight;
  logGrew = false;
}

/** Prints the event's log line; past MAX_LOG_LINES only lines about the whole run. */
function logLine(event) {
  // Before run-end's own line, so that the run's last line stays last.
  if (event.type === "run-end" && hiddenLines > 0) {
    appendLog(`(${hiddenLines} per-chunk lines not shown)`, "cancelled");
  }
  const perChunk = event.type === "phase-complete" || event.type === "chunk-cancelled";
  if (event.line && perChunk && logList.childElementCount >= MAX_LOG_LINES) hiddenLines++;
  else if (event.line) {
    const phase = event.type === "phase-complete" ? `phase-${event.phase === "embed" ? 1 : 2}` : "";
    const stopped = event.type === "run-end" && event.aborted;
    appendLog(event.line, stopped ? "stopped" : LOG_CLASSES[event.type] ?? phase);
  }
}

/** Draws one event of the run in flight (`run` wraps it so no other run's events get here). */
function onEvent(event) {
  if (event.type === "run-start") {
    lastChunkCount = event.chunks;
    documentsSummary.textContent = form.elements.documents.value.trim() === ""
      ? `the bundled corpus, ${event.chunks} chunks`
      : `your text, ${event.chunks} chunks`;
    hiddenLines = 0;
    runStartedAt = performance.now() - event.t;
    timeline.reset(event.chunks);
    barriers.reset(event.chunks, event.barrier);
  }
  timeline.apply(event);
  barriers.apply(event);
  logLine(event);
}

function animate() {
  timeline.tick(performance.now() - runStartedAt);
  scrollLog();
  frame = requestAnimationFrame(animate);
}

/** The answer with each `[chunk-N]` citation as a link to that chunk's lane. */
function answerParagraph(answer) {
  const paragraph = document.createElement("p");
  paragraph.className = "answer-text";
  for (const part of answer.split(/(\[chunk-\d+\])/)) {
    const cited = part.match(/^\[chunk-(\d+)\]$/);
    if (!cited) {
      paragraph.append(part);
      continue;
    }
    const link = document.createElement("a");
    link.href = "#";
    link.className = "cite";
    link.textContent = part;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      timeline.highlight(Number(cited[1]));
      answerBox.querySelector(`[data-chunk="${cited[1]}"]`)?.classList.add("flash");
    });
    paragraph.append(link);
  }
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
  facts.textContent = `Without the barrier: ${changed} of ${lastChunkCount} chunks would ` +
    `have scored against a partial corpus and got a different score, and ${verdict}.`;
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
    const link = document.createElement("a");
    link.href = "#";
    link.className = "cite";
    link.textContent = entry.id;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      timeline.highlight(entry.chunk);
    });
    paragraph.append(link, text.slice(entry.id.length));
  });
  const note = document.createElement("span");
  note.className = "muted";
  note.textContent = dropped.length === 1
    ? " It left the barrier; the answer ranks the chunks that finished."
    : ` They left the barrier; the answer ranks the ${lastChunkCount - dropped.length} chunks that finished.`;
  paragraph.append(note);
  return paragraph;
}

function showAnswer(result) {
  const waitShare = (100 * result.waitingMs) / Math.max(result.workingMs + result.waitingMs, 1e-9);
  answerBox.innerHTML = `<ol class="sources"></ol>
    <p class="facts">The barrier's cost: chunks spent <strong>${result.waitingMs.toFixed(0)} ms</strong>
    waiting for slower chunks, ${waitShare.toFixed(0)}% of their ${(result.workingMs + result.waitingMs).toFixed(0)}
    chunk-milliseconds.</p>
    <p class="facts">makespan ${result.makespanMs.toFixed(0)} ms · run ${result.runId} ·
    seed <code>${result.seed}</code> <button type="button" id="replay">replay this seed</button></p>`;
  const answer = answerParagraph(result.answer);
  answerBox.prepend(answer);
  if (result.dropped?.length > 0) answer.after(droppedList(result.dropped));
  answerBox.querySelector(".sources").append(...result.top.map(sourceItem));
  answerBox.querySelector(".sources").after(withoutBarrierFacts(result));
  $("#replay").addEventListener("click", () => {
    form.elements.seed.value = String(result.seed);
  });
}

function showError(error) {
  errorBox.hidden = false;
  errorBox.textContent = error instanceof Error ? error.message : String(error);
  const field = error?.field && form.querySelector(`[data-field="${error.field}"]`);
  if (field) {
    field.closest("details")?.setAttribute("open", "");
    field.classList.add("invalid");
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

/** Run and Stop while a run is in flight (Run restarts it) and once none is. */
function setRunning(running) {
  runButton.textContent = running ? "Restart" : "Run";
  runButton.title = running ? "Stop the run in flight and start a new one" : "";
  if (!running && document.activeElement === stopButton) runButton.focus(); // never strand focus on a disabled button
  stopButton.disabled = !running;
}

function startAnimation() {
  cancelAnimationFrame(frame);
  frame = requestAnimationFrame(animate);
}

/** Starts a run; one already in flight is aborted first, and nothing of it is drawn after that. */
async function run(event) {
  event.preventDefault();
  const previous = current;
  const me = { controller: new AbortController(), end: null };
  current = me; // first: the events the previous run sends while it is cancelled are ignored
  previous?.controller.abort();
  errorBox.hidden = true;
  for (const input of form.querySelectorAll(".invalid")) input.classList.remove("invalid");
  setRunning(true);
  runState.textContent = "Running…";
  logList.replaceChildren();
  timeline.clear();
  barriers.clear();
  answerBox.replaceChildren(note("Waiting for every chunk…"));
  startAnimation();
  const options = { ...readOptions(), signal: me.controller.signal };
  try {
    // One array per turn of the event loop: far cheaper than a call per event at 100,000 chunks.
    const result = await runPipelineBatched(options, (events) => {
      if (current !== me) return; // a superseded run: its cancellation is not this run's news
      for (const event of events) {
        if (event.type === "run-end") me.end = event;
        onEvent(event);
      }
    });
    if (current !== me) return;
    showAnswer(result);
    runState.textContent = "";
  } catch (error) {
    if (current !== me) return;
    if (error?.name === "AbortError") {
      // Stopped before Rust began the run (no run-end came): nothing ran, so nothing was cancelled.
      const text = me.end ? `Stopped: every chunk was cancelled at ${me.end.t.toFixed(0)} ms.`
        : "Stopped before the run started.";
      answerBox.replaceChildren(note(text, "stopped"));
      runState.textContent = me.end ? `Stopped at ${me.end.t.toFixed(0)} ms.` : "Stopped.";
      return;
    }
    runState.textContent = "";
    answerBox.replaceChildren(note(error?.field
      ? "Nothing ran: fix the highlighted option."
      : error?.chunk !== undefined
        ? `No answer: chunk-${error.chunk} failed, so the group cancelled the others.`
        : "No answer."));
    showError(error);
  } finally {
    if (current === me) {
      current = null;
      cancelAnimationFrame(frame);
      scrollLog();
      setRunning(false);
    }
  }
}

/** Stop: aborts the run in flight; its chunks report their cancellation, then run-end. */
function stop() {
  if (!current) return;
  runState.textContent = "Stopping…";
  current.controller.abort();
}

try {
  // Imported dynamically so that a missing build shows a message, not a dead page.
  const wasm = await import("../pkg/rag_phase_sync.js");
  await wasm.default();
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
