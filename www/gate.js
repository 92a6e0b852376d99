// The barrier as one gate: the same instance serves generation 0 (everyone
// embedded) and then generation 1 (everyone scored), so the page shows one
// gate whose generation counter ticks, its meter refilling, and a line per
// generation saying how it ended. Every count, time and leader comes from an
// event; the text is written at most once a frame (arrivals five times a
// second), and nothing here is a live region (a 100,000-chunk run would read
// out 200,000 arrivals).

import { el } from "./dom.js";
import { formatCount } from "./format.js";

/** What each barrier kind is called on the page. */
const BARRIER_NAMES = { phase: "PhaseBarrier", classic: "async-barrier" };
/** Arrivals show at most this often (ms): 100,000 of them need not repaint the page 60 times a second. */
const TEXT_MS = 200;

export class Gate {
  /** Draws the gate inside `root`. */
  constructor(root) {
    this.root = root;
    this.frameId = 0;
    this.renderedAt = -Infinity;
    this.due = Infinity;
    this.clear();
  }

  /** No gate until the next run-start. */
  clear() {
    cancelAnimationFrame(this.frameId);
    this.frameId = 0;
    this.generations = null;
    this.root.replaceChildren();
  }

  /** A fresh gate for `parties` chunks, of barrier kind `kind` ("phase" or "classic"). */
  reset(parties, kind) {
    this.clear();
    this.kind = kind;
    this.name = BARRIER_NAMES[kind] ?? kind;
    this.parties = parties; // what a generation not yet open will wait for
    this.dropped = 0;
    this.generations = [];
    this.open(0);
    const box = el("div", "gate");
    this.head = el("div", "gate-head");
    this.meter = el("div", "meter");
    this.meter.setAttribute("aria-hidden", "true"); // the generation's line says the same in words
    this.fill = el("div");
    this.meter.append(this.fill);
    this.list = el("ol", "gate-generations");
    box.append(this.head, this.meter, this.list);
    this.root.replaceChildren(box);
    this.box = box;
    this.render();
  }

  /** Generation `generation` starts to fill. */
  open(generation) {
    // `arrived` is the barrier's own count; `withdrawn` the arrivals it took back (a cancelled wait withdraws).
    this.generations[generation] = {
      arrived: 0, withdrawn: 0, parties: this.parties, state: "open", text: null, lowered: false,
    };
    this.current = generation;
  }

  /** Applies one event; the page shows it at the next frame (or at once, when the run ends). */
  apply(event) {
    const generations = this.generations;
    if (!generations) return;
    // Only barrier events carry a generation (reading a missing one off an array is slow, 600,000 times).
    const gate = event.generation === undefined ? undefined : generations[event.generation];
    switch (event.type) {
      case "barrier-arrive":
      case "barrier-withdraw":
        if (!gate) break;
        gate.arrived = event.arrived;
        gate.parties = event.parties;
        if (event.type === "barrier-withdraw") gate.withdrawn++;
        break;
      case "chunk-dropped":
        // The chunk leaves every generation still to come; event.parties is how many they wait for now.
        this.dropped++;
        this.parties = event.parties;
        for (const open of generations) {
          if (open.state !== "open") continue;
          open.lowered = true;
          open.parties = event.parties;
        }
        break;
      case "barrier-release":
        if (!gate) break;
        gate.state = "released";
        gate.arrived = gate.parties;
        // A drop-out can complete a generation (every other party had arrived); Rust says which.
        gate.text = event.droppedOutId
          ? `released at ${formatCount(Math.round(event.t))} ms when ${event.droppedOutId} dropped out: the other ` +
            `${formatCount(event.parties)} had all arrived (leader ${event.leaderId}); ${this.dropOuts()}`
          : `released at ${formatCount(Math.round(event.t))} ms by ${event.leaderId}, the last of ${formatCount(event.parties)} to arrive` +
            (this.dropped > 0 ? `; ${this.dropOuts()}` : "");
        if (event.generation === 0) this.open(1); // the same gate, its next generation
        break;
      case "barrier-broken": {
        if (!gate) break;
        gate.state = "broken";
        // The reason reads "chunk-2 failed in Phase 1 (embed): why"; its head is enough here.
        const cause = event.reason.split(": ")[0];
        gate.text = `broken at ${formatCount(Math.round(event.t))} ms: ${cause}, so nobody waits for it; ` +
          `${this.count(gate, "had arrived")}`;
        break;
      }
      case "run-end":
        for (const open of generations) {
          if (open.state !== "open") continue;
          // PhaseBarrier withdraws each cancelled wait's arrival, so its count may have fallen to 0: say so.
          if (event.aborted) {
            open.state = "stopped";
            open.text = open.withdrawn > 0
              ? `${this.count(open)}; ${this.withdrawals(open)} when the run was stopped: never released`
              : `${this.count(open)}: never released, the run was stopped`;
          } else if (event.error) {
            open.state = "broken";
            open.text = this.kind === "classic"
              ? `${this.count(open)}: never released; async-barrier cannot be broken, so the group dropped its ` +
                "waiters"
              : open.withdrawn > 0
                ? `${this.count(open)}; ${this.withdrawals(open)} when the group was cancelled: never released`
                : `${this.count(open)}: never released, the group was cancelled`;
          }
        }
        this.render(); // at once: nothing on the page changes after the run has ended
        return;
      default:
        return;
    }
    // An arrival waits for the next due frame; how a generation ended shows at the next frame.
    this.due = Math.min(this.due, event.type.startsWith("barrier-a") || event.type === "barrier-withdraw"
      ? this.renderedAt + TEXT_MS : 0);
    if (!this.frameId) this.frameId = requestAnimationFrame((now) => this.onFrame(now));
  }

