// How each state and mark looks: colours from the stylesheet's custom
// properties (so light and dark mode are the stylesheet's business), a pattern
// per state so that a state reads without its colour, and the marker shapes.
// The lanes and the legend both paint with these, so the legend cannot drift
// from what the lanes draw.

import { STATE, STATE_COUNT } from "./lane-history.js";

/** The custom property of each state's colour, by state index. */
const STATE_PROPERTIES = ["--lane-track", "--lane-embed", "--lane-waiting", "--lane-score", "--lane-done",
  "--lane-failed", "--lane-dropped", "--lane-cancelled", "--lane-store"];
const TILE = 12; // every pattern repeats within 12 × 12 device pixels

/** Whether pattern pixel (x, y) of `state` is the light tint rather than the colour. */
function isTint(state, x, y) {
  switch (state) {
    case STATE.waiting: return (x + y) % 6 >= 3; // diagonal hatching
    case STATE.score: return x % 4 === 3; // vertical comb
    case STATE.failed: return (x + y) % 4 === 0 || (x - y + TILE) % 4 === 0; // cross-hatching
    case STATE.dropped: return ((x >> 1) + (y >> 1)) % 2 === 1; // checks
    case STATE.store: return y % 4 === 3; // horizontal stripes
    default: return false; // embed, done, cancelled, idle: solid
  }
}

/** A CSS colour as [r, g, b, a] bytes, whatever syntax the stylesheet used. */
function parseColour(probe, css) {
  probe.clearRect(0, 0, 1, 1);
  probe.fillStyle = "#000";
  probe.fillStyle = css;
  probe.fillRect(0, 0, 1, 1);
  return [...probe.getImageData(0, 0, 1, 1).data];
}

/** `a` moved `share` of the way to `b`, both [r, g, b, a]. */
const mix = (a, b, share) => a.map((value, i) => Math.round(value + (b[i] - value) * share));
/** [r, g, b, a] as one little-endian ImageData word. */
const word = ([r, g, b, a]) => ((a << 24) | (b << 16) | (g << 8) | r) >>> 0;

/** The colours of `element`'s stylesheet, as CSS strings and as pattern tiles of ImageData words. */
export function readPalette(element) {
  const style = getComputedStyle(element);
  const get = (name) => style.getPropertyValue(name).trim() || "#808080";
  const probe = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
  const background = parseColour(probe, get("--lane-bg"));
  const tiles = STATE_PROPERTIES.map((property, state) => {
    const colour = parseColour(probe, get(property));
    const solid = word(colour);
    const tint = word(mix(colour, background, 0.6));
    const tile = new Uint32Array(TILE * TILE);
    for (let y = 0; y < TILE; y++) for (let x = 0; x < TILE; x++) tile[y * TILE + x] = isTint(state, x, y) ? tint : solid;
    return tile;
  });
  return {
    tiles,
    css: Object.fromEntries(["bg", "track", "embed", "waiting", "score", "done", "failed", "dropped", "cancelled", "store",
      "ink", "muted", "release", "critical"].map((name) => [name, get(`--lane-${name}`)])),
  };
}

/** Fills device column `x` of `pixels` (a Uint32Array view, `stride` words a row) from `top` for `height` pixels:
 *  the states of `counts[offset + state]` stacked as shares of `total`, in STACK order from the top.
 *  `skip[state]` paints a state as track (a single lane marks how it ended with a shape instead). */
export function paintColumn(pixels, stride, x, top, height, counts, offset, total, tiles, skip) {
  const tx = x % TILE;
  let y = 0;
  let before = 0;
  for (const state of STACK) {
    const count = counts[offset + state];
    if (count === 0) continue;
    before += count;
    const bottom = Math.round((before * height) / total);
    paintRun(pixels, stride, x, tx, top, y, bottom, tiles[skip[state] ? STATE.idle : state]);
    y = bottom;
  }
  // The rest is track: idle chunks, and skipped states.
  if (y < height) paintRun(pixels, stride, x, tx, top, y, height, tiles[STATE.idle]);
}

/** Rows [from, to) of one state's share of column x, in its pattern. */
function paintRun(pixels, stride, x, tx, top, from, to, tile) {
  for (let y = from; y < to; y++) pixels[(top + y) * stride + x] = tile[(y % TILE) * TILE + tx];
}

/** The order in which states stack in a band, top to bottom: the run's progress reads left to right, top to bottom. */
const STACK = [STATE.done, STATE.waiting, STATE.score, STATE.store, STATE.embed, STATE.failed, STATE.dropped,
  STATE.cancelled];

/** Paints `state`'s pattern over a whole small canvas (a legend key). */
export function paintSwatch(canvas, state, palette) {
  const context = canvas.getContext("2d");
  const image = context.createImageData(canvas.width, canvas.height);
  const pixels = new Uint32Array(image.data.buffer);
  const counts = new Int32Array(STATE_COUNT);
  counts[state] = 1;
  for (let x = 0; x < canvas.width; x++) paintColumn(pixels, canvas.width, x, 0, canvas.height, counts, 0, 1, palette.tiles, []);
  context.putImageData(image, 0, 0);
}

/**
 * Draws how a single lane ended at x (CSS pixels), its bar between `top` and `top + height`:
 * failed ×, timed out × in a box, dropped out a hollow circle, cancelled a grey stub,
 * cancelled before it started a dashed outline of the whole track (`width` wide from `left`).
 */
export function drawEnd(context, kind, x, top, height, palette, left = 0, width = 0) {
  const middle = top + height / 2;
  const r = Math.max(3, height / 2 - 1);
  context.save();
  context.lineWidth = 2;
  context.setLineDash([]);
  switch (kind) {
    case "failed":
    case "timed-out":
      context.strokeStyle = palette.css.failed;
      context.beginPath();
      context.moveTo(x - r, middle - r);
      context.lineTo(x + r, middle + r);
      context.moveTo(x + r, middle - r);
      context.lineTo(x - r, middle + r);
      context.stroke();
      if (kind === "timed-out") {
        context.lineWidth = 1;
        context.strokeRect(x - r - 2.5, middle - r - 2.5, 2 * r + 5, 2 * r + 5);
      }
      break;
    case "dropped":
      context.strokeStyle = palette.css.dropped;
      context.fillStyle = palette.css.bg;
      context.beginPath();
      context.arc(x, middle, r, 0, 2 * Math.PI);
      context.fill();
      context.stroke();
      break;
    case "cancelled":
      context.fillStyle = palette.css.cancelled;
      context.fillRect(x - 1.5, top, 3, height);
      break;
    case "unstarted":
      context.strokeStyle = palette.css.cancelled;
      context.lineWidth = 1;
      context.setLineDash([3, 2]);
      context.strokeRect(left + 0.5, top + 0.5, width - 1, height - 1);
      break;
  }
  context.restore();
}

/** Outlines a bar of the critical path: the leader of a barrier release, the chunk that held everyone up. */
export function drawCritical(context, left, right, top, height, palette) {
  context.save();
  context.strokeStyle = palette.css.critical;
  context.lineWidth = 2;
  context.strokeRect(left - 1, top - 1, Math.max(right - left, 1) + 2, height + 2);
  context.restore();
}
