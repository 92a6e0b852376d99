// What every chunk did and when, kept in typed arrays so that a 100,000-chunk
// run (about 400,000 events) costs a few array writes per event and no object
// per chunk. It decides nothing: each time is an event's time, each state
// change is an event (the one exception, generation 1's release turning every
// waiting chunk "done", is that release event's own moment).

/** What a chunk is doing at a moment; also the index of its colour and pattern. */
export const STATE = Object.freeze({
  idle: 0, embed: 1, waiting: 2, score: 3, done: 4, failed: 5, dropped: 6, cancelled: 7, store: 8,
});
export const STATE_COUNT = 9;
/** Names as the text column says them, by state index. */
export const STATE_NAMES = ["idle", "embedding", "waiting", "scoring", "done", "failed", "dropped", "cancelled",
  "storing"];

// A chunk's moments, in the order they can happen; NaN until they do. A run of two gathers has no
// arrivals: between its tasks a chunk is idle (nothing runs; its result sits in the gather's list).
const EMBED_START = 0, EMBED_END = 1, STORE_START = 2, STORE_END = 3, ARRIVE0 = 4, SCORE_START = 5,
  SCORE_END = 6, ARRIVE1 = 7, END = 8;
const MOMENTS = 9;
/** The state a chunk enters at each moment (END's comes from how it ended). */
const ENTERS = [STATE.embed, STATE.idle, STATE.store, STATE.idle, STATE.waiting, STATE.score, STATE.idle,
  STATE.waiting];
/** The moment a chunk's phase-complete, store-complete or barrier arrival reaches, by phase: what a gather
 *  (or a release) waited for. */
const ENDS = { embed: EMBED_END, store: STORE_END, score: SCORE_END };

// Bits of `flags`: how a chunk ended, as its event said.
const TIMED_OUT = 1, UNSTARTED = 2, AT_BARRIER = 4, IN_SCORE = 8;

export class LaneHistory {
  /** Room for `chunks` chunks; `onChange(chunk, from, to, t)` hears every state change. */
  constructor(chunks, onChange) {
    this.chunks = chunks;
    this.onChange = onChange;
    this.times = new Float64Array(chunks * MOMENTS).fill(NaN);
    this.state = new Uint8Array(chunks);
    this.flags = new Uint8Array(chunks);
    this.score = new Float64Array(chunks).fill(NaN);
    this.early = new Float64Array(chunks).fill(NaN); // float64: "0.42" must round as the log line does
    this.arrived = new Uint32Array(chunks); // its arrival number at the barrier it waits at
    this.parties = 0;
    this.counts = new Int32Array(STATE_COUNT); // chunks in each state now
    this.counts[STATE.idle] = chunks;
    this.releases = []; // by generation: { t, leader, leaderId, parties, droppedOutId }
    this.joins = []; // a run of gathers: each gather's end, { t, phase, tasks, failed, last }
    this.lastDone = { embed: -1, store: -1, score: -1 }; // the chunk that finished each step last, so far
    this.doneAt = NaN; // when every chunk still in the run was done: generation 1's release, or the last join
    this.broken = null; // { generation, t }
    this.lines = new Map(); // chunk → the log line of how it ended (its lane's tooltip)
    this.ranks = new Map(); // chunk → 1, 2 or 3
    this.endT = NaN; // run-end's time
    this.lastT = 0; // the latest event time
  }

