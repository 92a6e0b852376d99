// Every chunk's lane on one canvas, from 6 chunks to 100,000, drawn from
// pipeline events. A row shows one chunk while rows fit; past that a row is a
// band of chunks, painted as the share of them in each state at each moment.
// Zoom (fewer chunks a row, down to one) and scroll reach any lane; Find goes
// straight to one. The axis, the bars, the release lines and the critical
// path all go through one function from time to x (`x`), on one canvas.
//
// It decides nothing: every bar starts and ends at an event's time; the only
// thing it adds is the growth of an open bar up to "now".
//
// Costs: apply() is O(1) (a 100,000-chunk run sends ~400,000 events); a frame
// paints only the columns that changed, for the rows in view; a zoom, scroll,
// resize or rescale rebuilds the rows in view from the per-chunk history.

import { el } from "./dom.js";
import { formatCount, formatMs, formatMsTenths } from "./format.js";
import { LaneHistory, STATE, STATE_COUNT, STATE_NAMES } from "./lane-history.js";
import { drawCritical, drawEnd, paintColumn, paintSwatch, readPalette } from "./lane-paint.js";

const MAX_ROWS = 48; // rows in view at once; a bigger run's rows are bands, or scroll
const AXIS_H = 20; // CSS px above the rows: the time axis
const FOOT_H = 32; // below the rows: two lines of release labels
const PAD = 12; // CSS px either side of the plot: room for the labels of 0 ms and the last tick, and for end marks
const GAP = 3; // CSS px between one row's bar and the next
const STATES = STATE_COUNT;
const TEXT_MS = 200; // the text of a run in flight: five times a second is plenty to read, and spares the DOM
/** In a one-chunk row, these states show as a marker, not a fill. */
const MARKED = new Uint8Array(STATE_COUNT);
for (const state of [STATE.done, STATE.failed, STATE.dropped, STATE.cancelled]) MARKED[state] = 1;
const NO_SKIP = new Uint8Array(STATE_COUNT);

const reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");

