// What one run's events say about the seed's five follow-up questions, as
// numbers: who completed each barrier generation and when, how long the others
// were parked, whether any chunk began Phase 2 before the last Phase 1 ended,
// what a failure cancelled (and which chunk the run's hang fault held up),
// and the chain of bars that set the makespan.
//
// Pure (no DOM): the page runs it once, when a run ends (a slice of events
// per task, with the lanes' own LaneHistory of them), and the node tests feed
// it event arrays built by hand. It reads events only, so an imported event
// list answers as well as a live run; `result` (runPipeline's value) is a
// fallback for the makespan, and the run's options only say which chunk was
// told to hang (a hang is a chunk that never ends its phase: no event says why). One pass over the events, typed arrays per
// chunk: a 100,000-chunk run is ~600,000 events.
//
// Order is the log's order: times are rounded to 0.1 ms, so two events in one
// tick tie, and "before" means earlier in the log.

import { LaneHistory, STATE } from "./lane-history.js";

/** The most chunks a run can have (RunOptions.chunks): beyond it an index is hostile, not a chunk. */
export const MAX_CHUNKS = 100_000;

/** The chunk that Q2 names first, and the one it waits for (the seed's example: chunk-0 and chunk-5). */
export const Q2_EARLY = 0;
export const Q2_LATE = 5;

const NONE = -1;

/** A moment of the run: `{ t, chunk, index }`, `index` its place in the log (ties in `t` go by it). */
function moment(events, index) {
  if (index === NONE) return null;
  const event = events[index];
  return { t: event.t, chunk: Number.isInteger(event.chunk) ? event.chunk : null, index };
}

/** Whether `value` is a chunk index of a run of `chunks` chunks. */
function isChunk(value, chunks) {
  return Number.isInteger(value) && value >= 0 && value < chunks;
}

/** The run's first run-start, or null; and the run's size (from run-start, or else the events' largest chunk). */
function findRun(events) {
  let start = null;
  for (const event of events) {
    if (event?.type === "run-start") {
      start = event;
      break;
    }
  }
  if (Number.isInteger(start?.chunks) && isChunk(start.chunks - 1, MAX_CHUNKS)) return { start, chunks: start.chunks };
  let largest = -1; // no usable run-start (an imported or hostile list): the chunks its events name
  for (const event of events) {
    if (isChunk(event?.chunk, MAX_CHUNKS) && event.chunk > largest) largest = event.chunk;
  }
  return { start, chunks: largest + 1 };
}

/** Counts of how chunks were cancelled: parked at the barrier, inside a phase, before they ever ran. */
function cancellations() {
  return { total: 0, waiting: 0, midPhase: 0, unstarted: 0, first: null, last: null };
}

/**
 * One pass over a run's events, in slices if need be (`step`), then its facts (`facts`). `runFacts` does it in
 * one go; the page steps a big run's 600,000 events a slice per task, so that no task runs long.
 */
export class RunScan {
  /**
   * `events` in log order; `result` (the resolved RunResult, or null) only backs up the makespan; `history`,
   * the lanes' LaneHistory of the same events if there is one (the critical path is then the very bars the
   * lanes outline, and nothing is applied twice), else one is built here; `options`, the options the run was
   * made with (runPipeline's), for its hang faults (`options.faults`).
   */
  constructor(events, result = null, { history = null, options = null } = {}) {
    const list = Array.isArray(events) ? events : [];
    const { start, chunks } = findRun(list);
    this.list = list;
    this.result = result;
    this.faults = options?.faults;
    this.start = start;
    this.chunks = chunks;
    this.runId = start?.run;
    this.next = 0;
    if (chunks <= 0) return;
    const supplied = history instanceof LaneHistory && history.chunks === chunks;
    this.history = supplied ? history : new LaneHistory(chunks, () => {});
    this.feedHistory = !supplied;
    this.embedEnd = new Int32Array(chunks).fill(NONE); // log index of each chunk's Phase 1 end
    this.scoreStart = new Int32Array(chunks).fill(NONE); // ... and of its Phase 2 start
    this.embedStarted = new Uint8Array(chunks);
    this.futures = this.embedded = this.scored = 0;
    this.gens = [0, 1].map(() => ({
      arrivals: 0, withdrawals: 0, first: NONE, last: NONE, release: NONE, firstArrived: 0, firstParties: 0, parties: 0,
      resumed: 0, resumedLast: NONE,
    }));
    this.phase1Last = this.phase1Done = this.phase2First = this.phase2Last = NONE;
    this.top = this.answer = this.runEnd = this.failedAt = this.brokenAt = NONE;
    this.dropped = [];
    this.cancelled = cancellations();
  }

