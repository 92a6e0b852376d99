// What a recorded run must look like before the page replays it: the event
// shapes of src/json.rs (the one definition; the TypeScript `PipelineEvent` in
// src/web.rs describes the same), checked field by field. A live run's events
// come from Rust and need no check; a run read back from a file can hold
// anything, and the views trust their input (a `chunks` of 10^9 would
// allocate gigabytes, a `top` that is not an array would throw mid-draw), so
// an imported list is checked whole before any of it is drawn.

import { finish } from "./slices.js";

/** The most chunks a run can have (src/config.rs CHUNKS). */
export const MAX_CHUNKS = 100_000;
const PHASES = ["embed", "score"];
/** What a gather's tasks do (approach "gather" or "gather-collect"). */
const STEPS = ["embed", "store", "score"];

// A field's kind: a checker returning null when `value` fits, else what it should be.
const finite = (value) => Number.isFinite(value) ? null : "a finite number";
/** Times: a run that hangs until it is stopped can last hours, not centuries (ts = t × 1000 must stay exact). */
const MAX_MS = 1e10;
const time = (value) => Number.isFinite(value) && value >= 0 && value <= MAX_MS ? null
  : `a number of milliseconds from 0 to ${MAX_MS.toLocaleString("en")}`;
const count = (value) => Number.isInteger(value) && value >= 0 ? null : "a whole number, 0 or more";
const text = (value) => typeof value === "string" ? null : "a string";
const flag = (value) => typeof value === "boolean" ? null : "true or false";
const oneOf = (...names) => (value) => names.includes(value) ? null : names.map((name) => `"${name}"`).join(" or ");
const generation = oneOf(0, 1);
const optional = (check) => (value) => value === undefined ? null : check(value);
const optionalText = optional(text);
/** A chunk index of this run, 0 to chunks − 1 (checked once run-start has said how many), required or not. */
const CHUNK = Symbol("chunk");
const OPTIONAL_CHUNK = Symbol("optional chunk");
/** A top list: at most 3 entries of { chunk, id, score }. */
const SCORED = Symbol("scored");

/** Each event type's own fields (besides type, run, t and line), as json.rs writes them. */
const FIELDS = {
  "run-start": {
    chunks: (value) => Number.isInteger(value) && value >= 1 && value <= MAX_CHUNKS ? null
      : `a whole number from 1 to ${MAX_CHUNKS}`,
    seed: finite, query: text, barrier: oneOf("phase", "classic"), policy: oneOf("fail-fast", "drop-out"),
    // Optional: recordings made before the gathers and the store step lack them.
    approach: optional(oneOf("barrier", "gather", "gather-collect")), storeMs: optional(time),
  },
  "phase-start": { chunk: CHUNK, id: text, phase: oneOf(...PHASES), plannedMs: optional(time) },
  "phase-complete": {
    chunk: CHUNK, id: text, phase: oneOf(...PHASES), score: optional(finite), bm25: optional(finite),
    cosine: optional(finite), early: optional(finite),
  },
  "barrier-arrive": { chunk: CHUNK, id: text, arrived: count, parties: count, generation },
  "barrier-withdraw": { chunk: CHUNK, id: text, arrived: count, parties: count, generation },
  "barrier-release": {
    leader: CHUNK, leaderId: text, parties: count, generation, droppedOut: OPTIONAL_CHUNK, droppedOutId: optional(text),
  },
  "barrier-broken": { reason: text, generation },
  "chunk-failed": { chunk: CHUNK, id: text, phase: oneOf(...PHASES), message: text, timedOut: flag },
  "chunk-dropped": {
    chunk: CHUNK, id: text, phase: oneOf(...PHASES), message: text, timedOut: flag, parties: count, generation,
  },
  "chunk-cancelled": { chunk: CHUNK, id: text, phase: oneOf(...PHASES), waiting: flag, started: flag },
  "gather-start": { phase: oneOf(...STEPS), tasks: count },
  "gather-end": { phase: oneOf(...STEPS), tasks: count, failed: count },
  "store-start": { chunk: CHUNK, id: text, queuedMs: time },
  "store-complete": { chunk: CHUNK, id: text },
  top: { top: SCORED, duplicates: count },
  "without-barrier": { top: SCORED, changed: count, wrong: count },
  "answer-start": { from: count },
  answer: { text },
  "run-end": { makespanMs: finite, workingMs: finite, waitingMs: finite, aborted: flag, error: optional(text) },
};