export class Lanes {
  /** Builds the lanes inside `root`; paints the keys of `legend` (see paintLegend) with the lanes' own painter.
   *  Lanes given the same `sharedAxis` object ({ ms }) draw on one time axis, the longest either needs (at least
   *  `ms` from the start). `critical: false` leaves out the critical path (a false leader held nobody up).
   *  `overlay` ({ draw(context, geometry), text() }) adds a caller's marks: drawn over the bars (see drawMarks),
   *  and its sentences (text(), a list) added to the canvas's label. */
  constructor(root, { legend, sharedAxis, critical = true, overlay = null } = {}) {
    this.root = root;
    this.overlay = overlay;
    this.legend = legend;
    this.sharedAxis = sharedAxis;
    this.critical = critical;
    root.classList.add("lanes");
    root.replaceChildren();
    this.buildTools();
    this.view = el("div", "lanes-view");
    this.canvas = el("canvas", "lanes-canvas");
    this.canvas.setAttribute("role", "img");
    this.scroll = el("div", "lanes-scroll");
    this.scroll.tabIndex = 0;
    this.scroll.setAttribute("aria-label", "Lane rows: arrow keys scroll, + and − zoom");
    this.list = el("ol", "lanes-rows");
    this.scroll.append(this.list);
    this.view.append(this.canvas, this.scroll);
    this.releasesList = el("ul", "releases sr-only");
    this.axisText = el("p", "axis sr-only");
    root.append(this.tools, this.view, this.axisText, this.releasesList);
    this.context = this.canvas.getContext("2d");
    this.slots = [];
    this.frameId = 0;
    this.width = 0;
    new ResizeObserver(([entry]) => {
      if (entry.contentRect.width === this.width) return; // our own height changes come back here
      this.width = entry.contentRect.width;
      this.invalidate("layout");
    }).observe(root);
    matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
      this.palette = null;
      this.paintLegend();
      this.invalidate("full");
    });
    this.scroll.addEventListener("scroll", () => this.invalidate());
    this.scroll.addEventListener("keydown", (event) => {
      const step = { "+": -1, "=": -1, "-": 1, "_": 1 }[event.key];
      if (step === undefined || event.ctrlKey || event.metaKey || event.altKey) return;
      event.preventDefault();
      this.zoomBy(step);
    });
    this.scroll.addEventListener("wheel", (event) => {
      if (!event.ctrlKey) return; // a plain wheel scrolls, natively
      event.preventDefault();
      this.zoomBy(event.deltaY > 0 ? 1 : -1);
    }, { passive: false });
    this.paintLegend();
    this.clear();
  }

  /** Zoom buttons, the scale they are at, and "Find chunk". */
  buildTools() {
    this.tools = el("div", "lanes-tools");
    const zoom = el("div", "lanes-zoom");
    zoom.setAttribute("role", "group");
    zoom.setAttribute("aria-label", "Zoom");
    this.zoomOut = el("button", "", "−");
    this.zoomOut.type = "button";
    this.zoomOut.setAttribute("aria-label", "Zoom out: more chunks a row");
    this.zoomIn = el("button", "", "+");
    this.zoomIn.type = "button";
    this.zoomIn.setAttribute("aria-label", "Zoom in: fewer chunks a row");
    this.scale = el("span", "lanes-scale");
    zoom.append(this.zoomOut, this.scale, this.zoomIn);
    this.zoomOut.addEventListener("click", () => this.zoomBy(1));
    this.zoomIn.addEventListener("click", () => this.zoomBy(-1));

    const find = el("form", "lanes-find");
    find.noValidate = true;
    const label = el("label", "", "Find chunk ");
    this.findInput = el("input");
    Object.assign(this.findInput, { type: "number", name: "find", min: "0", step: "1", inputMode: "numeric" });
    label.append(this.findInput);
    const show = el("button", "", "Show");
    find.append(label, show);
    this.note = el("span", "lanes-note");
    this.note.setAttribute("role", "status");
    find.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = this.findInput.value.trim();
      const chunk = Number(text);
      const shown = text !== "" && this.highlight(chunk);
      this.note.textContent = shown ? `chunk-${chunk}: ${this.history.status(chunk)}`
        : !this.history ? "No run yet."
          : `No chunk ${text || "?"}: this run has chunks 0 to ${formatCount(this.history.chunks - 1)}.`;
    });
    this.tools.append(zoom, find, this.note);
  }

  /** Empties the board until the next run-start (a run that never started draws nothing). */
  clear() {
    cancelAnimationFrame(this.frameId);
    this.frameId = 0;
    this.history = null;
    this.diff = null; // the next run's rows are rebuilt at its first frame
    this.current = this.sizes = null;
    this.root.classList.add("empty");
    this.list.replaceChildren();
    this.slots = [];
    this.releasesList.replaceChildren();
    this.axisText.textContent = "";
    this.note.textContent = "";
    this.canvas.setAttribute("aria-label", "No run yet.");
    this.zoomIn.disabled = this.zoomOut.disabled = true;
    this.scale.textContent = "";
  }

  /** Clears the board for a run of `chunks` chunks. */
  reset(chunks) {
    this.clear();
    this.root.classList.remove("empty");
    this.history = new LaneHistory(chunks, (c, from, to, t) => this.changed(c, from, to, t));
    this.history.onRelease = (t, from) => this.released(t, from);
    // Zoom levels, in chunks a row: from "all rows fit" down to one chunk, a quarter at a time.
    const fit = Math.max(1, Math.ceil(chunks / MAX_ROWS));
    this.levels = [fit];
    while (this.levels.at(-1) > 1) this.levels.push(Math.max(1, Math.ceil(this.levels.at(-1) / 4)));
    this.level = 0;
    this.axisMs = Math.max(100, this.sharedAxis?.ms ?? 0);
    this.axisWant = 0;
    this.now = 0;
    this.running = true;
    this.highlighted = -1;
    this.textAt = -Infinity;
    this.range = [0, 0];
    this.invalidate("layout");
  }

  /** Applies one event from the pipeline: O(1), drawing waits for the next frame. */
  apply(event) {
    const history = this.history;
    if (!history) return;
    history.apply(event);
    if (event.type === "phase-start" && event.plannedMs) this.axisWant = Math.max(this.axisWant, event.t + event.plannedMs);
    if (event.type === "run-end") {
      this.running = false;
      this.scaleTo(Math.max(event.t, 1)); // the final axis fits the run exactly (or the longest sharing it)
      // The text now, so that nothing on the page changes once the run has ended; the canvas (a rebuild)
      // at the next frame, so that it is not added to the run's last task.
      if (this.diff) {
        this.renderText(true);
        this.invalidate("full");
      } else {
        this.frame(); // the run ended before its first frame: all of it now
      }
      return;
    }
    // Marks that reach outside the columns that change this frame: the whole canvas is presented again.
    const type = event.type;
    if (type === "barrier-release" || type === "gather-end" || (this.k === 1 && (type === "chunk-failed" || type === "chunk-dropped" ||
      type === "chunk-cancelled"))) this.overlayDirty = true;
    this.textDirty = true;
    this.invalidate();
  }

  /** Sets the axis to end at `ms` once the run has ended: lanes sharing an axis end at the longer run. */
  fitAxis(ms) {
    if (!this.history || this.running) return;
    this.scaleTo(Math.max(ms, 1));
    this.renderText(true);
    this.invalidate("full");
  }

  /** Grows the open bars to `now` (ms since the run began); the page calls it every animation frame. */
  tick(now) {
    if (!this.history || !this.running) return;
    this.now = now;
    this.frame();
  }

  /** Draws the board at `now` (ms since the run began) at once, its text too: a replay that stops at a moment
   *  shows exactly that moment, not the text of up to TEXT_MS before. */
  show(now) {
    if (!this.history) return;
    this.now = now;
    this.textAt = -Infinity;
    this.frame();
  }

  /** Where the reader is (zoom level, scroll, highlighted lane), for restoreView after the board is rebuilt
   *  for the same run (a replay stepping back replays it from the start); null with no run. */
  viewState() {
    if (!this.history) return null;
    return { chunks: this.history.chunks, level: this.level, top: this.scroll.scrollTop, highlighted: this.highlighted };
  }

  /** Puts back a viewState() of a run with as many chunks, right after reset(); any other does nothing. */
  restoreView(view) {
    if (!view || view.chunks !== this.history?.chunks) return;
    this.level = view.level;
    this.highlighted = view.highlighted;
    this.pulse = false; // the same lane, not news: no second flash
    this.layout();
    this.scroll.scrollTop = view.top;
    this.invalidate("full");
  }

  /** Zooms to one chunk a row, scrolls chunk `chunk`'s lane into view and highlights it, with
   *  `focus` also moving focus to it; false if this run has no such chunk. */
  highlight(chunk, { focus = false } = {}) {
    const history = this.history;
    if (!history || !Number.isInteger(chunk) || chunk < 0 || chunk >= history.chunks) return false;
    this.level = this.levels.length - 1;
    this.highlighted = chunk;
    this.layout();
    this.scroll.scrollTop = chunk * this.rowH - (this.viewH - this.rowH) / 2;
    this.pulse = !reducedMotion.matches; // a flash draws the eye, unless motion is unwelcome
    this.textDirty = true;
    this.frame(); // at once: the caller may look for the lane next
    if (focus) this.focusLane(chunk);
    return true;
  }

  /** Moves focus to chunk `chunk`'s row of text (which scrolls the page to it), so a keyboard or screen
   *  reader user lands where a sighted one looks. */
  focusLane(chunk) {
    if (this.textDirty) this.renderText(false);
    const row = this.slots[chunk - this.range[0]];
    if (!row) return;
    row.tabIndex = -1; // focusable by script, not a Tab stop: there may be 100,000 of them
    row.focus();
  }

  /** One zoom level in (`step` -1) or out (+1), keeping the chunk in the middle of the view in the middle. */
  zoomBy(step) {
    if (!this.history) return;
    if (this.layoutDirty) this.layout();
    const level = Math.min(this.levels.length - 1, Math.max(0, this.level + step));
    if (level === this.level) return;
    const middle = Math.floor(((this.scroll.scrollTop + this.viewH / 2) / this.rowH) * this.levels[this.level]);
    this.level = level;
    this.layout();
    this.scroll.scrollTop = Math.floor(middle / this.levels[level]) * this.rowH - (this.viewH - this.rowH) / 2;
    this.invalidate("full");
  }

  /** Asks for a frame; `what` says how much of the picture is stale ("full", "layout"). */
  invalidate(what) {
    if (what === "layout") this.layoutDirty = true;
    if (what) this.fullDirty = true;
    if (!this.frameId && this.history) this.frameId = requestAnimationFrame(() => this.frame());
  }

  /** The axis runs from 0 to `axisMs`: sets the one mapping from time to device pixels that everything uses. */
  scaleTo(axisMs) {
    this.axisMs = axisMs;
    if (this.sharedAxis && this.running) this.sharedAxis.ms = Math.max(this.sharedAxis.ms, axisMs);
    this.perMs = ((this.plotW - 2 * PAD) * this.dpr) / axisMs;
    this.offset = PAD * this.dpr;
    // Ticks as close as their labels allow: the widest label ("3,000") at ~7 px a character, plus a gap.
    const labelRoom = formatCount(axisMs).length * 7 + 16;
    // ...but three ticks at least (0, a step, two steps), or the axis says too little.
    this.tickStep = Math.min(niceStep((axisMs * labelRoom) / Math.max(this.plotW, 1), "up"), niceStep(axisMs / 2, "down"));
  }

  /** Time `t` (ms) as a device-pixel column of the canvas: where a bar starting at `t` starts. */
  column(t) {
    return Math.min(this.columns, Math.max(0, Math.round(this.offset + t * this.perMs)));
  }

  /** Time `t` as x in CSS pixels: the same column, for the vector marks (lines, axis, markers) drawn over the bars. */
  x(t) {
    return Math.round(this.offset + t * this.perMs) / this.dpr;
  }

  /** Sizes everything for the zoom level and the width: rows, canvas, device pixels. */
  layout() {
    const chunks = this.history.chunks;
    this.k = this.levels[this.level];
    this.rows = Math.ceil(chunks / this.k);
    this.rowH = this.rows <= 16 ? 24 : 14;
    this.viewH = Math.min(this.rows, MAX_ROWS) * this.rowH;
    const style = getComputedStyle(this.root);
    const nameW = parseFloat(style.getPropertyValue("--lanes-name-w")) || 80;
    const statusW = parseFloat(style.getPropertyValue("--lanes-status-w")) || 160;
    this.view.style.height = `${AXIS_H + this.viewH + FOOT_H}px`;
    Object.assign(this.scroll.style, { top: `${AXIS_H}px`, height: `${this.viewH}px` });
    this.list.style.height = `${this.rows * this.rowH}px`;
    this.plotW = Math.max(60, this.scroll.clientWidth - nameW - statusW);
    this.dpr = window.devicePixelRatio || 1;
    Object.assign(this.canvas.style, { left: `${nameW}px`, width: `${this.plotW}px`, height: `${AXIS_H + this.viewH + FOOT_H}px` });
    this.canvas.width = Math.round(this.plotW * this.dpr);
    this.canvas.height = Math.round((AXIS_H + this.viewH + FOOT_H) * this.dpr);
    this.columns = this.canvas.width;
    this.scaleTo(this.axisMs);
    this.zoomIn.disabled = this.level === this.levels.length - 1;
    this.zoomOut.disabled = this.level === 0;
    this.scale.textContent = this.k === 1 ? "1 chunk a row" : `${formatCount(this.k)} chunks a row`;
    this.layoutDirty = false;
    this.fullDirty = true;
    this.textDirty = true;
  }

  /** The one drawing pass: at most once a frame, from the events applied since the last one. */
  frame() {
    cancelAnimationFrame(this.frameId);
    this.frameId = 0;
    const history = this.history;
    if (!history) return;
    if (this.layoutDirty) this.layout();
    if (!this.palette) this.palette = readPalette(this.root);
    const end = this.running ? Math.max(this.now, history.lastT) : history.endT;
    if (this.running && Math.max(end, this.axisWant) > this.axisMs) {
      this.scaleTo(Math.max(end, this.axisWant) * 1.5); // headroom, so that it rescales rarely
      this.fullDirty = true;
    }
    if (this.sharedAxis?.ms > this.axisMs) {
      this.scaleTo(this.sharedAxis.ms); // the other lanes on this axis need it longer
      this.fullDirty = true;
    }
    // The rows in view; rows scrolled in or out, or any full redraw, rebuild them from the history.
    const first = Math.max(0, Math.floor(this.scroll.scrollTop / this.rowH));
    const last = Math.min(this.rows, Math.ceil((this.scroll.scrollTop + this.viewH) / this.rowH));
    const anew = this.fullDirty || first !== this.range[0] || last !== this.range[1];
    if (anew) {
      this.range = [first, last];
      this.rebuild();
      this.fullDirty = false;
      this.textDirty = true;
    }
    const [from, to] = this.paint(anew ? 0 : this.dirtyFrom, end);
    // Only the columns that changed go to the canvas, with the marks over them: a frame touches a sliver.
    if (anew || this.overlayDirty) this.present(0, this.columns);
    else if (to > from) this.present(from, to);
    this.overlayDirty = false;
    // Rows that moved are written at once (they must sit beside their bars); news from events a few times a second.
    if (this.textDirty && (anew || !this.running || performance.now() - this.textAt >= TEXT_MS)) {
      this.renderText(!this.running);
    }
  }

  /** Rebuilds the state counts of the rows in view: per row, per state, a difference array over columns. */
  rebuild() {
    const history = this.history;
    const [first, last] = this.range;
    const rows = last - first;
    const stride = this.columns + 1;
    // The same arrays again when the size is the same (every rescale): a 100k run's frames make no garbage.
    const reuse = (array, length) => (array?.length === length ? array.fill(0) : new Int32Array(length));
    const diff = (this.diff = reuse(this.diff, rows * STATES * stride));
    const current = (this.current = reuse(this.current, rows * STATES));
    this.sizes = reuse(this.sizes, rows);
    for (let i = 0; i < rows; i++) {
      const from = (first + i) * this.k;
      const to = Math.min(history.chunks, from + this.k);
      this.sizes[i] = to - from;
      const base = i * STATES;
      diff[(base + STATE.idle) * stride] += to - from;
      current[base + STATE.idle] += to - from;
      history.replay(from, to, (t, before, after) => {
        const column = this.column(t);
        diff[(base + before) * stride + column]--;
        diff[(base + after) * stride + column]++;
        current[base + before]--;
        current[base + after]++;
      });
    }
    const height = Math.round(rows * this.rowH * this.dpr) || 1;
    if (this.image?.width !== this.columns || this.image.height !== height) {
      this.image = this.context.createImageData(this.columns, height);
      this.pixels = new Uint32Array(this.image.data.buffer);
    }
    this.dirtyFrom = 0;
  }

  /** A state change of chunk `c` at `t`, from the history: counted in its row if that row is in view. */
  changed(c, from, to, t) {
    if (!this.diff) return;
    const i = Math.floor(c / this.k) - this.range[0];
    if (i < 0 || i >= this.range[1] - this.range[0]) return;
    const column = this.column(t);
    const stride = this.columns + 1;
    this.diff[(i * STATES + from) * stride + column]--;
    this.diff[(i * STATES + to) * stride + column]++;
    this.current[i * STATES + from]--;
    this.current[i * STATES + to]++;
    if (column < this.dirtyFrom) this.dirtyFrom = column;
  }

  /** Generation 1 released at `t`: every waiting chunk in view is done from then on (O(rows in view)).
   *  A run of gathers ends with its last join instead (`from` idle): its rows are rebuilt, once. */
  released(t, from) {
    if (!this.diff) return;
    if (from !== STATE.waiting) {
      this.invalidate("full");
      return;
    }
    const column = this.column(t);
    const stride = this.columns + 1;
    for (let i = 0; i < this.range[1] - this.range[0]; i++) {
      const waiting = this.current[i * STATES + STATE.waiting];
      this.diff[(i * STATES + STATE.waiting) * stride + column] -= waiting;
      this.diff[(i * STATES + STATE.done) * stride + column] += waiting;
      this.current[i * STATES + STATE.waiting] = 0;
      this.current[i * STATES + STATE.done] += waiting;
    }
    this.dirtyFrom = Math.min(this.dirtyFrom, column);
  }

  /** Paints device columns from `fromColumn` (0: all anew) to the column of `end` (later columns are track) into
   *  the rows' image; returns the columns painted. Counts are summed from column 0 (cheap); pixels are written
   *  only where they changed. */
  paint(fromColumn, end) {
    const rows = this.range[1] - this.range[0];
    const columns = this.columns;
    const stride = columns + 1;
    const endColumn = this.column(end);
    const toColumn = Math.min(columns, endColumn + 1); // the future is empty track
    const skip = this.k === 1 ? MARKED : NO_SKIP;
    const { diff, pixels, sizes } = this;
    const tiles = this.palette.tiles;
    const counts = new Int32Array(STATES);
    const barH = Math.max(1, Math.round((this.rowH - GAP) * this.dpr));
    const top = (i) => Math.round((i * this.rowH + GAP / 2) * this.dpr);
    if (fromColumn === 0) {
      // Everything anew: gaps clear, bars all track (native fills), then the columns up to now.
      pixels.fill(0);
      for (let i = 0; i < rows; i++) {
        for (let y = top(i); y < top(i) + barH; y++) pixels.fill(tiles[STATE.idle][0], y * columns, (y + 1) * columns);
      }
    }
    for (let i = 0; i < rows; i++) {
      counts.fill(0);
      const base = i * STATES * stride;
      for (let column = 0; column < toColumn; column++) {
        for (let s = 0, at = base + column; s < STATES; s++, at += stride) counts[s] += diff[at];
        if (column >= fromColumn) paintColumn(pixels, columns, column, top(i), barH, counts, 0, sizes[i], tiles, skip);
      }
    }
    this.dirtyFrom = endColumn;
    return [fromColumn, toColumn];
  }

  /**
   * Puts device columns [from, to) of the rows on the canvas and draws the marks over them, clipped to them,
   * so that a mark is drawn once on fresh pixels; all columns also redraw the axis and the release labels.
   */
  present(from, to) {
    const context = this.context;
    const full = from === 0 && to === this.columns;
    context.setTransform(1, 0, 0, 1, 0, 0);
    if (full) context.clearRect(0, 0, this.canvas.width, this.canvas.height);
    const y = Math.round((AXIS_H + this.range[0] * this.rowH - this.scroll.scrollTop) * this.dpr);
    const clipTop = Math.round(AXIS_H * this.dpr) - y;
    context.putImageData(this.image, 0, y, from, clipTop, to - from, Math.round(this.viewH * this.dpr));
    context.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    context.font = "11px system-ui, sans-serif";
    if (full) {
      this.drawAxis();
      this.drawReleaseLabels();
    }
    context.save();
    context.beginPath();
    context.rect(from / this.dpr, AXIS_H, (to - from) / this.dpr, this.viewH);
    context.clip();
    this.drawMarks();
    context.restore();
  }

  /** Over the bars: how single lanes ended, the critical path, the release lines. */
  drawMarks() {
    const context = this.context;
    const history = this.history;
    const palette = this.palette;
    const rowTop = (r) => AXIS_H + r * this.rowH - this.scroll.scrollTop + GAP / 2;
    const barH = this.rowH - GAP;
    const [first, last] = this.range;
    if (this.k === 1) {
      for (let c = first; c < last; c++) {
        const end = history.endedAt(c);
        if (Number.isNaN(end)) continue;
        const state = history.stateOf(c);
        const kind = state === STATE.failed ? (history.timedOut(c) ? "timed-out" : "failed")
          : state === STATE.dropped ? "dropped" : history.unstarted(c) ? "unstarted" : "cancelled";
        drawEnd(context, kind, this.x(end), rowTop(c), barH, palette, this.x(0), this.x(this.axisMs) - this.x(0));
      }
    }
    // The critical path: the bar that held each release (or join) up (see LaneHistory.criticalBars).
    for (const { chunk, start, stop } of this.critical ? history.criticalBars() : []) {
      const row = Math.floor(chunk / this.k);
      if (row < first || row >= last || Number.isNaN(start) || Number.isNaN(stop)) continue;
      drawCritical(context, this.x(start), this.x(stop), rowTop(row), barH, palette);
    }
    context.fillStyle = palette.css.release;
    for (const { t } of this.lines()) context.fillRect(this.x(t) - 1, AXIS_H, 2, this.viewH);
    this.overlay?.draw(context, { x: (t) => this.x(t), rowTop, barH, first, last, k: this.k, palette });
    this.drawMarkedTime();
  }

  /** The vertical lines across the rows: each barrier release ("gen 0"), or each gather's join ("join 1"). */
  lines() {
    const history = this.history;
    return [
      ...history.releases.map((release, generation) => ({ t: release.t, label: `gen ${generation}` })),
      ...history.joins.map((join, index) => ({ t: join.t, label: `join ${index + 1}` })),
    ];
  }

  /** Ticks and round numbers along the top, spaced for the width. */
  drawAxis() {
    const context = this.context;
    context.fillStyle = this.palette.css.muted;
    context.fillRect(0, AXIS_H - 1, this.plotW, 1);
    const step = this.tickStep;
    context.textBaseline = "top";
    for (let t = 0; t <= this.axisMs + 1e-9; t += step) {
      const x = this.x(t);
      context.fillRect(x - 1, AXIS_H - 6, 2, 6); // centred on x, as the release lines are
      // Only the last label names the unit ("0  100  200  300 ms"): narrow axes keep their labels apart.
      const text = t + step > this.axisMs + 1e-9 ? formatMs(t) : formatCount(t);
      const width = context.measureText(text).width;
      const left = Math.min(Math.max(x - width / 2, 0), this.plotW - width);
      context.fillStyle = this.palette.css.muted;
      context.fillText(text, left, 2);
    }
  }

  /** Each release's label below the rows, beside its line, where it overlaps neither the other nor the axis. */
  drawReleaseLabels() {
    const context = this.context;
    const bottom = AXIS_H + this.viewH;
    const placed = [[], []]; // [left, right] spans taken on each of the two label lines
    context.textBaseline = "top";
    this.lines().forEach(({ t, label: text }, index) => {
      const x = this.x(t);
      context.fillStyle = this.palette.css.release;
      context.fillRect(x - 1, bottom, 2, 3); // the line's foot, pointing at its label
      const width = context.measureText(text).width;
      // The first line's label to the left of it, the next to the right: they then part, however close the lines are.
      const sides = index === 0 ? [x - 4 - width, x + 4] : [x + 4, x - 4 - width];
      for (const [line, left] of [0, 1].flatMap((line) => sides.map((left) => [line, left]))) {
        if (left < 0 || left + width > this.plotW) continue;
        if (placed[line].some(([a, b]) => left < b + 6 && left + width > a - 6)) continue;
        placed[line].push([left, left + width]);
        context.fillText(text, left, bottom + 5 + line * 13);
        break;
      }
    });
  }

  /**
   * The text alternative: the rows in view as DOM (names, statuses, rank badges), the releases as a list,
   * and the canvas's aria-label. While the run goes on, frame() calls it at most every TEXT_MS.
   */
  renderText(final) {
    const history = this.history;
    this.textDirty = false;
    const [first, last] = this.range;
    while (this.slots.length < last - first) {
      const row = el("li");
      row.append(el("span", "name"), el("span", "status"));
      this.slots.push(row);
      this.list.append(row);
    }
    while (this.slots.length > last - first) this.slots.pop().remove();
    this.slots.forEach((row, i) => this.renderRow(row, first + i));
    const items = history.releases.map((release, generation) => {
      const item = el("li", "release", !this.critical
        ? `Generation ${generation} released at ${formatMs(release.t)}, led by ${release.leaderId}.`
        : release.droppedOutId
        ? `Generation ${generation} released at ${formatMs(release.t)}, when ${release.droppedOutId} dropped ` +
          `out (critical path, outlined); ${release.leaderId} had arrived last.`
        : `Generation ${generation} released at ${formatMs(release.t)}; ` +
          `its leader, ${release.leaderId}, was the last to arrive (critical path, outlined).`);
      return item;
    });
    for (const join of history.joins) {
      const lastId = join.last >= 0 ? `; chunk-${join.last} finished last (critical path, outlined)` : "";
      items.push(el("li", "release", `${join.phase === "embed" ? "Embeddings" : join.phase === "store" ? "Stores"
        : "Scores"} gathered at ${formatMs(join.t)}: ${formatCount(join.tasks)} tasks joined, ` +
        `${formatCount(join.failed)} failed${lastId}.`));
    }
    if (items.length !== this.releasesList.childElementCount) this.releasesList.replaceChildren(...items);
    setText(this.axisText, `Time axis: ${formatMs(0)} to ${formatMs(this.axisMs)}, ` +
      `a tick every ${formatMs(this.tickStep)}.`);
    setIfChanged(this.canvas, "aria-label", this.summary(final));
    this.textAt = performance.now();
  }

  /** Row slot `row` shows display row `r`: one chunk's lane, or a band of chunks. */
  renderRow(row, r) {
    const history = this.history;
    row.style.top = `${r * this.rowH}px`;
    row.style.height = `${this.rowH}px`;
    const [name, status] = row.children;
    if (this.k === 1) {
      const classes = ["lane", ...history.classes(r)];
      if (r === this.highlighted) classes.push("highlighted", ...(this.pulse ? ["pulse"] : []));
      setIfChanged(row, "class", classes.join(" "));
      const rank = history.ranks.get(r);
      const key = `${r}:${rank ?? ""}`;
      if (name.dataset.key !== key) {
        name.dataset.key = key;
        name.replaceChildren(`chunk-${r}`, ...(rank ? [el("span", "rank", String(rank))] : []));
      }
      setText(status, history.status(r));
      setIfChanged(row, "title", history.lines.get(r) ?? status.textContent); // the whole text, when it is cut short
      return;
    }
    const from = r * this.k;
    const to = Math.min(history.chunks, from + this.k) - 1;
    setIfChanged(row, "class", "band");
    const ranks = [...history.ranks].filter(([chunk]) => chunk >= from && chunk <= to).map(([, rank]) => rank).sort();
    const key = `${from}:${ranks}`;
    if (name.dataset.key !== key) {
      name.dataset.key = key;
      // Plain numbers, as in chunk ids ("chunk-9823"), and short enough for a narrow screen.
      name.replaceChildren(el("span", "sr-only", "chunks "), `${from}–${to}`,
        ...ranks.map((rank) => el("span", "rank", String(rank))));
    }
    const i = r - this.range[0];
    const parts = [];
    for (const state of [STATE.embed, STATE.store, STATE.waiting, STATE.score, STATE.done, STATE.failed,
      STATE.dropped, STATE.cancelled, STATE.idle]) {
      const count = this.current[i * STATES + state];
      if (count > 0) parts.push(`${formatCount(count)} ${STATE_NAMES[state]}`);
    }
    setText(status, parts.join(", "));
    setIfChanged(row, "title", "");
  }

  /** The canvas's label: the run at a glance, the counts of each state, the releases. */
  summary(final) {
    const history = this.history;
    const t = final ? history.endT : Math.max(this.now, history.lastT);
    const counts = [STATE.embed, STATE.store, STATE.waiting, STATE.score, STATE.done, STATE.failed, STATE.dropped,
      STATE.cancelled]
      .filter((state) => history.counts[state] > 0)
      .map((state) => `${formatCount(history.counts[state])} ${STATE_NAMES[state]}`);
    const releases = history.releases.map((release, generation) =>
      `generation ${generation} released at ${formatMs(release.t)} by ${release.leaderId}`);
    const broken = history.broken ? [`the barrier broke at ${formatMs(history.broken.t)}`] : [];
    releases.push(...history.joins.map((join, index) => `gather ${index + 1} joined at ${formatMs(join.t)}`));
    const notes = this.overlay?.text() ?? [];
    return `Lanes of ${formatCount(history.chunks)} chunks, ${this.scale.textContent}, ` +
      `${final ? "run ended" : "now"} at ${formatMs(t)}: ${counts.join(", ") || "none started"}` +
      `${[...releases, ...broken, ...notes].map((part) => `; ${part}`).join("")}.`;
  }

  /** Paints the legend's keys with the painter the lanes use: `canvas[data-fill]` a state's band fill,
   *  `canvas[data-mark]` a lane's end mark, a release line or a critical-path outline. */
  paintLegend() {
    if (!this.legend) return;
    const palette = readPalette(this.root);
    const ratio = window.devicePixelRatio || 1;
    for (const key of this.legend.querySelectorAll("canvas[data-fill], canvas[data-mark]")) {
      const width = key.clientWidth || 16;
      const height = key.clientHeight || 12;
      key.width = Math.round(width * ratio);
      key.height = Math.round(height * ratio);
      const { fill, mark } = key.dataset;
      if (fill || mark === "critical") paintSwatch(key, STATE[fill ?? "embed"], palette);
      const context = key.getContext("2d");
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      if (mark === "release") {
        context.fillStyle = palette.css.release;
        context.fillRect(Math.round(width / 2) - 1, 0, 2, height);
      } else if (mark === "critical") {
        drawCritical(context, 2, width - 2, 2, height - 4, palette);
      } else if (mark) {
        drawEnd(context, mark, width / 2, 1, height - 2, palette, 0, width);
      }
    }
  }

  /** Marks moment `t` (ms since the run began) with a dashed line across the rows, until the next run or another
   *  mark; `focus` also moves focus to the rows (for a moment that belongs to no chunk). False if there is no run. */
  markTime(t, { focus = false } = {}) {
    if (!this.history || !Number.isFinite(t)) return false;
    this.marked = { t, history: this.history }; // a mark of an earlier run is never drawn on this one
    this.invalidate("full");
    if (focus) this.scroll.focus();
    return true;
  }

  /** The marked moment: a dashed line in the focus colour and its time on a tag at the top, so that it reads
   *  even over a release line (drawMarks calls it, inside its clip). */
  drawMarkedTime() {
    if (this.marked?.history !== this.history) return;
    const context = this.context;
    const x = this.x(this.marked.t);
    const colour = getComputedStyle(this.root).getPropertyValue("--lane-focus").trim() || this.palette.css.ink;
    context.save();
    context.strokeStyle = context.fillStyle = colour;
    context.lineWidth = 2;
    context.setLineDash([4, 3]);
    context.beginPath();
    context.moveTo(x, AXIS_H);
    context.lineTo(x, AXIS_H + this.viewH);
    context.stroke();
    const text = formatMsTenths(this.marked.t);
    const width = context.measureText(text).width + 8;
    const left = x + 3 + width <= this.plotW ? x + 3 : Math.max(0, x - 3 - width); // beside the line, inside
    context.fillRect(left, AXIS_H + 1, width, 14);
    context.fillStyle = this.palette.css.bg;
    context.textBaseline = "middle";
    context.fillText(text, left + 4, AXIS_H + 8);
    context.restore();
  }
}

/** The round tick spacing (1, 2 or 5 times a power of ten) nearest `raw`, rounding `direction` ("up" or "down"). */
function niceStep(raw, direction) {
  const power = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  return direction === "up"
    ? [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw)
    : [5, 2, 1].map((m) => m * power).find((step) => step <= raw) ?? power;
}

/** Sets an attribute only when it changes: the page's tests and observers see no churn. */
function setIfChanged(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}
