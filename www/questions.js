// The panel that answers the seed's five follow-up questions from the latest
// run's events, and the invariant verdict and critical path under the lanes.
// Computed once, when a run ends (run-facts.js, then question-answers.js):
// nothing here runs per event. Every moment in an answer is a button that
// marks it on the timeline and shows its chunk's lane.
//
// Q4 needs a chunk that raised. When the run had none, a button runs the same
// options and seed again with one fault, off screen: its events are only
// collected, never drawn, and a new run on the page discards it.
//
// Q5 needs the same seed run as gathers beside the barrier (compare mode).
// When no comparison came with the run, a button asks the page for one
// (the constructor's `compare`), whose verdict then replaces the button.

import { el } from "./dom.js";
import { formatCount } from "./format.js";
import { answerAll, answerFailure, answerStatus, plainText, QUESTIONS, verdictMark } from "./question-answers.js";
import { collectingOptions, gatherContrast } from "./gather-contrast.js";
import { Recording } from "./recording.js";
import { RunScan } from "./run-facts.js";

/** Events scanned per task: a 100,000-chunk run's 600,000 take several tasks, none of them long. */
const SLICE_EVENTS = 50_000;

/** The fault a fault-free run is run again with: the middle chunk raises at the end of Phase 2, fail-fast. */
export function faultRunOptions(options, facts) {
  const { signal: _signal, ...rest } = options ?? {};
  const chunk = Math.floor((facts.run.chunks - 1) / 2);
  return {
    ...rest,
    seed: facts.run.seed,
    faults: [{ chunk, phase: "score", kind: "error" }],
    onChunkError: "fail-fast",
  };
}

/** What the compare offer asks the page for: the seed's alternative, two gathers, with a 20 ms vector-store
 *  write per chunk (storeMs), the per-chunk work after Phase 1 that only the barrier overlaps. */
export const COMPARE_REQUEST = Object.freeze({ approach: "gather", storeMs: 20 });

/** Runs the pipeline through `run(options, onBatch)` and collects its events: `{ events, result, error }`. */
export async function collectRun(run, options) {
  const events = [];
  try {
    const result = await run(options, (batch) => {
      for (const event of batch) events.push(event); // no spread: a batch can hold 100,000 events
    });
    return { events, result, error: null };
  } catch (error) {
    return { events, result: null, error };
  }
}

/**
 * Scans `scan` a slice of events per task, the page painting and taking input between slices, and
 * `onWait()` told before each wait; resolves to `{ facts, cost }` (cost: `{ ms, slices, longestMs, events }`,
 * the work alone, also the detail of a performance measure "questions-facts"), or null once `current()` is false.
 */
export async function scanSliced(scan, current, onWait = () => {}) {
  const cost = { ms: 0, slices: 0, longestMs: 0, events: scan.list.length };
  const began = performance.now();
  for (;;) {
    const started = performance.now();
    const done = scan.step(SLICE_EVENTS);
    const facts = done ? scan.facts() : null;
    const ms = performance.now() - started;
    cost.ms += ms;
    cost.slices++;
    cost.longestMs = Math.max(cost.longestMs, ms);
    if (done) {
      performance.measure("questions-facts", { start: began, detail: cost }); // waits between slices included
      return { facts, cost };
    }
    onWait();
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (!current()) return null;
  }
}

/** Text with `code` spans, as QUESTIONS writes them. */
function questionNodes(parts) {
  return parts.map((part) => (typeof part === "string" ? part : el("code", "", part.code)));
}