  /** Scans up to `count` more events; true once every event is scanned. */
  step(count = Infinity) {
    const list = this.list;
    if (this.chunks <= 0) return true;
    const stop = Math.min(list.length, this.next + count);
    for (let i = this.next; i < stop; i++) this.scan(list[i], i);
    this.next = stop;
    return stop === list.length;
  }

  /** Takes event `event`, the `i`th of the log. */
  scan(event, i) {
    if (!event || typeof event !== "object" || !Number.isFinite(event.t)) return;
    if (this.runId !== undefined && event.run !== this.runId) return; // another run's, in an imported list
    const c = event.chunk;
    const known = isChunk(c, this.chunks);
    const generation = event.generation === 0 || event.generation === 1 ? event.generation : null;
    const gens = this.gens;
    switch (event.type) {
      case "phase-start":
        if (!known || (event.phase !== "embed" && event.phase !== "score")) return;
        if (event.phase === "embed") {
          if (!this.embedStarted[c]) {
            this.embedStarted[c] = 1;
            this.futures++;
          }
        } else {
          if (this.scoreStart[c] === NONE) this.scoreStart[c] = i;
          if (this.phase2First === NONE) this.phase2First = i;
          if (gens[0].release !== NONE) {
            gens[0].resumed++;
            gens[0].resumedLast = i;
          }
        }
        break;
      case "phase-complete":
        if (!known || (event.phase !== "embed" && event.phase !== "score")) return;
        if (event.phase === "embed") {
          if (this.embedEnd[c] === NONE) this.embedded++;
          this.embedEnd[c] = i;
          this.phase1Last = this.phase1Done = i;
        } else {
          this.phase2Last = i;
          this.scored++;
        }
        break;
      case "barrier-arrive": {
        if (!known || generation === null) return;
        const gen = gens[generation];
        if (gen.release !== NONE) return; // an arrival after its release would be the next generation's
        if (gen.first === NONE) {
          gen.first = i;
          gen.firstArrived = event.arrived;
          gen.firstParties = event.parties;
        }
        gen.last = i;
        gen.arrivals++;
        if (Number.isInteger(event.parties)) gen.parties = event.parties;
        return;
      }
      case "barrier-withdraw":
        if (known && generation !== null) gens[generation].withdrawals++;
        return;
      case "barrier-release":
        if (generation === null || gens[generation].release !== NONE || !isChunk(event.leader, this.chunks)) return;
        if (event.droppedOut !== undefined && !isChunk(event.droppedOut, this.chunks)) return;
        gens[generation].release = i;
        break;
      case "barrier-broken":
        if (this.brokenAt === NONE) this.brokenAt = i;
        return;
      case "chunk-failed":
        if (!known) return;
        if (this.failedAt === NONE) this.failedAt = i;
        break;
      case "chunk-dropped":
        if (!known) return;
        this.dropped.push(i);
        if (event.phase === "embed") this.phase1Last = Math.max(this.phase1Last, i);
        else if (event.phase === "score") this.phase2Last = Math.max(this.phase2Last, i);
        break;
      case "chunk-cancelled": {
        if (!known) return;
        const cancelled = this.cancelled;
        cancelled.total++;
        if (event.started === false) cancelled.unstarted++;
        else if (event.waiting) cancelled.waiting++;
        else cancelled.midPhase++;
        if (cancelled.first === null) cancelled.first = i;
        cancelled.last = i;
        break;
      }
      case "top":
        if (this.top === NONE) this.top = i;
        return;
      case "answer":
        if (this.answer === NONE) this.answer = i;
        return;
      case "run-end":
        if (this.runEnd === NONE) this.runEnd = i;
        return;
      default:
        return;
    }
    // The events the lanes' history needs for critical paths and chunk fates, checked as above.
    if (this.feedHistory) this.history.apply(event);
  }

