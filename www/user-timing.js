// The live run in the browser's own performance timeline (the User Timing
// API), so that a recording in DevTools' Performance panel shows, in its
// Timings track, which phase the page was in at each moment:
//   rag-phase-sync run 3: Phase 1 (embed)    run-start → generation 0's release
//   rag-phase-sync run 3: barrier gen 0      first arrival of generation 0 → its release
//   rag-phase-sync run 3: Phase 2 (score)    generation 0's release → generation 1's release
//   rag-phase-sync run 3: barrier gen 1      first arrival of generation 1 → its release
//   rag-phase-sync run 3: Phase 3 (answer)   answer-start → answer
//   rag-phase-sync run 3                     the whole run
// A phase the run never finished (stopped, or a chunk failed) ends at run-end,
// its detail saying how the run ended.
//
// One measure per phase of the run, not per chunk: a 100,000-chunk run would
// leave 400,000 entries in the performance timeline (memory the page never
// gets back until they are cleared, and a Timings track nobody can read);
// the chunks' own bars are what the lanes and an exported trace are for.

/** The start of every measure's name, and how this page finds its own to clear them. */
const PREFIX = "rag-phase-sync run ";
const PHASE_NAMES = ["Phase 1 (embed)", "Phase 2 (score)"];

/** Removes every measure an earlier run left. */
export function clearRunMeasures() {
  const names = new Set(performance.getEntriesByType("measure").map((entry) => entry.name)
    .filter((name) => name.startsWith(PREFIX)));
  for (const name of names) performance.clearMeasures(name);
}

/** The measures of one live run, made as its events arrive. */
export class RunMeasures {
  /** Starts on the run's run-start `event`; its t = 0 is `origin` on performance.now()'s clock. */
  constructor(event, origin) {
    clearRunMeasures();
    this.run = event.run;
    this.origin = origin;
    this.open = new Map([[PHASE_NAMES[0], 0]]); // a measure's short name → its start, ms into the run
  }

  /** Takes the run's next event; ends (measures) whatever it ends. */
  apply(event) {
    switch (event.type) {
      case "barrier-arrive": {
        const name = `barrier gen ${event.generation}`;
        if (!this.open.has(name) && !this.ended?.has(name)) this.open.set(name, event.t);
        break;
      }
      case "barrier-release":
        this.close(`barrier gen ${event.generation}`, event.t, { leader: event.leaderId });
        this.close(PHASE_NAMES[event.generation], event.t);
        if (event.generation === 0) this.open.set(PHASE_NAMES[1], event.t);
        break;
      case "answer-start":
        this.open.set("Phase 3 (answer)", event.t);
        break;
      case "answer":
        this.close("Phase 3 (answer)", event.t);
        break;
      case "run-end": {
        const ended = event.aborted ? "stopped" : event.error ? "failed" : "finished";
        for (const name of [...this.open.keys()]) this.close(name, event.t, { ended });
        this.measure(`${PREFIX}${this.run}`, 0, event.t, { ended });
        break;
      }
    }
  }

  /** Measures open measure `name` up to `t`. */
  close(name, t, detail = {}) {
    if (!this.open.has(name)) return;
    this.measure(`${PREFIX}${this.run}: ${name}`, this.open.get(name), t, detail);
    this.open.delete(name);
    (this.ended ??= new Set()).add(name);
  }

  measure(name, from, to, detail) {
    performance.measure(name, {
      start: this.origin + from, end: this.origin + Math.max(from, to), detail: { run: this.run, ...detail },
    });
  }
}