  /** Takes one pipeline event; O(1) but for generation 1's release (O(visible rows), in onChange's owner). */
  apply(event) {
    const c = event.chunk;
    const known = Number.isInteger(c) && c >= 0 && c < this.chunks;
    if (Number.isFinite(event.t)) this.lastT = Math.max(this.lastT, event.t);
    switch (event.type) {
      case "phase-start":
        if (known) this.enter(c, event.phase === "score" ? SCORE_START : EMBED_START, event.t);
        break;
      case "phase-complete":
        if (!known) break;
        if (event.phase === "score") {
          this.score[c] = event.score;
          this.enter(c, SCORE_END, event.t);
        } else {
          if (event.early !== undefined) this.early[c] = event.early;
          this.enter(c, EMBED_END, event.t);
        }
        this.lastDone[event.phase] = c;
        break;
      case "store-start":
        if (known) this.enter(c, STORE_START, event.t);
        break;
      case "store-complete":
        if (!known) break;
        this.enter(c, STORE_END, event.t);
        this.lastDone.store = c;
        break;
      case "gather-end":
        // The last task to finish held the join up: the gathers' critical path, as a release's leader is.
        this.joins.push({ t: event.t, phase: event.phase, tasks: event.tasks, failed: event.failed,
          last: this.lastDone[event.phase] ?? -1 });
        if (event.phase === "score") this.finish(event.t, STATE.idle);
        break;
      case "barrier-arrive":
        if (!known) break;
        this.arrived[c] = event.arrived;
        this.parties = event.parties;
        // A chunk waiting already gave up and arrived again at once (its wait was dropped: www/hazard.js): its bar
        // runs on from the first arrival. A barrier that kept the dropped arrival counts later arrivals toward
        // later generations (2 and up): they are still a chunk's arrival after Phase 2.
        if (this.state[c] !== STATE.waiting) this.enter(c, event.generation >= 1 ? ARRIVE1 : ARRIVE0, event.t);
        break;
      case "barrier-release":
        this.releases[event.generation] = {
          t: event.t, leader: event.leader, leaderId: event.leaderId, parties: event.parties,
          droppedOut: event.droppedOut, droppedOutId: event.droppedOutId,
        };
        if (event.generation === 1) this.finish(event.t, STATE.waiting);
        break;
      case "barrier-broken":
        this.broken = { generation: event.generation, t: event.t };
        break;
      case "chunk-failed":
        if (!known) break;
        this.end(c, STATE.failed, event, (event.timedOut ? TIMED_OUT : 0));
        // A gather that collects failures waits for the failed task too: it may be the one that held the join up.
        if (event.phase in this.lastDone) this.lastDone[event.phase] = c;
        break;
      case "chunk-dropped":
        if (known) this.end(c, STATE.dropped, event, event.timedOut ? TIMED_OUT : 0);
        break;
      case "chunk-cancelled":
        if (known) {
          this.end(c, STATE.cancelled, event,
            (event.started === false ? UNSTARTED : 0) | (event.waiting ? AT_BARRIER : 0));
        }
        break;
      case "top":
        event.top.forEach((entry, rank) => this.ranks.set(entry.chunk, rank + 1));
        break;
      case "run-end":
        this.endT = event.t;
        break;
    }
  }

  /** Every chunk in state `from` (waiting at generation 1, or idle once scored when gathered) is done at `t`. */
  finish(t, from) {
    this.doneAt = t;
    this.doneFrom = from;
    // Scored chunks only: an idle chunk that never scored (a gather's failed task) is not done.
    let finished = 0;
    for (let c = 0; c < this.chunks; c++) if (this.stateOf(c) === STATE.done) finished++;
    this.counts[STATE.done] += finished;
    this.counts[from] -= finished;
    this.onRelease?.(t, from);
  }

  /** Chunk `c` reached moment `moment` at `t`. */
  enter(c, moment, t) {
    this.times[c * MOMENTS + moment] = t;
    this.move(c, ENTERS[moment], t);
  }

  /** Chunk `c` ended for good as `state` (failed, dropped, cancelled). */
  end(c, state, event, flags) {
    this.times[c * MOMENTS + END] = event.t;
    this.flags[c] = flags | (event.phase === "score" ? IN_SCORE : 0);
    if (event.line ?? event.message) this.lines.set(c, event.line ?? event.message);
    this.move(c, state, event.t);
  }

  move(c, to, t) {
    const from = this.stateOf(c);
    this.state[c] = to;
    this.counts[from]--;
    this.counts[to]++;
    this.onChange(c, from, to, t);
  }

  /** Chunk `c`'s state now: one that waited at generation 1 (or, gathered, scored) is done once that ended;
   *  one that arrived after that release (in a generation 2, behind a barrier that miscounted) is not. */
  stateOf(c) {
    const state = this.state[c];
    return state === this.doneFrom && this.reachedBy(c) ? STATE.done : state;
  }

  /** Whether chunk `c` reached, by the run's last release (or join), the step it releases: generation 1's
   *  arrival, or, gathered, its score. */
  reachedBy(c) {
    return this.times[c * MOMENTS + (this.doneFrom === STATE.waiting ? ARRIVE1 : SCORE_END)] <= this.doneAt;
  }

  /** Calls `visit(t, before, after)` for each state change of chunks `from` to `to` - 1, each chunk's in time
   *  order, starting from idle: how the lanes rebuild a row. One tight loop: a row can hold 100,000 chunks. */
  replay(from, to, visit) {
    const times = this.times;
    const released = this.doneAt;
    const from0 = this.doneFrom;
    for (let c = from; c < to; c++) {
      const base = c * MOMENTS;
      const end = times[base + END];
      let state = STATE.idle;
      for (let moment = 0; moment < END; moment++) {
        const t = times[base + moment];
        if (t !== t) continue; // NaN: not reached
        visit(t, state, ENTERS[moment]);
        state = ENTERS[moment];
      }
      if (state === from0 && this.reachedBy(c) && !(end <= released)) {
        visit(released, state, STATE.done);
        state = STATE.done;
      }
      if (end === end) visit(end, state, this.state[c]);
    }
  }

