// One lane per chunk on a shared time axis, drawn from pipeline events.
// It decides nothing: every bar starts and ends where an event says so; the
// only thing it adds is the growth of a bar that is still open, so a person
// sees time pass between events.

/** Lanes drawn at most; a bigger run shows its first lanes and says so. */
export const MAX_LANES = 48;

const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
};

export class Timeline {
  /** @param {HTMLElement} root where lanes go; @param {HTMLElement} note where "showing N of M" goes */
  constructor(root, note) {
    this.root = root;
    this.note = note;
    this.lanes = [];
  }

  /** Empties the board until the next run-start (a run that never started draws nothing). */
  clear() {
    this.root.replaceChildren();
    this.root.classList.remove("dense");
    this.note.hidden = true;
    this.segments = null;
    this.markers = [];
    this.lanes = [];
  }

  /** Clears the board for a run of `chunks` chunks. */
  reset(chunks) {
    this.root.replaceChildren();
    this.axisMs = 100;
    this.segments = [];   // every bar: { node, start, end } (end null while open)
    this.markers = [];    // every point in time: { node, t }
    this.axis = el("div", "axis");
    this.releases = el("div", "releases");
    this.root.append(this.axis, this.releases);
    this.lanes = [];
    for (let chunk = 0; chunk < Math.min(chunks, MAX_LANES); chunk++) {
      const row = el("div", "lane");
      const name = el("div", "name", `chunk-${chunk}`);
      const track = el("div", "track");
      const status = el("div", "status", "queued");
      row.append(name, track, status);
      this.root.append(row);
      this.lanes.push({ row, name, track, status, summary: "queued", open: null, ended: null });
    }
    this.root.classList.toggle("dense", chunks > 16);
    this.note.hidden = chunks <= MAX_LANES;
    this.note.textContent = `Showing the first ${MAX_LANES} of ${chunks} chunks; the log and answer cover all of them.`;
    this.drawAxis();
  }

  /** Scrolls chunk `chunk`'s lane into view and flashes it (a citation was clicked). */
  highlight(chunk) {
    const lane = this.lanes[chunk];
    if (!lane) return;
    lane.row.scrollIntoView({ block: "nearest", behavior: "smooth" });
    lane.row.classList.remove("flash");
    void lane.row.offsetWidth; // restart the animation
    lane.row.classList.add("flash");
  }

  /** Applies one event from the pipeline. */
  apply(event) {
    const lane = this.lanes[event.chunk];
    switch (event.type) {
      case "phase-start":
        // A real embedder's call has no planned length; the bar grows as it runs.
        this.stretch(event.t + (event.plannedMs ?? 0));
        if (lane) {
          this.close(lane, event.t);
          this.open(lane, event.phase, event.t);
          lane.status.textContent = event.phase === "embed" ? "embedding…" : "scoring…";
        }
        break;
      case "phase-complete":
        if (lane) {
          this.close(lane, event.t);
          if (event.phase === "embed") lane.early = event.early;
          lane.summary = event.phase === "score" ? scoreSummary(event.score, lane.early) : "embedded";
          lane.status.textContent = lane.summary;
        }
        break;
      case "barrier-arrive":
        if (lane) {
          this.open(lane, "waiting", event.t);
          lane.status.textContent = `${lane.summary} · waiting ${event.arrived}/${event.parties}`;
        }
        break;
      case "barrier-release": {
        for (const other of this.lanes) if (other.open?.kind === "waiting") this.close(other, event.t);
        const line = el("div", "release");
        line.append(el("span", "", `gen ${event.generation}`));
        this.releases.append(line);
        this.markers.push({ node: line, t: event.t });
        // A lane that failed, dropped out or was cancelled keeps saying so.
        for (const each of this.lanes) {
          if (each.ended) continue;
          each.status.textContent = `${each.summary}${event.generation === 1 ? " ✓" : ""}`;
          if (event.generation === 1) each.row.classList.add("done");
        }
        break;
      }
      case "chunk-failed":
        if (lane) {
          const timedOut = event.timedOut === true;
          this.end(lane, event.t, timedOut ? "failed timed-out" : "failed",
            `${timedOut ? "timed out" : "failed"} in Phase ${phaseNumber(event.phase)}`, event.line ?? event.message);
        }
        break;
      case "chunk-dropped":
        // Under drop-out: the chunk left the barrier for good and the others go on.
        if (lane) {
          this.end(lane, event.t, "dropped", `dropped out (${event.timedOut ? "timed out" : "error"})`,
            event.line ?? event.message);
        }
        break;
      case "chunk-cancelled":
        if (lane) {
          const status = event.started === false ? "cancelled before it started"
            : event.waiting ? "cancelled at the barrier"
            : `cancelled in Phase ${phaseNumber(event.phase)}`;
          this.end(lane, event.t, event.started === false ? "cancelled unstarted" : "cancelled", status, event.line);
        }
        break;
      case "top":
        event.top.forEach((entry, rank) => {
          const top = this.lanes[entry.chunk];
          if (!top) return;
          top.row.classList.add("top");
          top.name.append(el("span", "rank", String(rank + 1)));
        });
        break;
      case "run-end":
        for (const each of this.lanes) this.close(each, event.t);
        this.axisMs = Math.max(event.t, 1);
        this.drawAxis();
        this.layout();
        break;
    }
  }

