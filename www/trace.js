// A run as a Chrome Trace Event Format file (the JSON Object Format:
// https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU),
// which Perfetto (ui.perfetto.dev) and chrome://tracing open, and back.
//
// The layout: the run is a process (pid = the run's id, named by process_name);
// track tid 1 is the run itself ("Run N" and "Phase 3 (answer)" as complete
// events, the barrier's releases and breaks as process-wide instants, the top 3
// as an instant); chunk c is track tid c + 2, named "chunk-c" by thread_name,
// with its phases ("Phase 1 (embed)", "Phase 2 (score)") and its waits at the
// barrier ("Barrier wait (gen 0)") as complete events (ph "X", ts and dur in
// microseconds) and how it failed, dropped out or was cancelled as an instant.
// On each track the complete events only follow one another (Perfetto drops
// X events that overlap without nesting; "Run N" holds "Phase 3 (answer)"),
// and each track's events are listed in ts order, parents first. The format
// does not require any order across the file, and sorting 400,000 events of
// a 100,000-chunk run would cost a long task for nothing: viewers sort.
//
// Lossless: every pipeline event of the run rides, unchanged, in the `args` of
// exactly one trace event, as `args.pipeline: [{ seq, event }]`, where seq is
// its index in the run (a phase's X carries its phase-start and its
// phase-complete; an instant carries the event it stands for). Reading a trace
// back collects them all, orders them by seq and checks the result as a whole
// run (event-schema.js), so the page replays exactly what it drew live; a
// viewer shows them as the slice's arguments. `otherData` names the tool and
// format version, so a trace from another tool is told apart from a damaged one.

import { checkRecording, checkSteps, RecordingError } from "./event-schema.js";
import { downloadText } from "./copy-text.js";
import { plural } from "./format.js";
import { finish, finishSliced } from "./slices.js";

/** `otherData.tool` of a trace this page wrote. */
export const TRACE_TOOL = "rag-phase-sync";
/** `otherData.format`: bumped if the way events ride in args ever changes. */
export const TRACE_FORMAT = "1";
/** The biggest file Import reads: JSON.parse holds the page for about a second per 100 MB and needs several
 *  times the file in memory, so past this a file is refused unread (a 25,000-chunk run's trace is ~37 MB). */
export const MAX_TRACE_BYTES = 40 * 1024 * 1024;

const RUN_TID = 1;
/** The track of chunk `chunk`. */
const chunkTid = (chunk) => chunk + 2;
const us = (ms) => Math.round(ms * 1000); // events carry t rounded to µs already: this only drops float noise
const PHASE_NAMES = { embed: "Phase 1 (embed)", score: "Phase 2 (score)" };

/** A trace that cannot be read back; its message is for people. */
export class TraceError extends Error {
  constructor(message) {
    super(message);
    this.name = "TraceError";
  }
}

/**
 * The trace of one recorded run (`events`: run-start to run-end, as the page keeps them), as an object in the
 * JSON Object Format: `{ traceEvents, displayTimeUnit: "ms", otherData }`. Throws a RecordingError if `events`
 * is not one whole run.
 */
export function toTrace(events) {
  return finish(traceSteps(events));
}

