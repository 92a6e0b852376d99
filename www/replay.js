// Replay of a finished run (or one imported from a trace): a cursor over its
// events that the lanes, the gate and the log follow. The cursor is at event i
// when events 0..i have been drawn, through the very path a live run draws by
// (the page's `views.draw`); moving it forward draws the events in between,
// moving it back clears the views and draws again from the start (the views
// keep no history to undo). Playing moves it at the run's own pace times the
// speed: an event is drawn when the replay clock reaches its recorded t.
//
// Cost: drawing one event is O(1) (the same work as live), so stepping back
// at event i costs O(i): ~600,000 events at 100,000 chunks. Requests are
// coalesced to one per frame (a held arrow key asks 30 times a second), and
// drawing stops each frame after SEEK_BUDGET_MS and goes on at the next, so a
// long seek shows progress instead of freezing the page; while playing, a
// frame draws at most PLAY_BUDGET_MS of events and the clock waits for it.

import { formatCount, formatMsTenths, plural } from "./format.js";
import { Recording } from "./recording.js";

/** The speeds offered, as multiples of the run's own pace. */
export const SPEEDS = [0.25, 0.5, 1, 2, 4];
/** Drawing a frame may spend while seeking (a task over 50 ms is a long task), and while playing. */
const SEEK_BUDGET_MS = 20;
const PLAY_BUDGET_MS = 10;
/** Events drawn between looks at the clock: performance.now() per event would cost more than the event. */
const CHECK_EVERY = 512;
/** A live run's Recording this small is parsed back at once when replay first needs it (a few ms); a bigger one
 *  a slice per task, the bar saying so meanwhile. */
const PARSE_AT_ONCE = 20_000;

/** What the keys do: K plays and pauses, and so does Space except on a button (which Space presses, natively);
 *  J/← and L/→ step, Home and End jump. index.html's Keyboard help says the same. */
const KEYS = {
  " ": "play", k: "play", K: "play", j: "back", J: "back", ArrowLeft: "back", l: "forward", L: "forward",
  ArrowRight: "forward", Home: "start", End: "end",
};

export class Replay {
  /**
   * The replay bar `root` (index.html #replay) driving `views`: `clear()` empties them and returns what
   * `restore(saved)` puts back once run-start is drawn again (the lanes' zoom and scroll), `draw(event)` draws
   * one event, `tick(t)` grows the lanes to replay time t while playing, `show(t)` draws everything at t at once.
   * The keys work when focus is in `root` or in one of `keyScopes` (the lanes), never in a text field.
   */
  constructor(root, views, { keyScopes = [] } = {}) {
    this.root = root;
    this.views = views;
    const $ = (selector) => root.querySelector(selector);
    this.buttons = {
      start: $("[data-replay=start]"), back: $("[data-replay=back]"), play: $("[data-replay=play]"),
      forward: $("[data-replay=forward]"), end: $("[data-replay=end]"),
    };
    this.speed = $("[name=replaySpeed]");
    this.position = $(".replay-position");
    this.where = $(".replay-where");
    this.line = $(".replay-line");
    this.said = $(".replay-said");
    this.source = null; // the run loaded: its events, or a live run's Recording (recording.js), or null
    this.events = null; // its events, once parsed back (a Recording is, when replay is first used)
    this.count = 0; // how many events it has
    this.parsing = null; // a big Recording being parsed back: the actions to do once it is, in order
    this.applied = 0; // events drawn: the cursor is at event applied − 1
    this.target = 0; // events the cursor is moving to
    this.clock = 0; // replay time shown, ms into the run
    this.playing = false;
    this.live = false;
    this.frameId = 0;
    this.saved = null; // the lanes' view while a rebuild draws run-start again
    this.announceWhenDone = false;
    this.seeking = false; // a seek that took more than one frame is under way: the readout says so

    for (const [action, button] of Object.entries(this.buttons)) {
      button.addEventListener("click", () => this.act(action));
    }
    this.speed.addEventListener("change", () => this.setRate(Number(this.speed.value)));
    this.position.addEventListener("input", () => {
      const count = Number(this.position.value) + 1;
      this.whenParsed(() => {
        this.pause();
        this.seek(count);
      });
    });
    for (const scope of [root, ...keyScopes]) scope.addEventListener("keydown", (event) => this.onKey(event));
    this.rate = Number(this.speed.value) || 1;
    this.render();
  }

