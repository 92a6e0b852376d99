// Q4's other half: the same seed and fault run as asyncio.gather(return_exceptions=True) would run it
// (approach "gather-collect": two gathers, a failure kept as a value, nobody cancelled), told from that
// run's own events and result.

import { formatCount, formatMsTenths, plural } from "./format.js";

/** The options of `options`' run as two gathers with return_exceptions=True (the same seed and faults). */
export function collectingOptions(options) {
  const { signal: _signal, ...rest } = options ?? {}; // the page's run's signal is not this run's
  return { ...rest, approach: "gather-collect" };
}

/** What return_exceptions=True did with the failure, from its run's `events` and `result` (or `error`). */
export function gatherContrast(events, result, error) {
  const failed = events.find((event) => event.type === "chunk-failed");
  if (!failed) return `As gather(return_exceptions=True), nothing raised (${error?.message ?? "it answered"}).`;
  const join = events.find((event) => event.type === "gather-end" && event.t >= failed.t && event.failed > 0);
  const cancelled = events.filter((event) => event.type === "chunk-cancelled").length;
  const scored = events.filter((event) => event.type === "phase-complete" && event.phase === "score").length;
  // Seen only at the join: the wait is worth saying when it is long enough to see.
  const late = join && join.t - failed.t >= 1 ? `, ${formatMsTenths(join.t - failed.t)} later` : "";
  const held = join ? `; it came back as a value in the list when the ${join.phase} gather joined at ` +
    `${formatMsTenths(join.t)}${late}` : "";
  const ending = result
    ? `and the answer came from the ${plural(scored, "chunk")} that scored (${formatMsTenths(result.makespanMs)})`
    : `and there was no answer (${error?.message ?? "stopped"})`;
  return `As asyncio.gather(return_exceptions=True) instead (the same seed and fault, two gathers): ` +
    `chunk-${failed.chunk} raised at ${formatMsTenths(failed.t)}${held}. ${cancelled === 0
      ? "Nobody was cancelled: every other task ran to its end"
      : `${formatCount(cancelled)} tasks were still cancelled`}, ${ending}. The error is a value you must look ` +
    "for in the list, and a chunk that hangs instead of raising would hold the gather forever.";
}
