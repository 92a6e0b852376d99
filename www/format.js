// How the page writes numbers and counts: one place, so every panel agrees.

const integer = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });

/** 1342147208 → "1,342,147,208". */
export function formatCount(value) {
  return integer.format(value);
}

/** Milliseconds for a sentence: "1,234 ms", "0.4 ms" (one decimal under 10 ms, where it matters). */
export function formatMs(ms) {
  return `${(Math.abs(ms) < 10 ? oneDecimal : integer).format(ms)} ms`;
}

const tenths = new Intl.NumberFormat("en", { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** Milliseconds to a tenth, for a position in a run or a span measured from its events: "301.2 ms",
 *  "1,204.0 ms" (two moments one tick apart read differently, as they must where order is the point). */
export function formatMsTenths(ms) {
  return `${tenths.format(ms)} ms`;
}

/** "1 chunk", "46 chunks", "1,000 chunks". */
export function plural(count, singular, pluralForm = `${singular}s`) {
  return `${formatCount(count)} ${count === 1 ? singular : pluralForm}`;
}