/** toTrace as a job for slices.js: yields the fraction done (0 to 0.5) every few thousand events. */
function* traceSteps(events) {
  for (const done of checkSteps(events)) yield done * 0.2;
  const start = events[0];
  const pid = start.run;
  const end = events.at(-1);
  const out = [];
  yield* metadata(out, pid, start);
  const carry = (seq) => ({ seq, event: events[seq] });
  /** A complete event from `from` ms to `to` ms on track `tid`, carrying pipeline events `carried`. */
  const complete = (name, cat, tid, from, to, carried, extra = {}) => {
    const ts = us(from);
    out.push({ name, cat, ph: "X", ts, dur: Math.max(0, us(to) - ts), pid, tid, args: { ...extra, pipeline: carried } });
  };
  const instant = (name, cat, tid, scope, seq) => {
    out.push({ name, cat, ph: "i", s: scope, ts: us(events[seq].t), pid, tid, args: { pipeline: [carry(seq)] } });
  };
  // What is open on each chunk's track: its phase ({ name, seq }) and its wait at the barrier ({ generation, seq }).
  const phases = new Map();
  const waits = new Map();
  let answer = null; // answer-start's seq, until answer
  let gather = null; // gather-start's seq, until gather-end (approach "gather" or "gather-collect")
  const closePhase = (chunk, t, ended, carried = []) => {
    const open = phases.get(chunk);
    if (!open) return false;
    phases.delete(chunk);
    complete(open.name, "phase", chunkTid(chunk), events[open.seq].t, t, [carry(open.seq), ...carried], ended ? { ended } : {});
    return true;
  };
  const closeWait = (chunk, t, ended, carried = []) => {
    const open = waits.get(chunk);
    if (!open) return false;
    waits.delete(chunk);
    complete(`Barrier wait (gen ${open.generation})`, "barrier", chunkTid(chunk), events[open.seq].t, t,
      [carry(open.seq), ...carried], { ended });
    return true;
  };
  // First on the run's track, so that its events stay in ts order (the run holds them all).
  complete(`Run ${pid}`, "run", RUN_TID, 0, end.t, [carry(0), carry(events.length - 1)]);
  for (let seq = 1; seq < events.length - 1; seq++) {
    if ((seq & 4095) === 0) yield 0.2 + (0.3 * seq) / events.length;
    const event = events[seq];
    const { chunk, t } = event;
    switch (event.type) {
      case "phase-start":
        closePhase(chunk, t, "restarted"); // never happens in a run; keeps every track's X events apart if it did
        phases.set(chunk, { name: PHASE_NAMES[event.phase], seq });
        break;
      case "phase-complete":
        if (!closePhase(chunk, t, null, [carry(seq)])) instant(PHASE_NAMES[event.phase], "phase", chunkTid(chunk), "t", seq);
        break;
      case "barrier-arrive":
        closeWait(chunk, t, "arrived again");
        waits.set(chunk, { generation: event.generation, seq });
        break;
      case "barrier-withdraw":
        if (!closeWait(chunk, t, "withdrawn", [carry(seq)])) instant("Barrier withdraw", "barrier", chunkTid(chunk), "t", seq);
        break;
      case "barrier-release":
        // Every chunk waiting at this generation goes on now.
        for (const [waiting, open] of waits) if (open.generation === event.generation) closeWait(waiting, t, "released");
        instant(`Barrier release (gen ${event.generation})`, "barrier", RUN_TID, "p", seq);
        break;
      case "barrier-broken":
        instant(`Barrier broken (gen ${event.generation})`, "barrier", RUN_TID, "p", seq);
        break;
      case "chunk-failed":
      case "chunk-dropped":
      case "chunk-cancelled": {
        const ended = event.type.slice("chunk-".length);
        closePhase(chunk, t, ended);
        closeWait(chunk, t, ended);
        instant(endName(event), "failure", chunkTid(chunk), "t", seq);
        break;
      }
      case "store-start": // a chunk's store write: on its track, between Phase 1 and the barrier
        closePhase(chunk, t, "restarted");
        phases.set(chunk, { name: "Store write", seq });
        break;
      case "store-complete":
        if (!closePhase(chunk, t, null, [carry(seq)])) instant("Store write", "store", chunkTid(chunk), "t", seq);
        break;
      case "gather-start":
        gather = seq;
        break;
      case "gather-end":
        if (gather === null) instant(`Gather (${event.phase})`, "gather", RUN_TID, "t", seq);
        else complete(`Gather (${event.phase})`, "gather", RUN_TID, events[gather].t, t, [carry(gather), carry(seq)]);
        gather = null;
        break;
      case "answer-start":
        answer = seq;
        break;
      case "answer":
        if (answer === null) instant("Answer", "answer", RUN_TID, "t", seq);
        else complete("Phase 3 (answer)", "answer", RUN_TID, events[answer].t, t, [carry(answer), carry(seq)]);
        answer = null;
        break;
      default: // top, without-barrier
        instant(event.type === "top" ? "Top 3" : "Without the barrier", "answer", RUN_TID, "t", seq);
    }
  }
  // What the run's end left open ends with it (a run stopped or failed: cancellations usually close them first).
  for (const chunk of [...phases.keys()]) closePhase(chunk, end.t, "run ended");
  for (const chunk of [...waits.keys()]) closeWait(chunk, end.t, "run ended");
  if (gather !== null) {
    complete(`Gather (${events[gather].phase})`, "gather", RUN_TID, events[gather].t, end.t, [carry(gather)], { ended: "run ended" });
  }
  if (answer !== null) complete("Phase 3 (answer)", "answer", RUN_TID, events[answer].t, end.t, [carry(answer)], { ended: "run ended" });
  return {
    traceEvents: out,
    displayTimeUnit: "ms",
    otherData: {
      tool: TRACE_TOOL, format: TRACE_FORMAT, run: String(pid), chunks: String(start.chunks),
      seed: String(start.seed), barrier: start.barrier, policy: start.policy, events: String(events.length),
    },
  };
}

