// The critical path of a run on real timers, from its events: the longest
// planned embed plus the longest planned score. Every chunk embeds at once,
// the barrier waits for the slowest, then every chunk scores at once, so no
// schedule can finish sooner; makespan / critical path is what the barrier,
// the event loop and the page add. Shared by bench.mjs and frames.mjs; the
// function uses nothing from this file's scope, so it can be installed in a
// page as source text (`window.criticalPath = ${criticalPath}`).

/** Keeps the longest plannedMs of each phase over the events given to `onEvent`; `ms()` is their sum. */
export function criticalPath() {
  const path = { embedPlanned: 0, scorePlanned: 0 };
  path.onEvent = (event) => {
    if (event.type !== "phase-start") return;
    if (event.phase === "embed") path.embedPlanned = Math.max(path.embedPlanned, event.plannedMs);
    if (event.phase === "score") path.scorePlanned = Math.max(path.scorePlanned, event.plannedMs);
  };
  path.ms = () => path.embedPlanned + path.scorePlanned;
  return path;
}
