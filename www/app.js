// The page: reads the form, calls the WASM module's runPipeline, and replays
// each event it streams into the lanes, the barrier meters, the log and the
// answer. Every number shown comes from an event or the run's result.

import init, { runPipeline } from "../pkg/rag_phase_sync.js";
import { BarrierView, Timeline } from "./timeline.js";

const $ = (selector) => document.querySelector(selector);
const form = $("#controls");
const runButton = $("#run");
const errorBox = $("#error");
const logList = $("#log");
const answerBox = $("#answer");
const timeline = new Timeline($("#timeline"), $("#lanes-note"));
const barriers = new BarrierView($("#barriers"));

/** Log lines kept on the page; a 100,000-chunk run prints 200,000. */
const MAX_LOG_LINES = 2000;

let runStartedAt = 0; // performance.now() at the current run's t = 0
let frame = 0;

/** Form values as runPipeline options; blank fields are left out so Rust's defaults apply. */
function readOptions() {
  const data = new FormData(form);
  const options = {};
  const number = (name) => {
    const text = String(data.get(name) ?? "").trim();
    if (text !== "") options[name] = Number(text);
  };
  number("chunks");
  number("seed");
  number("timeScale");
  number("failChunk");
  options.query = String(data.get("query") ?? "");
  return options;
}

function logLine(event) {
  if (!event.line) return;
  if (logList.childElementCount >= MAX_LOG_LINES) {
    if (logList.childElementCount === MAX_LOG_LINES) logList.append(Object.assign(document.createElement("li"), {
      textContent: "… (later lines not shown)", className: "cancelled",
    }));
    if (event.type !== "answer" && event.type !== "top") return;
  }
  const item = document.createElement("li");
  item.textContent = event.line;
  item.className = {
    "phase-complete": `phase-${event.phase === "embed" ? 1 : 2}`,
    top: "answer", "answer-start": "answer", answer: "answer",
    "chunk-failed": "failed", "chunk-cancelled": "cancelled", "run-end": "failed",
  }[event.type] ?? "";
  logList.append(item);
  logList.scrollTop = logList.scrollHeight;
}

function onEvent(event) {
  if (event.type === "run-start") {
    runStartedAt = performance.now() - event.t;
    timeline.reset(event.chunks);
    barriers.reset(event.chunks);
  }
  timeline.apply(event);
  barriers.apply(event);
  logLine(event);
}

function animate() {
  timeline.tick(performance.now() - runStartedAt);
  frame = requestAnimationFrame(animate);
}

function showAnswer(result) {
  const top = result.top
    .map((entry) => `<li><code>${entry.id}</code> <span class="score">score ${entry.score.toFixed(2)}</span></li>`)
    .join("");
  answerBox.innerHTML = `<p></p><ol>${top}</ol>
    <p class="facts">makespan ${result.makespanMs.toFixed(0)} ms · run ${result.runId} ·
    seed <code>${result.seed}</code> <button type="button" id="replay">replay this seed</button></p>`;
  answerBox.querySelector("p").textContent = result.answer;
  $("#replay").addEventListener("click", () => {
    form.elements.seed.value = String(result.seed);
  });
}

function showError(error) {
  errorBox.hidden = false;
  errorBox.textContent = error instanceof Error ? error.message : String(error);
  const field = error?.field && form.querySelector(`[data-field="${error.field}"]`);
  if (field) {
    field.classList.add("invalid");
    field.focus();
  }
}

async function run(event) {
  event.preventDefault();
  errorBox.hidden = true;
  for (const input of form.querySelectorAll(".invalid")) input.classList.remove("invalid");
  runButton.disabled = true;
  runButton.textContent = "Running…";
  logList.replaceChildren();
  answerBox.innerHTML = '<p class="muted">Waiting for every chunk…</p>';
  frame = requestAnimationFrame(animate);
  try {
    showAnswer(await runPipeline(readOptions(), onEvent));
  } catch (error) {
    answerBox.innerHTML = '<p class="muted">No answer: the run was stopped.</p>';
    showError(error);
  } finally {
    cancelAnimationFrame(frame);
    runButton.disabled = false;
    runButton.textContent = "Run";
  }
}

await init();
form.addEventListener("submit", run);
runButton.disabled = false;
runButton.textContent = "Run";