  /** Renders if due, or waits for a later frame (a frame that does nothing costs nothing). */
  onFrame(now) {
    this.frameId = 0;
    if (now >= this.due) this.render();
    else this.frameId = requestAnimationFrame((later) => this.onFrame(later));
  }

  /**
   * "3/46 arrived"; once arrivals were withdrawn, every arrival, "14 of 46 arrived" (the barrier's count is less);
   * with drop-outs "3 of 45 parties arrived, 1 dropped out". `verb` replaces "arrived" ("14 of 46 had arrived").
   */
  count(gate, verb = "arrived") {
    const arrived = formatCount(gate.arrived + gate.withdrawn);
    if (this.dropped > 0) return `${arrived} of ${formatCount(gate.parties)} parties ${verb}, ${this.dropOuts()}`;
    return gate.withdrawn > 0 || verb !== "arrived" ? `${arrived} of ${formatCount(gate.parties)} ${verb}`
      : `${arrived}/${formatCount(gate.parties)} ${verb}`;
  }

  /** What became of the arrivals withdrawn: "each withdrew its arrival", "9 withdrew their arrivals, 5 still counted". */
  withdrawals(gate) {
    return gate.arrived === 0 ? (gate.withdrawn === 1 ? "it withdrew its arrival" : "each withdrew its arrival")
      : `${formatCount(gate.withdrawn)} withdrew ${gate.withdrawn === 1 ? "its arrival" : "their arrivals"}, ` +
        `${formatCount(gate.arrived)} still counted`;
  }

  dropOuts() {
    return `${this.dropped} dropped out`;
  }

  /** Writes the gate: its name and generation counter, the meter of the current generation, a line each. */
  render() {
    cancelAnimationFrame(this.frameId);
    this.frameId = 0;
    this.renderedAt = performance.now();
    this.due = Infinity;
    if (!this.generations) return;
    const current = this.generations[this.current];
    const finished = current.state === "released";
    const lowered = this.dropped > 0 ? ` · parties lowered to ${formatCount(this.parties)}` : "";
    setText(this.head, `${this.name} · one barrier, reused: ` +
      `${finished ? "both generations released" : `generation ${this.current}`}${lowered}`);
    this.box.className = `gate ${current.state}`;
    // A transform, not a width: the compositor redraws it without a layout. A generation that ended unreleased
    // shows how far it got, arrivals since withdrawn included (its line says they were).
    const shown = current.state === "open" ? current.arrived : current.arrived + current.withdrawn;
    this.fill.style.transform = `scaleX(${shown / Math.max(current.parties, 1)})`;
    while (this.list.childElementCount < this.generations.length) this.list.append(el("li"));
    this.generations.forEach((gate, generation) => {
      const item = this.list.children[generation];
      const name = `barrier ${gate.state}${gate.lowered ? " lowered" : ""}`;
      if (item.className !== name) item.className = name;
      const withdrawing = gate.withdrawn > 0 ? `; ${this.withdrawals(gate)}` : "";
      setText(item, `generation ${generation}: ${gate.text ?? this.count(gate) + withdrawing}`);
    });
  }
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}
