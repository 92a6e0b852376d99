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
      this.lanes.push({ row, name, track, status, summary: "queued", open: null });
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
        for (const each of this.lanes) each.status.textContent = `${each.summary}${event.generation === 1 ? " ✓" : ""}`;
        break;
      }
      case "chunk-failed":
      case "chunk-cancelled":
        if (lane) {
          this.close(lane, event.t);
          const kind = event.type === "chunk-failed" ? "failed" : "cancelled";
          const marker = el("div", `marker ${kind}`);
          lane.track.append(marker);
          this.markers.push({ node: marker, t: event.t });
          lane.row.classList.add(kind);
          lane.status.textContent = kind;
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
 *  empty them, a release turns them green and a break turns them red. */
export class BarrierView {
  constructor(root) {
    this.root = root;
  }

  reset(parties, kind) {
    this.kind = kind;
    this.gates = [0, 1].map((generation) => {
      const box = el("div", "barrier");
      const title = el("div", "title", `${BARRIER_NAMES[kind] ?? kind}, generation ${generation}`);
      const meter = el("div", "meter");
      const fill = el("div");
      meter.append(fill);
      const text = el("div", "muted", `0/${parties} arrived`);
      box.append(title, meter, text);
      return { box, fill, text };
    });
    this.root.replaceChildren(...this.gates.map((gate) => gate.box));
  }

  apply(event) {
    const gate = this.gates?.[event.generation];
    if ((event.type === "barrier-arrive" || event.type === "barrier-withdraw") && gate) {
      gate.fill.style.width = `${(100 * event.arrived) / event.parties}%`;
      gate.text.textContent = `${event.arrived}/${event.parties} arrived`;
    } else if (event.type === "barrier-release" && gate) {
      gate.box.classList.add("released");
      gate.fill.style.width = "100%";
      gate.text.textContent =
        `released at ${event.t.toFixed(0)} ms by ${event.leaderId}, the last of ${event.parties} to arrive`;
    } else if (event.type === "barrier-broken" && gate) {
      gate.box.classList.add("broken");
      // The reason reads "chunk-2 failed in Phase 1 (embed): why"; its head is enough here.
      const cause = event.reason.split(": ")[0];
      gate.text.textContent = `broken at ${event.t.toFixed(0)} ms: ${cause}, so nobody waits for it`;
    } else if (event.type === "run-end" && event.error) {
      for (const open of this.gates ?? []) {
        if (open.box.classList.contains("released") || open.box.classList.contains("broken")) continue;
        open.box.classList.add("broken");
        open.text.textContent += this.kind === "classic"
          ? ": never released; async-barrier cannot be broken, so the group dropped its waiters"
          : ": never released, the group was cancelled";
      }
    }
  }
}