/** The questions panel and the verdict under the lanes: cleared when a run starts, answered when it ends. */
export class Questions {
  /**
   * The panel in `root` (section#questions), the verdict paragraph `invariant` (#invariant, under the lanes),
   * the `timeline` (Lanes) its moments jump to, and `run(options, onBatch)`, the pipeline, for the fault run.
   * `compare({ seed, approach, storeMs })`, optional: Q5's offer calls it (once per click, with the latest run's
   * seed, approach "gather" and storeMs 20) to rerun that seed in compare mode; the page then clears this panel
   * for the new run and fills Q5 with setCompareVerdict. Offered only after a run that answered, had a seed and got
   * no verdict; without the hook Q5 offers nothing.
   */
  constructor(root, { invariant, timeline, run, compare = null }) {
    this.root = root;
    this.invariant = invariant;
    this.timeline = timeline;
    this.run = run;
    this.compare = typeof compare === "function" ? compare : null;
    this.facts = null; // the latest run's facts (run-facts.js), for whoever else wants them
    this.options = null;
    this.token = 0; // bumped by every run: a fault run that finishes after a newer run is dropped
    this.controller = null;
    this.intro = el("p", "questions-intro muted", "Press Run: when the run ends, each question gets its answer " +
      "from that run's events, with every moment a button that marks it on the timeline and shows its chunk.");
    this.status = el("p", "questions-status");
    this.status.setAttribute("role", "status");
    this.list = el("ol", "questions-list");
    this.answers = QUESTIONS.map((question, index) => {
      const item = el("li");
      const heading = el("h3");
      heading.id = `question-${index + 1}`;
      heading.append(...questionNodes(question));
      const answer = el("div", "question-answer");
      item.append(heading, answer);
      this.list.append(item);
      return answer;
    });
    // Slots the page may fill from other modes; each is emptied when a run starts.
    this.gatherSlot = el("div", "question-slot gather-contrast");
    this.compareSlot = el("div", "question-slot compare-verdict");
    this.gatherSlot.hidden = this.compareSlot.hidden = true;
    this.compareSet = false; // whether setCompareVerdict filled Q5's slot for this run (then no offer)
    root.append(this.intro, this.status, this.list);
  }

  /** A run started: the old answers go, and the panel says when the new ones come. */
  clear() {
    this.token++;
    this.controller?.abort();
    this.controller = null;
    this.facts = null;
    this.intro.hidden = true;
    this.status.textContent = "Answers appear when this run ends.";
    for (const answer of this.answers) answer.replaceChildren();
    this.setGatherContrast(null);
    this.setCompareVerdict(null);
    this.invariant.hidden = true;
    this.invariant.replaceChildren();
  }

  /**
   * The run ended (answered, failed, stopped, or never started): answers from its `events` (every event, in
   * order), `result` (RunResult or null), the `options` it ran with (for the fault run) and `history`, the lanes'
   * LaneHistory of the same events (so that nothing is applied twice). Also takes an imported event list, and a
   * Recording (recording.js; parsed back a slice per task here, and let go once answered).
   * A big run is scanned a slice per task; resolves to `{ ms, slices, longestMs, events }`, the scan's cost
   * (also a performance measure named "questions-facts", its detail), or null if a newer run came first.
   */
  async update(events, result, options, { history = null } = {}) {
    const token = ++this.token;
    this.controller?.abort();
    this.options = options ?? null;
    this.intro.hidden = true;
    const list = events instanceof Recording ? await events.events() : events;
    if (token !== this.token) return null;
    const scan = new RunScan(list, result, { history, options: this.options });
    const scanned = await scanSliced(scan, () => token === this.token, () => {
      this.status.textContent = `Working out the answers from ${formatCount(scan.list.length)} events…`;
    });
    if (!scanned) return null;
    this.show(scanned.facts);
    return scanned.cost;
  }