  /** The run loaded for replay: its events, in order, or the live run's Recording, or null. */
  get recording() {
    return this.source;
  }

  /** A live run starts (`live` true) or ends: while it runs nothing replays; a new run ends any replay. */
  setLive(live) {
    this.live = live;
    if (live) {
      this.pause();
      cancelAnimationFrame(this.frameId);
      this.frameId = 0;
      this.source = this.events = this.parsing = null;
      this.count = 0;
    }
    this.render();
  }

  /**
   * Loads a whole run (`events`, run-start to run-end, or a Recording of one) for replay, the cursor at its end;
   * `drawn` says the views show it already (a live run just ended), else they are drawn anew (an import).
   * Null: nothing to replay. A Recording is parsed back only when replay is first used.
   */
  load(events, { drawn = false } = {}) {
    this.pause();
    this.parsing = null;
    this.source = events?.length ? events : null;
    this.count = this.source?.length ?? 0;
    this.events = this.source instanceof Recording ? null : this.source;
    if (!this.source) {
      this.render();
      return;
    }
    if (!drawn) this.parsed(); // drawn anew: every event needed now
    this.clock = this.last().t;
    if (drawn) {
      this.applied = this.target = this.count;
      this.render();
    } else {
      this.views.clear(); // another run's drawing is on the views: start over, keeping nothing of its view
      this.saved = null;
      this.applied = 0;
      this.seek(this.count);
    }
  }

  /** The last event, parsed back or not. */
  last() {
    return this.events ? this.events[this.count - 1] : this.source.last;
  }

  /** The events, parsed back from the Recording at once if need be. */
  parsed() {
    this.events ??= this.source.eventsNow();
    return this.events;
  }

  /**
   * Does `then()` once the events are parsed back: at once if they are or the run is small; else after a sliced
   * parse, in the order asked (20 steps back pressed meanwhile are 20 steps); a new run or load drops them.
   */
  whenParsed(then) {
    if (this.events || this.count <= PARSE_AT_ONCE) {
      this.parsed();
      then();
      return;
    }
    if (this.parsing) {
      this.parsing.push(then);
      return;
    }
    const waiting = [then];
    this.parsing = waiting;
    this.render();
    this.source.events().then((events) => {
      if (this.parsing !== waiting) return; // another run, or a new load, came first
      this.parsing = null;
      this.events = events;
      for (const action of waiting) action();
      this.render();
    });
  }

  /** Does what a button or key names: "play", "back", "forward", "start" or "end". */
  act(action) {
    if (!this.source || this.live) return;
    if (!this.events) {
      this.whenParsed(() => this.act(action));
      return;
    }
    const last = this.events.length;
    switch (action) {
      case "play":
        if (this.playing) this.pause();
        else this.play();
        return;
      case "back":
        this.pause();
        this.seek(Math.max(1, this.target - 1), { announce: true });
        return;
      case "forward":
        this.pause();
        this.seek(Math.min(last, this.target + 1), { announce: true });
        return;
      case "start":
        this.pause();
        this.seek(1, { announce: true });
        return;
      case "end":
        this.pause();
        this.seek(last, { announce: true });
    }
  }

  /** Plays from the cursor (from the start, if it is at the end) at the chosen speed. */
  play() {
    if (!this.source || this.live || this.playing) return;
    if (!this.events) {
      this.whenParsed(() => this.play());
      return;
    }
    if (this.target >= this.events.length) this.seek(1);
    this.playing = true;
    this.clock = this.events[this.target - 1].t;
    this.playFrom = { t: this.clock, at: performance.now() };
    this.schedule();
    this.render();
  }

  /** Stops the clock where it is; the cursor stays on the last event drawn. */
  pause() {
    if (!this.playing) return;
    this.playing = false;
    this.target = this.applied; // what the clock reached, not beyond
    this.clock = this.time(this.applied);
    this.announceWhenDone = true;
    this.schedule();
  }