  /**
   * Everything the questions panel says about the run (scans what is left first). Returns
   * `{ empty, run, outcome, end, futures, embedded, scored, phase3, generations, pending, q2, failure, dropped,
   * stop, hangs, invariant, critical }`; see each below. Never throws on a hostile list: what is not an event is skipped.
   */
  facts() {
    this.step();
    const { list, start, chunks, runId, result } = this;
    const facts = {
      empty: chunks <= 0,
      /** `{ chunks, seed, barrier, policy, runId }` from run-start (seed etc. undefined without one). */
      run: { chunks: Math.max(chunks, 0), seed: start?.seed, barrier: start?.barrier, policy: start?.policy, runId },
      /** "done" (answered), "failed", "stopped", "incomplete" (no run-end), or "empty". */
      outcome: "empty",
    };
    if (facts.empty) return facts;
    const { history, embedEnd, scoreStart, gens, cancelled, dropped } = this;
    const { phase1Last, phase1Done, phase2First, phase2Last, top, answer, runEnd, failedAt, brokenAt } = this;

    const at = (index) => moment(list, index);
    const end = runEnd === NONE ? null : list[runEnd];
    facts.end = end && {
      t: end.t,
      makespanMs: Number.isFinite(end.makespanMs) ? end.makespanMs
        : Number.isFinite(result?.makespanMs) ? result.makespanMs : end.t,
      aborted: end.aborted === true,
      error: typeof end.error === "string" ? end.error : null,
      waitingMs: Number.isFinite(end.waitingMs) ? end.waitingMs : null,
    };
    facts.outcome = !end ? "incomplete" : end.aborted === true ? "stopped" : answer !== NONE ? "done" : "failed";
    /** Chunk futures that began Phase 1, finished it, and finished Phase 2. */
    facts.futures = this.futures;
    facts.embedded = this.embedded;
    facts.scored = this.scored;
    /** Phase 3's moments: it runs from generation 1's release (every future returns, the index is freed) to
     *  run-end; `start` is its ranking (the top event), `answer` the answer. */
    facts.phase3 = top === NONE ? null : { start: at(top), answer: at(answer) };

    /** Per released generation (Q1, Q3): its leader (the barrier's), its last arrival, the chunk whose drop-out
     *  completed it if one did, how long the others were parked, how fast they went on;
     *  `pending`, the first generation that never released: how far it got. */
    facts.generations = [];
    facts.pending = null;
    for (const [generation, gen] of gens.entries()) {
      if (gen.release === NONE) {
        facts.pending = {
          // Arrivals as they came; a cancel-safe barrier withdraws them when the parked chunks are cancelled.
          generation, arrivals: gen.arrivals, withdrawn: gen.withdrawals, parties: gen.parties || chunks,
          firstArrived: gen.firstArrived, firstParties: gen.firstParties,
          first: at(gen.first), broken: brokenAt === NONE ? null : at(brokenAt),
        };
        break;
      }
      const release = list[gen.release];
      const next = generation === 0 ? at(gen.resumedLast) : at(top);
      const completedByDropOut = release.droppedOut !== undefined;
      facts.generations.push({
        generation,
        release: { t: release.t, index: gen.release, chunk: release.leader },
        leader: release.leader,
        parties: Number.isInteger(release.parties) ? release.parties : gen.parties,
        droppedOut: completedByDropOut ? release.droppedOut : null,
        // The last barrier-arrive: the leader's own arrival, unless a drop-out completed the generation (the
        // barrier then names a parked waiter leader, whoever arrived last).
        lastArrival: at(gen.last),
        first: at(gen.first),
        firstArrived: gen.firstArrived, // "1 of firstParties": the count as the first arrival saw it
        firstParties: gen.firstParties,
        lastArrived: gen.last === NONE ? 0 : list[gen.last].arrived,
        // The leader did not wait (unless a drop-out, not its arrival, completed the generation).
        parked: Math.max(0, gen.arrivals - gen.withdrawals - (completedByDropOut ? 0 : 1)),
        parkedMaxMs: gen.first === NONE ? 0 : release.t - list[gen.first].t,
        // Gen 0: the chunks that began Phase 2 and the last of them; gen 1: Phase 3's start.
        resumed: generation === 0 ? gen.resumed : null,
        next,
        resumedWithinMs: next ? next.t - release.t : null,
      });
    }

    facts.q2 = q2Pair(list, history, embedEnd, scoreStart, phase1Done, phase2First, phase1Last);
    facts.failure = failedAt === NONE ? null : failureFacts(list, failedAt, brokenAt, cancelled, answer !== NONE);
    facts.dropped = dropped.map((index) => {
      const event = list[index];
      return {
        chunk: event.chunk, t: event.t, index, phase: event.phase, message: String(event.message ?? ""),
        timedOut: event.timedOut === true, parties: event.parties, generation: event.generation,
      };
    });
    facts.stop = facts.outcome === "stopped"
      ? { t: end.t, cancelled: summarise(list, cancelled), broken: brokenAt === NONE ? null : at(brokenAt) } : null;
    facts.hangs = hangFacts(this.faults, history);
    facts.invariant = invariantFacts(list, chunks, scoreStart, phase1Last, phase2First, phase2Last, top);
    facts.critical = criticalFacts(history, facts);
    return facts;
  }
}

