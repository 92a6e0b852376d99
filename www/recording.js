// The latest run as the page keeps it for replay, trace export and the
// questions panel: the JSON text of each batch runPipelineBatched handed over
// (its second argument), not the event objects. At 100,000 chunks a run is
// ~600,000 events: as objects they outlive every minor GC of the run, which
// copies them each time (a fifth of a 100k run's time) and holds ~70 MB after
// it; as texts they are a few hundred large strings that no scavenge copies.
// The live drawing still uses the parsed objects, which then die young.
// What needs the events parses them back, a batch per step, in slices
// (slices.js), so that no task runs long; nothing keeps what it parsed.
//
// A batch without its text (a caller that wraps onBatch and drops the second
// argument) is kept as its objects, as before: the recording stays whole.

import { finish, finishSliced } from "./slices.js";

export class Recording {
  constructor() {
    /** Each batch: its JSON text, or (no text came) its array of events. */
    this.batches = [];
    this.length = 0;
    /** The first and the latest event, kept as objects: what is read without parsing. */
    this.first = null;
    this.last = null;
  }

  /** Keeps one batch: `events` as drawn, `json` the text they were parsed from (or undefined). */
  push(events, json) {
    if (events.length === 0) return;
    this.batches.push(typeof json === "string" ? json : events);
    this.length += events.length;
    this.first ??= events[0];
    this.last = events[events.length - 1];
  }

  /** Every event, in order, as a new array, at once (for small runs, and tests). */
  eventsNow() {
    return finish(this.steps());
  }

  /** Every event, in order, as a new array, parsed a batch per step and `budgetMs` per task. */
  events({ budgetMs = 16 } = {}) {
    return finishSliced(this.steps(), { budgetMs });
  }

  /** The parse as a job for slices.js: yields after each batch. */
  *steps() {
    const events = new Array(this.length);
    let next = 0;
    for (const batch of this.batches) {
      const list = typeof batch === "string" ? JSON.parse(batch) : batch;
      for (let i = 0; i < list.length; i++) events[next++] = list[i];
      yield next / this.length;
    }
    return events;
  }
}
