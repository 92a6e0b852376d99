// www/recording.js in node: a run kept as its batches' JSON texts reads back as the very events, in order,
// at once or a slice at a time, and a batch that came without its text is kept as its objects.

import assert from "node:assert/strict";
import test from "node:test";
import { Recording } from "../../www/recording.js";

/** `count` events of a run of `chunks` chunks, shaped as the module sends them. */
function events(count, chunks) {
  const list = [{ type: "run-start", t: 0, run: 1, chunks, seed: 7 }];
  for (let i = 1; i < count - 1; i++) list.push({ type: "phase-start", t: i / 10, run: 1, chunk: i % chunks, phase: "embed" });
  list.push({ type: "run-end", t: count / 10, run: 1, makespanMs: count / 10 });
  return list;
}

/** Keeps `list` in batches of `size`; `withText(index)` says whether batch `index` comes with its JSON text. */
function record(list, size, withText = () => true) {
  const recording = new Recording();
  for (let from = 0, index = 0; from < list.length; from += size, index++) {
    const batch = list.slice(from, from + size);
    recording.push(JSON.parse(JSON.stringify(batch)), withText(index) ? JSON.stringify(batch) : undefined);
  }
  return recording;
}

test("the default corpus's size reads back whole, at once and sliced", async () => {
  const list = events(6 * 46 + 8, 46);
  const recording = record(list, 17);
  assert.equal(recording.length, list.length);
  assert.deepEqual(recording.first, list[0]);
  assert.deepEqual(recording.last, list.at(-1));
  assert.deepEqual(recording.eventsNow(), list);
  assert.deepEqual(await recording.events(), list);
  assert.ok(recording.batches.every((batch) => typeof batch === "string"), "only texts are kept");
});

test("250 chunks with some batches that came without their text: those kept as objects, all in order", async () => {
  const list = events(6 * 250 + 8, 250);
  const recording = record(list, 64, (index) => index % 3 !== 1);
  assert.deepEqual(await recording.events({ budgetMs: 0 }), list);
  assert.ok(recording.batches.some((batch) => Array.isArray(batch)));
  assert.ok(recording.batches.some((batch) => typeof batch === "string"));
  // Each read is a new array of new objects: nothing read back is kept by the recording.
  const [a, b] = [recording.eventsNow(), recording.eventsNow()];
  assert.notEqual(a, b);
});

test("empty batches are not kept, and an empty recording reads back as no events", async () => {
  const recording = new Recording();
  recording.push([], "[]");
  assert.equal(recording.length, 0);
  assert.equal(recording.last, null);
  assert.deepEqual(await recording.events(), []);
});