/** Adds to `out` the process and thread names (ph "M"), and sort indices for the viewers that honour them
 *  (chrome://tracing; Perfetto orders tracks itself). A job for slices.js: 200,000 events at 100,000 chunks. */
function* metadata(out, pid, start) {
  const meta = (name, tid, args) => ({ name, ph: "M", ts: 0, pid, tid, args });
  out.push(
    meta("process_name", RUN_TID, { name: `rag-phase-sync run ${pid} (${plural(start.chunks, "chunk")}, seed ${start.seed})` }),
    meta("thread_name", RUN_TID, { name: "run" }),
    meta("thread_sort_index", RUN_TID, { sort_index: 0 }),
  );
  for (let chunk = 0; chunk < start.chunks; chunk++) {
    out.push(meta("thread_name", chunkTid(chunk), { name: `chunk-${chunk}` }),
      meta("thread_sort_index", chunkTid(chunk), { sort_index: chunk + 1 }));
    if ((chunk & 4095) === 4095) yield 0.2;
  }
}

/** An ending instant's name: "Failed in Phase 1 (embed)", "Cancelled at the barrier", ... */
function endName(event) {
  const phase = PHASE_NAMES[event.phase];
  switch (event.type) {
    case "chunk-failed": return `${event.timedOut ? "Timed out" : "Failed"} in ${phase}`;
    case "chunk-dropped": return `Dropped out in ${phase}${event.timedOut ? " (timed out)" : ""}`;
    default:
      return event.started === false ? "Cancelled before it started"
        : event.waiting ? "Cancelled at the barrier" : `Cancelled in ${phase}`;
  }
}

/** The trace as JSON text in parts (a Blob's), a block of trace events each: a 100,000-chunk run's trace
 *  is over 150 MB, and one JSON.stringify of it would need the whole string at once. */
export function traceJsonParts(trace) {
  return finish(partSteps(trace, 0, (text) => text));
}

/** traceJsonParts as a job for slices.js: yields the fraction done (`from` to 1) every block; each part is
 *  `wrap(text)`. */
function* partSteps(trace, from, wrap) {
  const { traceEvents, ...rest } = trace;
  const parts = ['{"traceEvents":[\n'];
  const BLOCK = 2000;
  for (let first = 0; first < traceEvents.length; first += BLOCK) {
    const block = traceEvents.slice(first, first + BLOCK).map((event) => JSON.stringify(event)).join(",\n");
    parts.push(wrap(first === 0 ? block : `,\n${block}`));
    yield from + ((1 - from) * first) / traceEvents.length;
  }
  parts.push(`\n],${JSON.stringify(rest).slice(1)}\n`);
  return parts;
}

/** A run's trace file as Blob parts, made a slice at a time (see slices.js); `progress(fraction)` hears how far it
 *  got at each pause. Blobs, not strings: a Blob of 150 MB of strings encodes them all in one long task, while a
 *  Blob of Blobs only refers to them, so the text is encoded a block at a time as it is made. */
export async function traceFileParts(events, progress) {
  return finishSliced((function* job() {
    const trace = yield* traceSteps(events);
    return yield* partSteps(trace, 0.5, (text) => new Blob([text]));
  })(), { progress });
}

/**
 * The pipeline events a trace file's text carries, in the run's order and checked as a whole run; throws a
 * TraceError saying, for people, why not: not JSON, not a trace, a trace from another tool, events missing
 * or out of order.
 */