/**
 * Everything the questions panel says about one run, from its events in log order, in one go (see RunScan:
 * `result` backs up the makespan, `options.history` is the lanes' history of the same events, if any).
 */
export function runFacts(events, result = null, options = {}) {
  return new RunScan(events, result, options).facts();
}

/**
 * The run's hang faults that hung: each chunk that `faults` (options.faults) told to hang, that began that phase
 * and never finished it. `{ chunk, phase, start, end, how }`: `start` when it began the phase, `end` when it was
 * ended (null: the events stop first), `how` "cancelled" (by Stop or a sibling's failure), "timed-out" (the
 * phase timeout failed it, or dropped it out), or "hanging". A fault in a phase its chunk never reached is none.
 */
function hangFacts(faults, history) {
  if (!Array.isArray(faults)) return [];
  const hangs = [];
  const seen = new Set();
  for (const fault of faults) {
    const chunk = fault?.chunk;
    if (fault?.kind !== "hang" || !isChunk(chunk, history.chunks) || seen.has(chunk)) continue;
    const phase = fault.phase === "score" ? "score" : "embed"; // runPipeline's default phase is "embed"
    const [start, stop] = history.bar(chunk, phase);
    if (Number.isNaN(start) || !Number.isNaN(stop)) continue;
    seen.add(chunk);
    const state = history.stateOf(chunk);
    const ended = history.endedAt(chunk);
    const how = state === STATE.cancelled ? "cancelled"
      : (state === STATE.failed || state === STATE.dropped) && history.timedOut(chunk) ? "timed-out" : "hanging";
    hangs.push({ chunk, phase, start, end: Number.isNaN(ended) ? null : ended, how });
  }
  return hangs;
}

/** Cancellation counts with their first and last moments. */
function summarise(events, counts) {
  return {
    ...counts, first: moment(events, counts.first ?? NONE), last: moment(events, counts.last ?? NONE),
  };
}

/** Q4 under fail-fast: the first chunk that failed, the barrier it broke, and the siblings cancelled after it. */
function failureFacts(events, failedAt, brokenAt, cancelled, answered) {
  const event = events[failedAt];
  const counts = summarise(events, cancelled);
  return {
    chunk: event.chunk, t: event.t, index: failedAt, phase: event.phase,
    message: String(event.message ?? ""), timedOut: event.timedOut === true,
    broken: moment(events, brokenAt),
    cancelled: counts,
    // From the failure to the last sibling's cancellation notice.
    cancelledWithinMs: counts.last ? counts.last.t - event.t : null,
    answered,
  };
}

/**
 * Q2's pair: chunk-0's Phase 2 start against chunk-5's Phase 1 end, or, where the run has no such
 * moment (fewer than 6 chunks, a chunk that failed or was cancelled), the nearest pair it does have:
 * the chunk that began Phase 2 first, or the one that ended Phase 1 last. `early`/`late` say which chunk
 * stands in and why (`reason`: "fewer-chunks", "no-phase-2", "no-phase-1-end", or null).
 */
