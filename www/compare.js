// Compare mode: the seed's alternative (two gathers, no barrier) run with the same seed and options as
// the barrier run, at the same time, its lanes under the barrier's on one time axis, and a verdict
// computed from the two runs' results and events. Rust runs both pipelines; this only draws and compares.

import { el } from "./dom.js";
import { formatCount, formatMs, plural } from "./format.js";
import { Lanes } from "./lanes.js";

/** What each gather variant is called on the page, and how it fails. */
const VARIANTS = {
  gather: {
    name: "two gathers",
    how: "Gather every Phase 1, build the index from that list, gather every Phase 2; no barrier. The first " +
      "error drops the other tasks, as try_join_all does (asyncio.gather would leave them running, unawaited).",
  },
  "gather-collect": {
    name: "two gathers with return_exceptions=True",
    how: "The same gathers, but every task runs to its end and a failure comes back as a value in the list.",
  },
};

export class Compare {
  /** The panel inside `root` (hidden until a compared run); while it shows, `barrierLanes` (the barrier run's
   *  lanes) share its time axis. */
  constructor(root, { barrierLanes }) {
    this.root = root;
    this.barrierLanes = barrierLanes;
    const sharedAxis = (this.sharedAxis = { ms: 0 });
    this.heading = el("h2", "compare-heading");
    this.how = el("p", "muted compare-how");
    this.lanesRoot = el("div", "compare-lanes");
    this.verdict = el("div", "compare-verdict");
    this.verdict.setAttribute("aria-live", "off");
    root.replaceChildren(this.heading, this.how, this.lanesRoot, this.verdict);
    this.lanes = new Lanes(this.lanesRoot, { sharedAxis });
    this.clear();
  }

  /** Hides the panel: the next run compares nothing. */
  clear() {
    this.root.hidden = true;
    this.sharedAxis.ms = 0;
    this.barrierLanes.sharedAxis = null; // alone again: its axis ends where its run did
    this.events = [];
    this.lanes.clear();
    this.verdict.replaceChildren();
  }

  /** Shows the panel for a run of `variant` ("gather" or "gather-collect") after the barrier's. */
  begin(variant) {
    this.clear();
    this.barrierLanes.sharedAxis = this.sharedAxis;
    this.variant = variant;
    this.root.hidden = false;
    this.heading.textContent = `The same seed as ${VARIANTS[variant].name}`;
    this.how.textContent = VARIANTS[variant].how;
    this.verdict.replaceChildren(el("p", "muted", "Runs once the barrier's run has ended…"));
  }

  /** The gathers did not run: says `why`, or hides the panel when there is nothing to say (no run began). */
  skip(why) {
    if (!why) {
      this.clear();
      return;
    }
    this.lanes.clear();
    this.verdict.replaceChildren(el("p", "facts", why));
  }

  /** One event of the gathered run. */
  apply(event) {
    this.events.push(event);
    if (event.type === "run-start") this.lanes.reset(event.chunks);
    this.lanes.apply(event);
  }

  /** Grows the gathered run's open bars to `now` (ms since its own start). */
  tick(now) {
    this.lanes.tick(now);
  }

  /**
   * Both runs have ended: puts both lanes on the longer run's axis and writes the verdict from the
   * barrier run (`barrier`: { result, error, events }) and the gathered one (`gathered`: the same).
   * Returns the verdict's text, for the questions panel.
   */
  finish(barrier, gathered) {
    const ends = [barrier, gathered].map((run) => run.events.findLast((event) => event.type === "run-end")?.t ?? 0);
    this.sharedAxis.ms = Math.max(...ends, 1);
    this.barrierLanes.fitAxis(this.sharedAxis.ms);
    this.lanes.fitAxis(this.sharedAxis.ms);
    const sentences = verdict(barrier, gathered, this.variant);
    this.verdict.replaceChildren(...sentences.map((text) => el("p", "facts", text)));
    return sentences.join(" ");
  }
}