export function eventsFromTrace(text) {
  let trace;
  try {
    trace = JSON.parse(text);
  } catch (error) {
    throw new TraceError(`it is not JSON (${error.message})`);
  }
  // The format also allows a bare array of events (the JSON Array Format).
  const list = Array.isArray(trace) ? trace : trace?.traceEvents;
  if (!Array.isArray(list)) {
    throw new TraceError("it is JSON but not a trace: a trace is an object with a traceEvents list, or a list of events");
  }
  const ours = !Array.isArray(trace) && trace.otherData?.tool === TRACE_TOOL;
  const carried = [];
  for (const [index, traceEvent] of list.entries()) {
    const riding = traceEvent?.args?.pipeline;
    if (riding === undefined) continue;
    if (!Array.isArray(riding)) throw new TraceError(`trace event ${index} has args.pipeline that is not a list`);
    for (const entry of riding) {
      if (!Number.isInteger(entry?.seq) || entry.seq < 0 || entry.event === null || typeof entry.event !== "object") {
        throw new TraceError(`trace event ${index} carries a pipeline event without a seq number and an event object`);
      }
      carried.push(entry);
    }
  }
  if (carried.length === 0) {
    throw new TraceError(ours
      ? `it is a ${TRACE_TOOL} trace whose events lost their args: nothing in it can be replayed`
      : `it has no ${TRACE_TOOL} events: it looks like a trace from another tool (${plural(list.length, "trace event")})`);
  }
  if (!ours) throw new TraceError(`it has no ${TRACE_TOOL} header (otherData.tool): it was not written by this page`);
  if (trace.otherData.format !== TRACE_FORMAT) {
    throw new TraceError(`it is format ${JSON.stringify(trace.otherData.format)}; this page reads format ${TRACE_FORMAT}`);
  }
  carried.sort((a, b) => a.seq - b.seq);
  const events = new Array(carried.length);
  for (const [index, { seq, event }] of carried.entries()) {
    if (seq !== index) {
      throw new TraceError(seq < index ? `pipeline event ${seq} appears twice`
        : `pipeline event ${index} is missing (the trace was cut or edited)`);
    }
    events[index] = event;
  }
  try {
    return checkRecording(events);
  } catch (error) {
    if (error instanceof RecordingError) throw new TraceError(`its run is damaged: ${error.message}`);
    throw error;
  }
}

/** A file name for run `run`'s trace. */
export function traceFileName(run) {
  return `rag-phase-sync-run-${run}.trace.json`;
}

/**
 * Wires "Export trace" and "Import trace": `recording()` is the run to export (its events, a Recording, or null), `onImport(events, file)`
 * replays an imported one, `status` says how each went, `errorBox` (role="alert") why one failed. Returns
 * `{ setLive(live) }`: while a run is live neither works (the views are the run's), after it both do.
 */
export function bindTraceControls({ exportButton, importInput, status, errorBox, recording, onImport }) {
  const problem = (message) => {
    errorBox.hidden = false;
    errorBox.textContent = message;
  };
  exportButton.addEventListener("click", async () => {
    const source = recording();
    if (!source || exportButton.getAttribute("aria-busy") === "true") return;
    // Not disabled while it works (focus would drop to <body>): busy, and a second click waits for the first.
    exportButton.setAttribute("aria-busy", "true");
    status.textContent = "Exporting the trace…";
    let parts;
    let events;
    try {
      // A live run's Recording (recording.js) is parsed back first, a slice per task; an import is events already.
      events = Array.isArray(source) ? source : await source.events();
      parts = await traceFileParts(events, (done) => {
        status.textContent = `Exporting the trace… ${Math.round(done * 100)}%`;
      });
    } catch (error) {
      status.textContent = "";
      problem(`Could not export the trace: ${error.message}.`);
      return;
    } finally {
      exportButton.removeAttribute("aria-busy");
    }
    const name = traceFileName(events[0].run);
    const bytes = downloadText(parts, name, "application/json");
    status.textContent = `Saved ${name} (${megabytes(bytes)}): open it in ui.perfetto.dev or chrome://tracing` +
      (bytes > MAX_TRACE_BYTES ? `; it is too big to import back here (up to ${megabytes(MAX_TRACE_BYTES)}).` : ".");
  });
  importInput.addEventListener("change", async () => {
    const file = importInput.files?.[0];
    importInput.value = ""; // choosing the same file again is a change again
    if (!file) return;
    status.textContent = `Reading ${file.name}…`;
    try {
      if (file.size > MAX_TRACE_BYTES) {
        throw new TraceError(`it is ${megabytes(file.size)}; this page imports traces up to ${megabytes(MAX_TRACE_BYTES)}`);
      }
      const events = eventsFromTrace(await file.text());
      status.textContent = `Imported ${file.name}: run ${events[0].run}, ${plural(events[0].chunks, "chunk")}, ` +
        `${plural(events.length, "event")}.`;
      errorBox.hidden = true;
      onImport(events, file);
      exportButton.disabled = !recording();
    } catch (error) {
      status.textContent = "";
      problem(`Could not import ${file.name}: ${error instanceof TraceError ? error.message : String(error)}.`);
    }
  });
  return {
    setLive(live) {
      importInput.disabled = live;
      exportButton.disabled = live || !recording();
      if (!live) return;
      status.textContent = "";
      errorBox.hidden = true;
    },
  };
}

/** "3.4 MB". */
function megabytes(bytes) {
  return `${(bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}