/** Every event type a run sends. */
export const EVENT_TYPES = Object.keys(FIELDS);
/** FIELDS as [name, kind] lists, made once: a check runs 600,000 times for a 100,000-chunk run. */
const FIELD_LISTS = new Map(Object.entries(FIELDS).map(([type, fields]) => [type, Object.entries(fields)]));

/** A recorded run that cannot be replayed; `message` says which event and field, for people. */
export class RecordingError extends Error {
  constructor(message) {
    super(message);
    this.name = "RecordingError";
  }
}

/**
 * Checks that `events` is one whole run as Rust sends it: run-start first, run-end last, one run id,
 * times that never go back, chunk indices inside the run, and every field of every event of the kind
 * json.rs writes. Throws a RecordingError naming the first event that is not; returns `events`.
 */
export function checkRecording(events) {
  return finish(checkSteps(events));
}

/** checkRecording as a job for slices.js: yields the fraction checked every few thousand events. */
export function* checkSteps(events) {
  if (!Array.isArray(events) || events.length < 2) {
    throw new RecordingError("a run has at least two events (run-start and run-end)");
  }
  const first = events[0];
  if (first?.type !== "run-start") throw new RecordingError("the first event must be run-start");
  if (events.at(-1)?.type !== "run-end") throw new RecordingError("the last event must be run-end: the run is not whole");
  checkEvent(first, 0, null, 0);
  const chunk = (value) => Number.isInteger(value) && value >= 0 && value < first.chunks ? null
    : `a chunk index from 0 to ${first.chunks - 1}`;
  for (let index = 1; index < events.length; index++) {
    const event = events[index];
    checkEvent(event, index, chunk, events[index - 1].t);
    if (event.run !== first.run) throw new RecordingError(`event ${index}: run ${event.run} in a recording of run ${first.run}`);
    if (event.type === "run-start" || (event.type === "run-end" && index !== events.length - 1)) {
      throw new RecordingError(`event ${index}: a second ${event.type}; a recording holds one run`);
    }
    if ((index & 4095) === 0) yield index / events.length;
  }
  return events;
}

/** Checks event `index`; `chunk` checks chunk indices (null for run-start), `previousT` its predecessor's time. */
function checkEvent(event, index, chunk, previousT) {
  if (event === null || typeof event !== "object" || Array.isArray(event)) throw new RecordingError(`event ${index} is not an object`);
  const fields = FIELD_LISTS.get(event.type);
  if (!fields) throw new RecordingError(`event ${index}: unknown type ${JSON.stringify(event.type)?.slice(0, 40)}`);
  // Named only when something is wrong: building the text for each of 600,000 good events costs more than the check.
  const where = () => `event ${index} (${event.type})`;
  expect(where, "run", event.run, count);
  expect(where, "t", event.t, time);
  if (event.t < previousT) {
    throw new RecordingError(`${where()} at ${event.t} ms comes after an event at ${previousT} ms: the events are out of order`);
  }
  expect(where, "line", event.line, optionalText);
  for (const [name, kind] of fields) {
    const value = event[name];
    if (kind === SCORED) checkScored(where(), name, value, chunk);
    else if (kind === CHUNK) expect(where, name, value, chunk);
    else if (kind === OPTIONAL_CHUNK) {
      if (value !== undefined) expect(where, name, value, chunk);
    } else expect(where, name, value, kind);
  }
}

/** Throws unless `check(value)` passes. */
function expect(where, name, value, check) {
  const wanted = check(value);
  if (wanted === null) return;
  if (typeof where === "function") where = where();
  const got = value === undefined ? "nothing" : JSON.stringify(value)?.slice(0, 40) ?? String(value);
  throw new RecordingError(`${where}: ${name} must be ${wanted} (got ${got})`);
}

/** Throws unless `value` is a top list (see SCORED). */
function checkScored(where, name, value, chunk) {
  if (!Array.isArray(value) || value.length > 3) throw new RecordingError(`${where}: ${name} must be a list of at most 3 chunks`);
  value.forEach((entry, rank) => {
    if (entry === null || typeof entry !== "object") throw new RecordingError(`${where}: ${name}[${rank}] is not an object`);
    expect(where, `${name}[${rank}].chunk`, entry.chunk, chunk);
    expect(where, `${name}[${rank}].id`, entry.id, text);
    expect(where, `${name}[${rank}].score`, entry.score, finite);
  });
}