  /** Draws the bars, growing open ones to `now` (ms since the run began); called
   *  every animation frame, not every event, so a 100,000-chunk run stays smooth. */
  tick(now) {
    if (!this.segments) return;
    if (this.segments.some((segment) => segment.end === null)) this.stretch(now);
    this.layout(now);
  }

  /** Ends a lane for good at `t`: a marker, classes `kinds` on its row, `status` beside it. */
  end(lane, t, kinds, status, title) {
    this.close(lane, t);
    const marker = el("div", `marker ${kinds}`);
    lane.track.append(marker);
    this.markers.push({ node: marker, t });
    lane.row.classList.add(...kinds.split(" "));
    lane.ended = kinds;
    lane.status.textContent = status;
    if (title) lane.row.title = title;
  }

  open(lane, kind, t) {
    const node = el("div", `segment ${kind}`);
    lane.track.append(node);
    lane.open = { node, kind, start: t, end: null };
    this.segments.push(lane.open);
  }

  close(lane, t) {
    if (lane.open) lane.open.end = t;
    lane.open = null;
  }

  /** Makes sure `t` fits on the axis, leaving headroom so it rescales rarely. */
  stretch(t) {
    if (t > this.axisMs) {
      this.axisMs = t * 1.25;
      this.drawAxis();
    }
  }

  layout(now = 0) {
    const percent = (t) => `${(100 * t) / this.axisMs}%`;
    for (const { node, start, end } of this.segments) {
      node.style.left = percent(start);
      node.style.width = percent(Math.max((end ?? now) - start, 0));
    }
    for (const { node, t } of this.markers) node.style.left = percent(t);
  }

  drawAxis() {
    const step = niceStep(this.axisMs / 6);
    const ticks = [];
    for (let t = 0; t <= this.axisMs; t += step) {
      const tick = el("span", "", `${t} ms`);
      tick.style.left = `${(100 * t) / this.axisMs}%`;
      ticks.push(tick);
    }
    this.axis.replaceChildren(...ticks);
  }
}

/** 1 for "embed", 2 for "score", as the log lines number the phases. */
function phaseNumber(phase) {
  return phase === "score" ? 2 : 1;
}

/** A lane's final score, and the different one it would have had without the barrier. */
function scoreSummary(score, early) {
  const shown = score.toFixed(2);
  if (early === undefined || early.toFixed(2) === shown) return `score ${shown}`;
  return `score ${shown} · early ${early.toFixed(2)}`;
}

/** A round tick spacing (1, 2 or 5 times a power of ten) near `raw`. */
function niceStep(raw) {
  const power = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw);
}