  /** Shows the answers `facts` give, and the invariant and critical path under the lanes. */
  show(facts) {
    this.facts = facts;
    if (facts.empty) {
      this.status.textContent = "Nothing ran, so there is nothing to answer from.";
      this.invariant.hidden = true;
      return;
    }
    const answers = answerAll(facts);
    const [lastArrival, chunkOrder, reset, failure, barrierOrGather] = this.answers;
    lastArrival.replaceChildren(this.paragraph(answers.lastArrival));
    chunkOrder.replaceChildren(this.paragraph(answers.chunkOrder));
    reset.replaceChildren(this.paragraph(answers.reset));
    failure.replaceChildren(...(answers.failure ? [this.paragraph(answers.failure)] : []));
    // No chunk raised: offer a run of the same seed with one (an imported list without a seed cannot be rerun).
    // A stopped run's answer already said that no chunk raised: the offer does not say it again.
    if (!facts.failure && facts.dropped.length === 0) {
      if (Number.isInteger(facts.run.seed)) failure.append(this.faultOffer(facts, { said: answers.failure !== null }));
      else if (!facts.stop) failure.append(el("p", "muted", "No chunk raised in this run."));
    }
    failure.append(this.gatherSlot);
    // This run raised: offer the same run as gather(return_exceptions=True) beside it.
    if (facts.failure && this.options && Number.isInteger(facts.run.seed)) {
      this.setGatherContrast(this.collectOffer({ ...this.options, seed: facts.run.seed }));
    }
    barrierOrGather.replaceChildren(this.paragraph(answers.barrierOrGather), this.compareSlot);
    // An answered run with no comparison: offer one (its verdict, when it comes, replaces the offer). Not after a
    // failure or a Stop: the same options would fail or hang again, beside gathers that would too.
    if (!this.compareSet && this.compare && Number.isInteger(facts.run.seed) && facts.outcome === "done") {
      fillSlot(this.compareSlot, this.compareOffer(facts.run.seed));
    }
    this.status.textContent = answerStatus(facts, this.options);
    // ✓ only when checked and held, ✗ when broken; a neutral mark and border when it could not be checked.
    const { mark, state } = verdictMark(facts);
    const verdict = el("span", "verdict");
    verdict.append(el("strong", "", `${mark} `), ...this.parts(answers.invariant));
    const critical = el("span", "critical-path");
    critical.append(...this.parts(answers.critical));
    this.invariant.replaceChildren(verdict, critical);
    this.invariant.classList.toggle("broken", state === "broken");
    this.invariant.classList.toggle("untested", state === "untested");
    this.invariant.hidden = false;
  }

  /** Fills Q5's slot with compare mode's verdict (text or nodes), replacing the offer; null empties it (and
   *  lets the next answers offer a comparison again). Emptied when a run starts. */
  setCompareVerdict(content) {
    fillSlot(this.compareSlot, content);
    this.compareSet = !this.compareSlot.hidden;
  }

  /** Q5's offer: why a store write is the case that tells a barrier from gathers, and a button that asks the page
   *  (`compare`) to run `seed` again beside two gathers with one. */
  compareOffer(seed) {
    const box = el("div", "question-offer compare-offer");
    const note = el("p", "muted", "This run alone cannot show what two gathers would do. The button runs seed " +
      `${seed} again with compare mode on: two gathers beside the barrier, each chunk writing its vector to a store ` +
      `for ${COMPARE_REQUEST.storeMs} ms after Phase 1. The write matters because per-chunk work after Phase 1 is ` +
      "what a barrier can overlap with the slower chunks' embeddings, and two gathers cannot: every write waits " +
      "for the whole first gather.");
    const button = el("button", "", `Compare with two gathers and a ${COMPARE_REQUEST.storeMs} ms vector-store write`);
    button.type = "button";
    button.addEventListener("click", () => {
      button.disabled = true; // the page's new run clears the panel; until then, one click is one run
      this.compare({ seed, ...COMPARE_REQUEST });
    });
    box.append(note, button);
    return box;
  }

  /** Fills Q4's slot with the asyncio.gather(return_exceptions=True) contrast (text or nodes, e.g. from a
   *  run with approach "gather-collect" and faultOptions()); null empties it. Emptied when a run starts. */
  setGatherContrast(content) {
    fillSlot(this.gatherSlot, content);
  }

  /** The options of the fault run for the latest run (same options and seed, one fault), or null before one. */
  faultOptions() {
    return this.facts && !this.facts.empty ? faultRunOptions(this.options, this.facts) : null;
  }

