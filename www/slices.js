// A long job a slice at a time. The job is a generator that yields now and
// then (every few thousand items); run it straight through with `finish`, or
// with `finishSliced`, which hands the event loop back whenever a slice has
// taken its budget, so that exporting a 100,000-chunk run (seconds of work)
// never holds the page for longer than a frame or two.

/** Runs `job` to its end at once; returns what it returns. */
export function finish(job) {
  for (;;) {
    const step = job.next();
    if (step.done) return step.value;
  }
}

/** Runs `job` to its end, yielding to the event loop after each `budgetMs` of work; `progress(value)` hears what
 *  the job yields (say, a fraction done) at each pause. Resolves to what it returns; rejects with what it throws. */
export async function finishSliced(job, { budgetMs = 16, progress } = {}) {
  let deadline = performance.now() + budgetMs;
  for (;;) {
    const step = job.next();
    if (step.done) return step.value;
    if (performance.now() < deadline) continue;
    progress?.(step.value);
    await new Promise((resolve) => setTimeout(resolve, 0));
    deadline = performance.now() + budgetMs;
  }
}