  /** [start, end] of chunk `c`'s embed, store or score bar (by `phase`), NaN where unknown. */
  bar(c, phase) {
    const base = c * MOMENTS + ENDS[phase] - 1;
    return [this.times[base], this.times[base + 1]];
  }

  /** The critical path's bars, each `{ chunk, start, stop }`: every release's (see critical), or, in a run of
   *  gathers, the task that finished last before each join. */
  criticalBars() {
    const bars = this.releases.map((_, generation) => this.critical(generation));
    for (const join of this.joins) {
      if (join.last < 0) continue;
      const [start, stop] = this.bar(join.last, join.phase);
      bars.push({ chunk: join.last, start, stop });
    }
    return bars;
  }

  /** Who held generation `generation`'s release up, and the bar that did it: its leader's embed (gen 0, with
   *  its store write when `stored`) or score (gen 1); or, when a drop-out completed the generation, the dropped chunk's phase until it left.
   *  `{ chunk, start, stop }`, or null before the release. */
  critical(generation) {
    const release = this.releases[generation];
    if (!release) return null;
    const phase = generation === 0 ? "embed" : "score";
    if (release.droppedOut !== undefined) {
      return { chunk: release.droppedOut, start: this.bar(release.droppedOut, phase)[0], stop: release.t };
    }
    const [start, end] = this.bar(release.leader, phase);
    // Up to its arrival: after Phase 1 that includes its vector-store write, if the run has one.
    const stored = generation === 0 && !Number.isNaN(this.bar(release.leader, "store")[1]);
    const stop = stored ? this.times[release.leader * MOMENTS + ARRIVE0] : end;
    return { chunk: release.leader, start, stop, stored };
  }

  /** When chunk `c` ended (failed, dropped, cancelled), or NaN. */
  endedAt(c) {
    return this.times[c * MOMENTS + END];
  }

  timedOut(c) { return (this.flags[c] & TIMED_OUT) !== 0; }
  unstarted(c) { return (this.flags[c] & UNSTARTED) !== 0; }

  /** Classes of chunk `c`'s row beyond "lane": how it ended, done, top. */
  classes(c) {
    const names = [];
    const state = this.stateOf(c);
    if (state === STATE.failed) names.push("failed", ...(this.timedOut(c) ? ["timed-out"] : []));
    else if (state === STATE.dropped) names.push("dropped");
    else if (state === STATE.cancelled) names.push("cancelled", ...(this.unstarted(c) ? ["unstarted"] : []));
    else if (state === STATE.done) names.push("done");
    if (this.ranks.has(c)) names.push("top");
    return names;
  }

  /** Chunk `c`'s status, as its row says it: "score 0.42 · early 0.39 ✓", "waiting 3/46", "cancelled in Phase 1". */
  status(c) {
    const flags = this.flags[c];
    const phase = flags & IN_SCORE ? 2 : 1;
    switch (this.stateOf(c)) {
      case STATE.failed: return `${flags & TIMED_OUT ? "timed out" : "failed"} in Phase ${phase}`;
      case STATE.dropped: return `dropped out (${flags & TIMED_OUT ? "timed out" : "error"})`;
      case STATE.cancelled:
        return flags & UNSTARTED ? "cancelled before it started"
          : flags & AT_BARRIER ? "cancelled at the barrier" : `cancelled in Phase ${phase}`;
      case STATE.embed: return "embedding…";
      case STATE.score: return "scoring…";
      case STATE.store: return "storing…";
      case STATE.done: return `${this.summary(c)} ✓`;
      case STATE.waiting: return `${this.summary(c)} · waiting ${this.arrived[c]}/${this.parties}`;
      default: return Number.isNaN(this.times[c * MOMENTS + EMBED_START]) ? "queued" : this.summary(c);
    }
  }

  /** "embedded", or the final score and the different one it would have had without the barrier. */
  summary(c) {
    const score = this.score[c];
    if (Number.isNaN(score)) return Number.isNaN(this.times[c * MOMENTS + SCORE_END]) ? "embedded" : "scored";
    const shown = score.toFixed(2);
    const early = this.early[c];
    if (Number.isNaN(early) || early.toFixed(2) === shown) return `score ${shown}`;
    return `score ${shown} · early ${early.toFixed(2)}`;
  }
}
