// The run log as a virtualised list. Every line is kept, as a string and a
// class name, but only the rows in view (plus OVERSCAN either side) exist in
// the DOM: a 100,000-chunk run prints 200,000 lines, and a row per line would
// cost the page seconds of layout. Every row has the same height, so which
// lines are in view is one division, and the list scrolls to any of them.

import { el } from "./dom.js";
import { copyText, downloadText } from "./copy-text.js";
import { formatCount, plural } from "./format.js";

/** Rows drawn beyond each edge of the view, so a quick scroll shows no blank strip. */
const OVERSCAN = 12;
/** Lines streaming in show at most this often (ms): nobody reads 60 updates a second, and each
 *  render lays the log out again, in frames the run needs. A scroll, a resize or flush() draws at once. */
const LIVE_MS = 150;

export class LogView {
  /** `root` is the scroll container (role="log"); the buttons copy or download every line, `status` says how it went. */
  constructor(root, { copyButton, downloadButton, status }) {
    this.root = root;
    this.status = status;
    this.hint = root.querySelector(".log-hint");
    this.lines = [];
    this.classes = [];
    this.longest = 0; // characters in the longest line: the list's width, without measuring a row
    this.follow = true; // keep the newest line in view until the user scrolls away from it
    this.rowHeight = 0; // measured from the first row drawn (CSS decides it, in em)
    this.from = 0; // the drawn rows hold lines [from, to)
    this.to = 0;
    this.frame = 0;
    this.timer = 0; // a render waiting for LIVE_MS to pass
    this.renderedAt = -Infinity;
    this.scrolledTo = -1; // the scrollTop render itself last set
    this.labelled = -1; // the line count aria-label last named
    this.spacer = el("div", "log-spacer"); // as tall as every line: it gives the scrollbar its range
    this.rows = el("div", "log-rows");
    this.spacer.append(this.rows);
    root.append(this.spacer);
    root.addEventListener("scroll", () => this.scrolled(), { passive: true });
    new ResizeObserver(() => this.schedule()).observe(root);
    copyButton.addEventListener("click", () => this.copy());
    downloadButton.addEventListener("click", () => this.download());
    this.render();
  }

  /** Adds a line; O(1), and draws nothing until a frame at most LIVE_MS after the last render. */
  append(text, className = "") {
    this.lines.push(text);
    this.classes.push(className);
    if (text.length > this.longest) this.longest = text.length;
    if (!this.frame && !this.timer) {
      const wait = this.renderedAt + LIVE_MS - performance.now();
      if (wait <= 0) this.schedule();
      else this.timer = setTimeout(() => this.schedule(), wait);
    }
  }

  /** Draws every line so far now: the run has ended, and its last lines should not wait. */
  flush() {
    cancelAnimationFrame(this.frame);
    this.render();
  }

  /** Forgets every line, for a new run, and follows the tail again. */
  clear() {
    this.lines = [];
    this.classes = [];
    this.longest = 0;
    this.follow = true;
    // Now, not at the next frame: the new run's lines may arrive first, and draw() keeps rows by index.
    this.rows.replaceChildren();
    this.from = this.to = 0;
    this.status.textContent = "";
    this.schedule();
  }

  /** Every line, one per line of text: what Copy all and Download copy. */
  text() {
    return this.lines.join("\n");
  }

  /** Renders on the next frame, once however many lines arrive before it. */
  schedule() {
    clearTimeout(this.timer);
    this.timer = 0;
    if (!this.frame) this.frame = requestAnimationFrame(() => this.render());
  }

  /** A scroll by the user (or by render): following resumes only when the view is back at the end. */
  scrolled() {
    const { root } = this;
    // The scroll render made to follow the tail: the rows for it are drawn already.
    if (this.follow && root.scrollTop === this.scrolledTo) return;
    this.follow = root.scrollTop + root.clientHeight >= root.scrollHeight - Math.max(this.rowHeight, 1) / 2;
    this.schedule();
  }

  /** Sizes the list, scrolls to the tail if following, and draws the rows in view. */
  render() {
    this.frame = 0;
    clearTimeout(this.timer);
    this.timer = 0;
    this.renderedAt = performance.now();
    const { root, lines } = this;
    const count = lines.length;
    this.hint.hidden = count > 0;
    this.spacer.hidden = count === 0;
    if (count !== this.labelled) {
      this.labelled = count;
      root.setAttribute("aria-label", `Run log, ${plural(count, "line")}`);
      // Room for the biggest number's digits and separators, so "1,000" never shows as "000".
      root.style.setProperty("--log-gutter", `${formatCount(Math.max(count, 99)).length}ch`);
    }
    if (!this.rowHeight) this.rowHeight = this.measure();
    const height = this.rowHeight || 18; // not laid out yet (no lines, or hidden): a guess until it is
    this.spacer.style.height = `${count * height}px`;
    this.spacer.style.minWidth = `calc(${this.longest}ch + var(--log-gutter) + 2em)`;
    if (this.follow) {
      root.scrollTop = root.scrollHeight;
      this.scrolledTo = root.scrollTop;
    }
    const first = Math.max(0, Math.floor(root.scrollTop / height) - OVERSCAN);
    const end = Math.min(count, Math.ceil((root.scrollTop + root.clientHeight) / height) + OVERSCAN);
    this.draw(first, Math.max(first, end), height);
  }

  /** Makes the rows hold lines [first, end), keeping those already drawn (a selection in them survives). */
  draw(first, end, height) {
    const rows = this.rows;
    if (end <= this.from || first >= this.to) {
      rows.replaceChildren();
      this.from = this.to = first;
    }
    for (; this.from < first; this.from++) rows.firstElementChild.remove();
    for (; this.to > end; this.to--) rows.lastElementChild.remove();
    while (this.from > first) rows.prepend(this.row(--this.from));
    while (this.to < end) rows.append(this.row(this.to++));
    rows.style.transform = `translateY(${this.from * height}px)`;
  }

  /** One line's row. The number is CSS content from data-n: never copied, and not read out (see log.css). */
  row(index) {
    const row = el("div", `log-row ${this.classes[index]}`);
    row.dataset.n = formatCount(index + 1);
    row.textContent = this.lines[index];
    return row;
  }

  /** The height of one row in CSS pixels, unrounded (at 200,000 rows rounding would drift by thousands); 0 if hidden. */
  measure() {
    const probe = el("div", "log-row");
    probe.textContent = "0";
    this.rows.append(probe);
    const height = probe.getBoundingClientRect().height;
    probe.remove();
    return height;
  }

  /** Copy all: the clipboard API, else select-and-copy, else a pointer to the download. */
  async copy() {
    const count = this.lines.length;
    if (count === 0) {
      this.status.textContent = "Nothing to copy yet: run the pipeline first.";
      return;
    }
    const copied = await copyText(this.text());
    this.status.textContent = copied
      ? `Copied ${plural(count, "line")}.`
      : "This browser blocked copying: use Download .txt instead.";
  }

  /** Download .txt: every line in a text file. */
  download() {
    downloadText(`${this.text()}\n`, "rag-phase-sync-log.txt");
    this.status.textContent = `Saved ${plural(this.lines.length, "line")} as rag-phase-sync-log.txt.`;
  }
}