/** What each barrier kind is called on the page. */
const BARRIER_NAMES = { phase: "PhaseBarrier", classic: "async-barrier" };

/** The two barrier generations as meters: arrivals fill them, withdrawals
 *  empty them, a release turns them green and a break turns them red. Under
 *  drop-out each chunk that leaves lowers the parties of every generation not
 *  yet released; the meter says how many left. */
export class BarrierView {
  constructor(root) {
    this.root = root;
  }

  /** No meters until the next run-start. */
  clear() {
    this.gates = null;
    this.root.replaceChildren();
  }

  reset(parties, kind) {
    this.kind = kind;
    this.dropped = 0;
    this.gates = [0, 1].map((generation) => {
      const box = el("div", "barrier");
      const title = el("div", "title", `${BARRIER_NAMES[kind] ?? kind}, generation ${generation}`);
      const meter = el("div", "meter");
      const fill = el("div");
      meter.append(fill);
      const text = el("div", "muted", `0/${parties} arrived`);
      box.append(title, meter, text);
      return { box, fill, text, arrived: 0, parties, done: false };
    });
    this.root.replaceChildren(...this.gates.map((gate) => gate.box));
  }

  /** "3/46 arrived", or with drop-outs "3 of 45 parties arrived, 1 dropped out". */
  count(gate) {
    if (this.dropped === 0) return `${gate.arrived}/${gate.parties} arrived`;
    return `${gate.arrived} of ${gate.parties} parties arrived, ${this.dropOuts()}`;
  }

  dropOuts() {
    return `${this.dropped} dropped out`;
  }

  draw(gate) {
    gate.fill.style.width = `${(100 * gate.arrived) / Math.max(gate.parties, 1)}%`;
    gate.text.textContent = this.count(gate);
  }

  apply(event) {
    const gate = this.gates?.[event.generation];
    if ((event.type === "barrier-arrive" || event.type === "barrier-withdraw") && gate) {
      gate.arrived = event.arrived;
      gate.parties = event.parties;
      this.draw(gate);
    } else if (event.type === "chunk-dropped" && this.gates) {
      // The chunk leaves every generation still to come; event.parties is how many they wait for now.
      this.dropped++;
      for (const open of this.gates) {
        if (open.done) continue;
        open.box.classList.add("lowered");
        open.parties = event.parties;
        this.draw(open);
      }
    } else if (event.type === "barrier-release" && gate) {
      gate.done = true;
      gate.box.classList.add("released");
      gate.fill.style.width = "100%";
      // A drop-out can complete a generation (every other party had arrived); Rust says which.
      gate.text.textContent = event.droppedOutId
        ? `released at ${event.t.toFixed(0)} ms when ${event.droppedOutId} dropped out: the other ` +
          `${event.parties} had all arrived (leader ${event.leaderId}); ${this.dropOuts()}`
        : `released at ${event.t.toFixed(0)} ms by ${event.leaderId}, the last of ${event.parties} to arrive` +
          (this.dropped > 0 ? `; ${this.dropOuts()}` : "");
    } else if (event.type === "barrier-broken" && gate) {
      gate.done = true;
      gate.box.classList.add("broken");
      // The reason reads "chunk-2 failed in Phase 1 (embed): why"; its head is enough here.
      const cause = event.reason.split(": ")[0];
      gate.text.textContent = `broken at ${event.t.toFixed(0)} ms: ${cause}, so nobody waits for it`;
    } else if (event.type === "run-end" && (event.error || event.aborted)) {
      for (const open of this.gates ?? []) {
        if (open.done) continue;
        open.done = true;
        if (event.aborted) {
          open.box.classList.add("stopped");
          open.text.textContent = `${this.count(open)}: never released, the run was stopped`;
        } else {
          open.box.classList.add("broken");
          open.text.textContent = `${this.count(open)}` + (this.kind === "classic"
            ? ": never released; async-barrier cannot be broken, so the group dropped its waiters"
            : ": never released, the group was cancelled");
        }
      }
    }
  }
}