function q2Pair(events, history, embedEnd, scoreStart, phase1Done, phase2First, phase1Last) {
  const chunks = history.chunks;
  // How a chunk that never got there ended, as its lane says it ("cancelled in Phase 1").
  const fate = (chunk) => history.status(chunk);
  const pick = (wanted, indexOf, fallback) => {
    if (wanted >= chunks) {
      // Fewer chunks than the question names: the last chunk is the one "chunk-5" meant, the last in line.
      const last = chunks - 1;
      if (indexOf[last] !== NONE) return { chunk: last, at: moment(events, indexOf[last]), reason: "fewer-chunks" };
      return { chunk: fallback === NONE ? null : events[fallback].chunk, at: moment(events, fallback),
        reason: "fewer-chunks", missing: last, fate: fate(last) };
    }
    if (indexOf[wanted] !== NONE) return { chunk: wanted, at: moment(events, indexOf[wanted]), reason: null };
    return { chunk: fallback === NONE ? null : events[fallback].chunk, at: moment(events, fallback),
      reason: "missing", missing: wanted, fate: fate(wanted) };
  };
  const early = pick(Q2_EARLY, scoreStart, phase2First);
  const late = pick(Q2_LATE, embedEnd, phase1Done);
  return {
    early, late,
    // Did the Phase 2 start come after the Phase 1 end, in the log? (null: one of them never happened)
    after: early.at && late.at ? early.at.index > late.at.index : null,
    lastPhase1End: moment(events, phase1Last),
    firstPhase2Start: moment(events, phase2First),
  };
}

/**
 * The invariant, per boundary: no chunk began Phase 2 before the last Phase 1 ended (a drop-out's leaving
 * ends its Phase 1), and Phase 3 did not begin before the last Phase 2 ended. Each boundary:
 * `{ held, tested, lastEnd, firstStart, violators, worst: { chunk, t, byMs } }`; `tested` false when the
 * later phase never started (nothing to violate).
 */
function invariantFacts(events, chunks, scoreStart, phase1Last, phase2First, phase2Last, top) {
  const phase12 = { tested: phase2First !== NONE, lastEnd: moment(events, phase1Last),
    firstStart: moment(events, phase2First), violators: 0, worst: null };
  if (phase12.tested && phase1Last !== NONE && phase2First < phase1Last) {
    for (let c = 0; c < chunks; c++) if (scoreStart[c] !== NONE && scoreStart[c] < phase1Last) phase12.violators++;
    const first = events[phase2First];
    phase12.worst = { chunk: first.chunk, t: first.t, byMs: events[phase1Last].t - first.t };
  }
  phase12.held = phase12.violators === 0;
  const phase23 = { tested: top !== NONE, lastEnd: moment(events, phase2Last), firstStart: moment(events, top),
    violators: 0, worst: null };
  if (phase23.tested && phase2Last !== NONE && top < phase2Last) {
    phase23.violators = 1;
    phase23.worst = { chunk: null, t: events[top].t, byMs: events[phase2Last].t - events[top].t };
  }
  phase23.held = phase23.violators === 0;
  return { held: phase12.held && phase23.held, phases12: phase12, phases23: phase23 };
}

/**
 * The chain of bars that set the makespan, as the lanes outline it (LaneHistory.critical): generation 0's
 * critical bar (its leader's embedding), its release, generation 1's (its leader's scoring), its release,
 * Phase 3 (that release to run-end: the futures return, the index is freed, the top chunks ranked, the answer
 * written). `{ segments, lengthMs, makespanMs, ratio, complete }`; `ratio` is makespan over length, null unless
 * the chain reaches the answer. The gaps between the bars are scheduling: chunks being started and woken.
 */
function criticalFacts(history, facts) {
  const segments = [];
  for (const generation of [0, 1]) {
    const bar = history.critical(generation);
    if (!bar || !Number.isFinite(bar.start) || !Number.isFinite(bar.stop)) break;
    const gen = facts.generations[generation];
    segments.push({
      kind: generation === 0 ? "embed" : "score", generation, chunk: bar.chunk, start: bar.start, stop: bar.stop,
      ms: bar.stop - bar.start, droppedOut: gen?.droppedOut ?? null, releaseT: gen?.release.t, stored: bar.stored,
    });
  }
  const phase3 = facts.phase3;
  const complete = segments.length === 2 && facts.generations.length === 2 && phase3 !== null &&
    facts.outcome === "done";
  if (complete) {
    const start = facts.generations[1].release.t;
    segments.push({ kind: "answer", chunk: null, start, stop: facts.end.t, ms: facts.end.t - start });
  }
  const lengthMs = segments.reduce((sum, segment) => sum + segment.ms, 0);
  const makespanMs = facts.end?.makespanMs ?? null;
  return {
    segments, lengthMs, makespanMs, complete,
    ratio: complete && lengthMs > 0 && makespanMs !== null ? makespanMs / lengthMs : null,
  };
}