  /** The speed: from now on the clock runs `rate` times the run's own pace. */
  setRate(rate) {
    if (!SPEEDS.includes(rate)) return;
    if (this.playing) this.playFrom = { t: this.clock, at: performance.now() };
    this.rate = rate;
  }

  /** Moves the cursor so that `count` events are drawn (at the next frame: requests in one frame coalesce). */
  seek(count, { announce = false } = {}) {
    this.target = count;
    this.announceWhenDone ||= announce;
    this.schedule();
    this.render();
  }

  schedule() {
    if (!this.frameId) this.frameId = requestAnimationFrame((now) => this.frame(now));
  }

  /** Replay time with `count` events drawn: the last one's t. */
  time(count) {
    return count > 0 ? this.eventAt(count - 1).t : 0;
  }

  /** Event `index`; before the events are parsed back the cursor is at the end, the only one read then. */
  eventAt(index) {
    return this.events ? this.events[index] : index === this.count - 1 ? this.source.last : {};
  }

  /** One frame: move the clock if playing, draw toward the target within the budget, show the result. */
  frame(now) {
    this.frameId = 0;
    const events = this.events;
    if (!events) return;
    if (this.playing) {
      this.clock = this.playFrom.t + (now - this.playFrom.at) * this.rate;
      // From where the cursor is going (a step back asked for in this frame is not lost), as far as the clock.
      let target = Math.min(this.applied, this.target);
      while (target < events.length && events[target].t <= this.clock) target++;
      this.target = target;
    }
    const drawnBefore = this.applied;
    const done = this.draw(this.playing ? PLAY_BUDGET_MS : SEEK_BUDGET_MS);
    this.seeking = !done && !this.playing;
    if (this.playing) {
      if (!done) {
        // Behind: the clock waits at the last event drawn rather than skip ahead of what is on screen.
        this.clock = this.time(this.applied);
        this.playFrom = { t: this.clock, at: now };
      }
      if (this.applied === events.length) {
        this.playing = false;
        this.clock = this.time(this.applied);
        this.views.show(this.clock);
        this.announceWhenDone = true;
        this.announce();
      } else {
        // The views' text follows the cursor in this frame, as the readout does: show(), not tick(), whose text
        // waits up to 200 ms (a live run's pace). A frame that drew no event only grows the open bars.
        if (this.applied !== drawnBefore) this.views.show(this.clock);
        else this.views.tick(this.clock);
        this.schedule();
      }
    } else if (done) {
      this.clock = this.time(this.applied);
      this.views.show(this.clock);
      this.announce();
    } else {
      this.schedule(); // a long seek goes on at the next frame
    }
    this.render();
  }

  /** Draws events toward `target` for at most `budget` ms; true once the cursor is there. */
  draw(budget) {
    const { events, views } = this;
    if (this.target < this.applied) {
      this.saved = views.clear(); // back: start over from run-start
      this.applied = 0;
    }
    const deadline = performance.now() + budget;
    while (this.applied < this.target) {
      const end = Math.min(this.target, this.applied + CHECK_EVERY);
      for (; this.applied < end; this.applied++) {
        views.draw(events[this.applied]);
        if (this.applied === 0 && this.saved) {
          views.restore(this.saved);
          this.saved = null;
        }
      }
      if (performance.now() > deadline) break;
    }
    return this.applied === this.target;
  }

  /** Says where the cursor is, politely, after a step or jump (not every frame while playing). */
  announce() {
    if (!this.announceWhenDone) return;
    this.announceWhenDone = false;
    this.said.textContent = `${this.whereText()}: ${this.lineText()}`;
  }

  /** "event 123 of 456 · 301.2 ms", for the cursor where it is drawn. */
  whereText() {
    const shown = Math.max(1, this.applied);
    return `event ${formatCount(shown)} of ${formatCount(this.count)} · ${formatMsTenths(this.clock)}`;
  }

  /** The current event's log line, or what it did in words if it prints none. */
  lineText() {
    const event = this.eventAt(Math.max(0, this.applied - 1));
    return event.line ?? describe(event);
  }