  /** No chunk raised: a button that runs this seed with a fault, off screen, and answers Q4 from that run.
   *  `said`: the answer above already says no chunk raised (a stopped run's). */
  faultOffer(facts, { said = false } = {}) {
    const box = el("div", "question-offer fault-offer");
    const options = faultRunOptions(this.options, facts);
    const [{ chunk }] = options.faults;
    const button = el("button", "", "Run this seed with a fault");
    button.type = "button";
    const own = Array.isArray(this.options?.faults) ? this.options.faults.length : 0;
    const instead = own > 0 ? `but, instead of this run's fault${own === 1 ? "" : "s"}, one` : "and one";
    const note = el("p", "muted", `${said ? "" : "No chunk raised in this run. "}The button runs seed ` +
      `${facts.run.seed} again with the same options ${instead} fault: chunk-${chunk} raises at the end of Phase 2, ` +
      "fail-fast. It runs off screen; the lanes keep this run.");
    const out = el("div", "fault-answer");
    out.setAttribute("aria-live", "polite");
    button.addEventListener("click", () => this.runFault(options, button, out));
    box.append(note, button, out);
    return box;
  }

  /** A button that runs `options` as gather(return_exceptions=True) off screen and says what that did. */
  collectOffer(options) {
    const button = el("button", "", "Run it as gather(return_exceptions=True)");
    button.type = "button";
    button.addEventListener("click", async () => {
      const token = this.token;
      button.disabled = true;
      const { events, result, error } = await collectRun(this.run, collectingOptions(options));
      if (token === this.token) this.setGatherContrast(gatherContrast(events, result, error));
    });
    return [button];
  }

  /** Runs `options` off screen and answers Q4 from its events (their moments are text: not this timeline's). */
  async runFault(options, button, out) {
    const token = this.token;
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    button.disabled = true;
    out.replaceChildren(el("p", "muted", "Running with the fault…"));
    // The same fault under the group and as gather(return_exceptions=True), at once: Q4 contrasts the two.
    const [{ events, error }, collecting] = await Promise.all([
      collectRun(this.run, { ...options, signal: controller.signal }),
      collectRun(this.run, { ...collectingOptions(options), signal: controller.signal }),
    ]);
    if (token !== this.token || controller.signal.aborted) return; // a newer run on the page, or a newer fault run
    this.setGatherContrast(gatherContrast(collecting.events, collecting.result, collecting.error));
    this.controller = null;
    button.disabled = false;
    const scanned = await scanSliced(new RunScan(events, null), () => token === this.token && !controller.signal.aborted);
    if (!scanned) return;
    const facts = scanned.facts;
    const parts = facts.empty ? null : answerFailure(facts, { links: false });
    const paragraph = el("p");
    if (parts) {
      paragraph.append(el("strong", "", `Seed ${options.seed}, chunk-${options.faults[0].chunk} raising: `),
        plainText(parts));
    } else {
      paragraph.textContent = `That run did not fail as asked (${error?.message ?? "it answered"}).`;
    }
    out.replaceChildren(paragraph);
  }

  /** An answer's parts as a paragraph. */
  paragraph(parts) {
    const paragraph = el("p");
    paragraph.append(...this.parts(parts));
    return paragraph;
  }

  /** Parts as nodes: strings as text, moments as buttons that show them on the timeline. */
  parts(parts) {
    return parts.map((part) => (typeof part === "string" ? part : this.momentButton(part)));
  }

  /** A moment: marks `t` on the timeline and shows chunk `chunk`'s lane (focus moves there). */
  momentButton({ text, t, chunk }) {
    const button = el("button", "moment", text);
    button.type = "button";
    const where = chunk === null ? "on the timeline" : `, chunk-${chunk}'s lane`;
    button.setAttribute("aria-label", `${text}${chunk === null ? " " : ""}${where}`);
    button.title = chunk === null ? `Mark ${text} on the timeline` : `Mark ${text} and show chunk-${chunk}`;
    button.addEventListener("click", () => {
      this.timeline.markTime(t, { focus: chunk === null });
      if (chunk !== null) this.timeline.highlight(chunk, { focus: true });
    });
    return button;
  }
}

/** `slot` shows `content` (a string, a node or an array of them), or hides when it is null or empty. */
function fillSlot(slot, content) {
  const nodes = content === null || content === undefined ? [] : Array.isArray(content) ? content : [content];
  slot.replaceChildren(...nodes);
  slot.hidden = nodes.length === 0;
}