/** The verdict's sentences: the two makespans and why they differ, then what each run did to get there. */
export function verdict(barrier, gathered, variant) {
  const a = barrier.result;
  const b = gathered.result;
  if (!a || !b) {
    // One of them gave no answer (a failure, or Stop): say what each did, from its error.
    const said = (name, run) => run.result ? `${name} answered in ${formatMs(run.result.makespanMs)}`
      : run.error?.name === "AbortError" ? `${name} ${name === "The barrier" ? "was" : "were"} stopped`
        : `${name} gave no answer (${run.error?.message ?? "it ended early"})`;
    return [`${said("The barrier", barrier)}; ${said(VARIANTS[variant].name, gathered)}.`,
      failureContrast(barrier, gathered)].filter(Boolean);
  }
  const [ta, tb] = [a.makespanMs, b.makespanMs];
  // Within a few ms, or 3%: what one run of the same work varies by on a busy event loop.
  const close = Math.abs(ta - tb) <= Math.max(5, 0.03 * Math.max(ta, tb));
  const ratio = tb / Math.max(ta, 1e-9);
  const embedJoin = gathered.events.find((event) => event.type === "gather-end" && event.phase === "embed");
  let first = `The barrier answered in ${formatMs(ta)}, two gathers in ${formatMs(tb)}`;
  if (close) {
    first += ": about the same, because every chunk waits for the slowest embedding either way" +
      (embedJoin ? ` (the first join came at ${formatMs(embedJoin.t)})` : "") + ".";
  } else if (tb > ta) {
    first += ` (${ratio.toFixed(2)}× as long)` + (storeOf(barrier) > 0
      ? `: with the barrier each chunk wrote its vector while slower chunks were still embedding; the gathers ` +
        `wrote all ${formatCount(startOf(gathered).chunks)} only after the last embedding` +
        (embedJoin ? ` (join 1 at ${formatMs(embedJoin.t)})` : "") + "."
      : `: with no work between the phases both wait for the slowest embedding, so the rest is the cost of ` +
        `making and scheduling ${formatCount(b.tasks)} tasks instead of ${formatCount(a.tasks)} futures.`);
  } else {
    first += ` (${(1 / ratio).toFixed(2)}× as fast): with no work between the phases both wait for the slowest ` +
      "embedding, and the event loop's scheduling favoured the gathers this time.";
  }
  const same = sameRanking(a, b);
  const second = `${same ? "Both ranked the same top 3 with identical scores" : "Their rankings differ"} ` +
    `(${a.top.map((entry) => `${entry.id} ${entry.score.toFixed(3)}`).join(", ")}${same ? "" : ` vs ${
      b.top.map((entry) => `${entry.id} ${entry.score.toFixed(3)}`).join(", ")}`}); the barrier ran ` +
    `${plural(a.tasks, "future")}, each keeping its chunk's state across both phases, and sent ` +
    `${plural(barrier.events.length, "event")}; the gathers ran ${plural(b.tasks, "task")}, handing results ` +
    `on in lists between joins, and sent ${plural(gathered.events.length, "event")}.`;
  return [first, second];
}

/** A run's run-start event (every run that started has one). */
function startOf(run) {
  return run.events.find((event) => event.type === "run-start") ?? {};
}

/** The store latency a run used, from its run-start event. */
function storeOf(run) {
  return startOf(run).storeMs ?? 0;
}

/** Whether two results ranked the same chunks with bit-identical scores. */
export function sameRanking(a, b) {
  return a.top.length === b.top.length &&
    a.top.every((entry, i) => entry.chunk === b.top[i].chunk && Object.is(entry.score, b.top[i].score)) &&
    a.answer === b.answer;
}

/** When a chunk failed: what the group did under the barrier vs what the gathers did. */
function failureContrast(barrier, gathered) {
  const cancelled = (run) => run.events.filter((event) => event.type === "chunk-cancelled").length;
  const failed = (run) => run.events.find((event) => event.type === "chunk-failed" || event.type === "chunk-dropped");
  const fa = failed(barrier);
  const fb = failed(gathered);
  if (!fa && !fb && !gathered.result?.collected?.length) return "";
  const parts = [];
  if (fa) parts.push(`under the barrier ${fa.id ?? `chunk-${fa.chunk}`} failed at ${formatMs(fa.t)} and ` +
    `${plural(cancelled(barrier), "sibling")} ${cancelled(barrier) === 1 ? "was" : "were"} cancelled`);
  if (fb) parts.push(`with the gathers it failed at ${formatMs(fb.t)} and ${plural(cancelled(gathered), "task")} ` +
    `${cancelled(gathered) === 1 ? "was" : "were"} cancelled`);
  const collected = gathered.result?.collected ?? [];
  if (collected.length > 0) parts.push(`return_exceptions=True kept ${plural(collected.length, "failure")} as ` +
    `${collected.length === 1 ? "a value" : "values"} in the list and let every other task finish`);
  return `${parts.join("; ")}.`.replace(/^./, (letter) => letter.toUpperCase());
}