  /** Writes the bar: enabled controls, the play button's label, the position, the readout. */
  render() {
    const { count, buttons } = this;
    const usable = Boolean(this.source) && !this.live;
    for (const button of Object.values(buttons)) button.disabled = !usable;
    this.speed.disabled = !usable;
    this.position.disabled = !usable;
    this.root.classList.toggle("idle", !usable);
    setText(buttons.play.querySelector(".label"), this.playing ? "Pause" : "Play");
    buttons.play.classList.toggle("playing", this.playing);
    this.root.classList.toggle("playing", this.playing); // replay.css: the gate's meter follows without easing
    if (!usable) {
      setText(this.where, this.live ? "Replay: after the run." : "Replay: run the pipeline, or import a trace.");
      setText(this.line, "");
      this.position.max = "0";
      this.position.value = "0";
      this.position.removeAttribute("aria-valuetext");
      return;
    }
    const atStart = this.target <= 1;
    const atEnd = this.target >= count;
    // Not disabled at the ends: a button that disables itself under the keyboard's focus drops it to <body>.
    for (const [button, end] of [[buttons.start, atStart], [buttons.back, atStart], [buttons.forward, atEnd], [buttons.end, atEnd]]) {
      button.setAttribute("aria-disabled", String(end));
    }
    const seeking = this.seeking || Boolean(this.parsing);
    const where = this.parsing ? `reading the run's ${formatCount(count)} events back…`
      : seeking
        ? `seeking event ${formatCount(this.target)} of ${formatCount(count)}… ` +
          `${Math.round((100 * this.applied) / Math.max(this.target, 1))}%`
        : this.whereText();
    setText(this.where, where);
    const line = seeking ? "" : this.lineText();
    setText(this.line, line);
    this.line.classList.toggle("is-log", !seeking && this.eventAt(Math.max(0, this.applied - 1)).line !== undefined);
    this.position.max = String(count - 1);
    // Where it is going: a slider being dragged must not jump back to where the cursor still is.
    this.position.value = String(Math.max(0, (this.playing ? this.applied : this.target) - 1));
    this.position.setAttribute("aria-valuetext", seeking ? where : this.whereText().replace(" · ", ", "));
    if (!seeking) this.root.dataset.position = String(Math.max(0, this.applied - 1));
  }

  /** A key pressed in the bar or the lanes: a replay shortcut unless a field needs it (see KEYS). */
  onKey(event) {
    const action = KEYS[event.key];
    if (!action || event.ctrlKey || event.metaKey || event.altKey || !this.source || this.live) return;
    const target = event.target;
    if (target.isContentEditable || target.closest("textarea, select")) return;
    if (target.tagName === "INPUT") {
      // The position slider moves itself with arrows, Home and End; every other input takes text.
      if (target !== this.position || !["play", "back", "forward"].includes(action) || event.key.startsWith("Arrow")) return;
    }
    // Space presses the focused button (Step › steps) or opens the <details>, as it does everywhere; K plays.
    if (event.key === " " && target.closest("button, summary")) return;
    event.preventDefault();
    this.act(action);
  }
}

/** In words, what an event that prints no log line did: "chunk-5 started Phase 1 (embed)". */
export function describe(event) {
  const phase = event.phase === "score" ? "Phase 2 (score)" : "Phase 1 (embed)";
  switch (event.type) {
    case "run-start":
      return `run ${event.run} started: ${plural(event.chunks, "chunk")}, seed ${event.seed}`;
    case "phase-start":
      return `${event.id} started ${phase}`;
    case "barrier-arrive":
      return `${event.id} arrived at the barrier: ${formatCount(event.arrived)}/${formatCount(event.parties)} ` +
        `(generation ${event.generation})`;
    case "barrier-withdraw":
      return `${event.id} withdrew from the barrier: ${formatCount(event.arrived)}/${formatCount(event.parties)} ` +
        `(generation ${event.generation})`;
    case "barrier-release":
      return `the barrier released generation ${event.generation} (leader ${event.leaderId})`;
    case "without-barrier":
      return `without the barrier ${plural(event.changed, "chunk")} would have scored differently, ` +
        `${event.wrong} of the top 3 wrong`;
    case "run-end":
      return `the run ended at ${formatMsTenths(event.t)}`;
    default:
      return event.type;
  }
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}
