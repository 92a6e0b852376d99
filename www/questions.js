// The panel that answers the seed's five follow-up questions from the latest
// run's events, and the invariant verdict and critical path under the lanes.
// Computed once, when a run ends (run-facts.js, then question-answers.js):
// nothing here runs per event. Every moment in an answer is a button that
// marks it on the timeline and shows its chunk's lane.
//
// Q4 needs a chunk that raised. When the run had none, a button runs the same
// options and seed again with one fault, off screen: its events are only
// collected, never drawn, and a new run on the page discards it.

import { el } from "./dom.js";
import { formatCount, formatMsTenths } from "./format.js";
import { answerAll, answerFailure, plainText, QUESTIONS } from "./question-answers.js";
import { collectingOptions, gatherContrast } from "./gather-contrast.js";
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
   */
  constructor(root, { invariant, timeline, run }) {
    this.root = root;
    this.invariant = invariant;
    this.timeline = timeline;
    this.run = run;
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
   * LaneHistory of the same events (so that nothing is applied twice). Also takes an imported event list.
   * A big run is scanned a slice per task; resolves to `{ ms, slices, longestMs, events }`, the scan's cost
   * (also a performance measure named "questions-facts", its detail), or null if a newer run came first.
   */
  async update(events, result, options, { history = null } = {}) {
    const token = ++this.token;
    this.controller?.abort();
    this.options = options ?? null;
    this.intro.hidden = true;
    const scan = new RunScan(events, result, { history });
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
    if (!facts.failure && facts.dropped.length === 0) {
      if (Number.isInteger(facts.run.seed)) failure.append(this.faultOffer(facts));
      else if (!facts.stop) failure.append(el("p", "muted", "No chunk raised in this run."));
    }
    failure.append(this.gatherSlot);
    // This run raised: offer the same run as gather(return_exceptions=True) beside it.
    if (facts.failure && this.options && Number.isInteger(facts.run.seed)) {
      this.setGatherContrast(this.collectOffer({ ...this.options, seed: facts.run.seed }));
    }
    barrierOrGather.replaceChildren(this.paragraph(answers.barrierOrGather), this.compareSlot);
    this.status.textContent = this.statusText(facts);
    const verdict = el("span", "verdict");
    verdict.append(el("strong", "", facts.invariant.held ? "✓ " : "✗ "), ...this.parts(answers.invariant));
    const critical = el("span", "critical-path");
    critical.append(...this.parts(answers.critical));
    this.invariant.replaceChildren(verdict, critical);
    this.invariant.classList.toggle("broken", !facts.invariant.held);
    this.invariant.hidden = false;
  }

  /** What kind of run the answers come from, and so what they can and cannot say. */
  statusText(facts) {
    const seed = facts.run.seed === undefined ? "" : `, seed ${facts.run.seed}`;
    const which = `run ${facts.run.runId ?? "?"} (${formatCount(facts.run.chunks)} chunks${seed})`;
    switch (facts.outcome) {
      case "done": return `Answered from ${which}.`;
      case "failed": return `From ${which}, which failed: what it never reached stays unanswered.`;
      case "stopped": return `From ${which}, stopped at ${formatMsTenths(facts.end.t)}: what it never reached ` +
        "stays unanswered.";
      default: return `From ${which}: the events end before the run did.`;
    }
  }

  /** Fills Q5's slot with compare mode's verdict (text or nodes); null empties it. Emptied when a run starts. */
  setCompareVerdict(content) {
    fillSlot(this.compareSlot, content);
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

  /** No chunk raised: a button that runs this seed with a fault, off screen, and answers Q4 from that run. */
  faultOffer(facts) {
    const box = el("div", "fault-offer");
    const options = faultRunOptions(this.options, facts);
    const [{ chunk }] = options.faults;
    const button = el("button", "", "Run this seed with a fault");
    button.type = "button";
    const note = el("p", "muted", `No chunk raised in this run. The button runs seed ${facts.run.seed} again with ` +
      `the same options and one fault: chunk-${chunk} raises at the end of Phase 2, fail-fast. It runs off screen; ` +
      "the lanes keep this run.");
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
