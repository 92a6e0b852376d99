// The seed's five follow-up questions, and their answers as sentences built
// from one run's facts (run-facts.js). Pure (no DOM), so the node tests read
// the very text the page shows. An answer is a list of parts: a string, or a
// moment `{ text, t, chunk }` that the panel turns into a button jumping to
// that moment (and that chunk's lane) on the timeline.

import { formatCount, formatMs, formatMsTenths as tenths, plural } from "./format.js";
import { Q2_EARLY, Q2_LATE } from "./run-facts.js";

/** The seed's "Follow-Up Questions", verbatim (`code` marks what the seed sets as code). */
export const QUESTIONS = [
  ["What happens when the last coroutine arrives at the synchronization point? What happens to all the others?"],
  ["Is it possible for chunk-0 to start Phase 2 before chunk-5 finishes Phase 1? Explain why or why not."],
  ["The synchronization primitive resets automatically. How does this make two-phase synchronization work " +
    "with a single instance?"],
  ["What does your structured concurrency construct do if one chunk raises an exception? How does this differ " +
    "from ", { code: "asyncio.gather(return_exceptions=True)" }, "?"],
  ["When would you choose a barrier over sequential ", { code: "gather" }, " calls?"],
];

/** A moment of the run: a button on the page, `chunk` the lane it shows (null: none in particular). */
function at(t, chunk = null) {
  return { text: tenths(t), t, chunk };
}

const id = (chunk) => `chunk-${chunk}`;
const phaseName = (phase) => (phase === "score" ? "Phase 2" : phase === "embed" ? "Phase 1" : "a phase");
const BARRIERS = { phase: "PhaseBarrier", classic: "async-barrier" };
const barrierName = (facts) => BARRIERS[facts.run.barrier] ?? "the barrier";

/** How the run ended, for sentences that say why something never happened. */
function ending(facts) {
  const end = facts.end;
  if (!end) return ["the event list stops"];
  if (end.aborted) return ["the run was stopped at ", at(end.t)];
  if (facts.failure) {
    const { chunk, t, phase } = facts.failure;
    return [`${id(chunk)} failed in ${phaseName(phase)} at `, at(t, chunk)];
  }
  if (facts.outcome === "failed") return ["the run failed at ", at(end.t)];
  return ["the run ended at ", at(end.t)];
}

/** Q1: each generation's last arrival, the others' wait, and how fast they went on. */
export function answerLastArrival(facts) {
  const parts = [];
  for (const gen of facts.generations) {
    const { generation, leader, release, parked, parkedMaxMs, first, next } = gen;
    const head = `Generation ${generation}: `;
    // The last barrier-arrive (the release's own moment if a hostile list has none).
    const last = gen.lastArrival ?? { t: release.t, chunk: leader };
    if (gen.droppedOut !== null) {
      // The drop-out completed it; the last arrival came before, and the barrier named a parked waiter leader.
      const named = last.chunk === leader ? "named it" : `named ${id(leader)}, a parked waiter,`;
      parts.push(head, `${id(gen.droppedOut)} dropped out at `, at(release.t, gen.droppedOut),
        ` and that completed it: ${id(last.chunk)} had arrived last, at `, at(last.t, last.chunk),
        `, and the barrier ${named} its leader; `);
    } else if (parked === 0) {
      parts.push(head, `${id(leader)} was the only party: it arrived at `, at(last.t, leader),
        " and released the barrier at once, with no one to wake");
    } else {
      parts.push(head, `${id(leader)} arrived last, at `, at(last.t, leader),
        `, as ${formatCount(gen.lastArrived)} of ${formatCount(gen.parties)}, and completed it; `);
    }
    if (parked > 0) {
      parts.push(`${gen.droppedOut !== null ? "all" : "the other"} ${formatCount(parked)} had been parked for up to ` +
        `${tenths(parkedMaxMs)} (the first, ${id(first.chunk)}, since `, at(first.t, first.chunk), ")");
    }
    if (generation === 0 && next) {
      const all = gen.resumed >= gen.parties;
      parts.push(`, and ${all ? "all " : ""}${formatCount(gen.resumed)}${all ? "" : ` of ${formatCount(gen.parties)}`} ` +
        `began Phase 2 within ${tenths(gen.resumedWithinMs)} of the release (the last at `, at(next.t, next.chunk), ")",
        ...(all ? [] : [" before ", ...ending(facts)]), ". ");
    } else if (generation === 1 && next) {
      // Phase 3 runs from this release (see the critical path): the top event is its ranking, not its start.
      parts.push("; its release let every chunk's future return and Phase 3 begin: it ranked the top 3 at ",
        at(next.t), ` (${tenths(gen.resumedWithinMs)} after the release)`,
        ...(facts.end ? [", and the run ended at ", at(facts.end.t)] : []), ". ");
    } else {
      parts.push(". ");
    }
  }
  const pending = facts.pending;
  if (pending) {
    const first = pending.first;
    parts.push(`Generation ${pending.generation} never completed: ` +
      `${formatCount(pending.arrivals)} of ${formatCount(pending.parties)} had arrived`,
      ...(first ? [` (the first, ${id(first.chunk)}, at `, at(first.t, first.chunk), ")"] : []),
      " when ", ...ending(facts));
    const withdrawn = pending.withdrawn === 0 ? ""
      : ` (${pending.withdrawn === pending.arrivals ? "each" : formatCount(pending.withdrawn)} withdrew its arrival)`;
    parts.push(pending.arrivals === 0 ? "." : facts.stop || facts.failure
      ? `: the parked chunks were cancelled where they waited${withdrawn}, never released.` : ".");
  }
  return parts;
}

/** A chunk's fate as its lane says it, fit to stand in brackets: "dropped out (timed out)" → "dropped out: timed out". */
function fateText(fate) {
  return String(fate ?? "").replace(/ \(([^()]*)\)$/, ": $1");
}

/** Why Q2's pair is not chunk-0 and chunk-5, when it is not. */
function standIn(side, wanted, role) {
  if (side.reason === "fewer-chunks" && side.chunk !== null && side.missing === undefined) {
    return `This run has no ${id(wanted)}, so ${id(side.chunk)}, its last chunk, stands in. `;
  }
  if (side.reason === null) return "";
  const missing = side.missing;
  const who = side.chunk === null ? "" : `; ${id(side.chunk)}, the ${role}, stands in`;
  return `${id(missing)} never ${wanted === Q2_EARLY ? "started Phase 2" : "finished Phase 1"} ` +
    `(${fateText(side.fate)})${who}. `;
}

/** Q2: this run's chunk-0 Phase 2 start against its chunk-5 Phase 1 end, and the last Phase 1 end. */
export function answerChunkOrder(facts) {
  const { early, late, after, lastPhase1End } = facts.q2;
  if (!early.at) {
    // Nothing to compare: say how far Phase 1 got, and where the chunk the question names was.
    const named = late.reason === null ? [`, ${id(late.chunk)} among them (at `, at(late.at.t, late.chunk), ")"]
      : late.missing !== undefined ? [`, ${id(late.missing)} not among them (${fateText(late.fate)})`] : [];
    return [`No chunk started Phase 2 in this run: ${formatCount(facts.embedded)} of ` +
      `${formatCount(facts.run.chunks)} had finished Phase 1 when `, ...ending(facts), ...named,
      ", and the barrier had not released them."];
  }
  const notes = standIn(late, Q2_LATE, "last to finish Phase 1") + standIn(early, Q2_EARLY, "first to start Phase 2");
  if (!late.at) return [notes, `${id(early.chunk)} started Phase 2 at `, at(early.at.t, early.chunk), "."];
  const pair = [`${id(early.chunk)} started Phase 2 at `, at(early.at.t, early.chunk),
    after ? ", after " : ", before ", `${id(late.chunk)} finished Phase 1 at `, at(late.at.t, late.chunk)];
  if (!after) return [notes, "Yes, in this run: ", ...pair, ". The barrier did not hold it."];
  // The last Phase 1 to end may be a drop-out's (it never arrived); the barrier waited for its last arrival too.
  const lastDrop = facts.dropped.find((drop) => drop.index === lastPhase1End.index);
  const how = lastDrop ? `, when it ${lastDrop.timedOut ? "timed out" : "failed"} and dropped out` : "";
  const parts = [notes, "No: ", ...pair, ` (and after every Phase 1 ended: the last, ${id(lastPhase1End.chunk)}'s, at `,
    at(lastPhase1End.t, lastPhase1End.chunk), `${how}).`];
  const gen0 = facts.generations[0];
  const last = gen0?.lastArrival;
  if (!last) return parts;
  if (gen0.droppedOut !== null) {
    parts.push(` The barrier held every chunk until ${id(gen0.droppedOut)} dropped out, after ${id(last.chunk)} had ` +
      "arrived last, at ", at(last.t, last.chunk), ".");
  } else {
    parts.push(` The barrier held every chunk until the last arrival, ${id(last.chunk)}'s, at `, at(last.t, last.chunk), ".");
  }
  return parts;
}

/** Q3: the same instance released twice, its count starting again from 1. */
export function answerReset(facts) {
  const [gen0, gen1] = facts.generations;
  const name = barrierName(facts);
  if (!gen0) {
    const arrived = facts.pending?.arrivals ?? 0;
    return [`The reset never came: ${name}'s generation 0 did not complete (${formatCount(arrived)} of ` +
      `${formatCount(facts.pending?.parties ?? facts.run.chunks)} arrived) before `, ...ending(facts), "."];
  }
  const parts = [`One ${name} did both: generation 0 released at `, at(gen0.release.t, gen0.leader),
    ` on arrival ${formatCount(gen0.lastArrived)} of ${formatCount(gen0.parties)}; `];
  const next = gen1 ?? facts.pending;
  const firstOf1 = next?.first;
  if (!firstOf1) {
    return [...parts, "generation 1 had no arrival before ", ...ending(facts), "."];
  }
  const { firstArrived, firstParties } = next;
  const parties1 = next.parties;
  const counted = firstArrived === 1 ? "its count started again from 1"
    : `its count did NOT reset: it read ${formatCount(firstArrived)}`;
  const lowered = parties1 !== firstParties ? ` (then ${formatCount(parties1)} parties: a chunk dropped out)`
    : firstParties !== gen0.parties ? ` (${formatCount(firstParties)} parties: a chunk had dropped out)` : "";
  parts.push(`${counted}: generation 1's first arrival, ${id(firstOf1.chunk)} at `, at(firstOf1.t, firstOf1.chunk),
    `, was ${formatCount(firstArrived)} of ${formatCount(firstParties)}${lowered}`);
  if (gen1) {
    parts.push(", and the same instance released generation 1 at ", at(gen1.release.t, gen1.leader),
      ` on arrival ${formatCount(gen1.lastArrived)} of ${formatCount(gen1.parties)}.`);
  } else {
    parts.push(`; generation 1 had ${formatCount(facts.pending.arrivals)} of ${formatCount(parties1)} when `,
      ...ending(facts), ".");
  }
  return parts;
}

/** How the cancelled siblings were caught: "15 parked at the barrier, 30 mid-phase, 0 before they started". */
function cancelledSplit(cancelled) {
  return `${formatCount(cancelled.waiting)} parked at the barrier, ${formatCount(cancelled.midPhase)} mid-phase, ` +
    `${formatCount(cancelled.unstarted)} before they started`;
}

/** What ends a hang, said wherever a run's hang fault shows. */
const HANG_ENDS = "nothing but Stop or a phase timeout ends a hang";

/**
 * What became of the run's hang faults beside a failure or a drop-out: that `failed` (the chunk that failed or
 * first dropped out) was one and the timeout ended it, or which hung chunk was cancelled. [] if none hung.
 */
function hangNote(facts, failed, when) {
  const hangs = facts.hangs ?? [];
  const own = hangs.find((hang) => hang.chunk === failed && hang.how === "timed-out");
  if (own) return [` That was ${id(own.chunk)}'s hang fault: ${HANG_ENDS}, and here the phase timeout did.`];
  const cancelled = hangs.find((hang) => hang.how === "cancelled");
  if (!cancelled) return [];
  return [` ${id(cancelled.chunk)}, hanging in ${phaseName(cancelled.phase)} since `, when(cancelled.start, cancelled.chunk),
    " (its hang fault), was cancelled with them."];
}

/** A stopped run's hang: which chunk hung, since when, who waited for it, and what ends a hang. [] if none did. */
function stoppedHang(facts, when) {
  const hangs = (facts.hangs ?? []).filter((hang) => hang.how === "cancelled");
  if (hangs.length === 0) return [];
  const [hang] = hangs;
  const who = hangs.length === 1 ? `${id(hang.chunk)} hung` : `${formatCount(hangs.length)} chunks hung, ${id(hang.chunk)} first:`;
  const parts = [`${who} in ${phaseName(hang.phase)}, as ${hangs.length === 1 ? "its hang fault makes" : "their hang " +
    "faults make"} it: it began the phase at `, when(hang.start, hang.chunk), " and never finished"];
  const pending = facts.pending;
  if (pending && pending.generation === (hang.phase === "score" ? 1 : 0)) {
    parts.push(`, so generation ${pending.generation} waited for it with ${formatCount(pending.arrivals)} of ` +
      `${formatCount(pending.parties)} arrived`);
  }
  parts.push(`. N${HANG_ENDS.slice(1)}: it raises nothing, so the group has no failure to act on. `);
  return parts;
}

/**
 * Q4 from a run in which a chunk failed, dropped out, or that was stopped; null if none did (then the panel
 * offers a run of the same seed with a fault). The run's hang faults (facts.hangs) are named where they hung.
 * `links` false: the moments are text (another run's timeline).
 */
export function answerFailure(facts, { links = true } = {}) {
  const when = (t, chunk) => (links ? at(t, chunk) : tenths(t));
  const failure = facts.failure;
  if (failure) {
    const { chunk, t, phase, message, timedOut, cancelled } = failure;
    const what = timedOut ? "timed out" : `raised (${message || "an error"})`;
    const parts = [`${id(chunk)} ${what} in ${phaseName(phase)} at `, when(t, chunk), ". "];
    parts.push("The group (fail-fast, as asyncio.TaskGroup does) ");
    parts.push(`cancelled ${plural(cancelled.total, "sibling")}`);
    if (cancelled.total > 0) {
      parts.push(` within ${tenths(failure.cancelledWithinMs)}: ${cancelledSplit(cancelled)}`);
    }
    if (failure.broken) parts.push("; the barrier broke at ", when(failure.broken.t));
    parts.push(failure.answered ? "." : "; the run rejected with that error, and there is no answer.");
    return [...parts, ...hangNote(facts, chunk, when)];
  }
  if (facts.dropped.length > 0) {
    const [firstDrop] = facts.dropped;
    const others = facts.dropped.length - 1;
    const what = firstDrop.timedOut ? "timed out" : `raised (${firstDrop.message || "an error"})`;
    const parts = [`${id(firstDrop.chunk)} ${what} in ${phaseName(firstDrop.phase)} at `,
      when(firstDrop.t, firstDrop.chunk), ". Under drop-out it left the barrier, which lowered its parties to " +
      `${formatCount(firstDrop.parties)}`];
    if (others > 0) parts.push(`; ${plural(others, "more chunk")} dropped out after it`);
    const gen1 = facts.generations[1];
    parts.push(gen1 && facts.outcome === "done"
      ? [`, and the other ${formatCount(facts.scored)} finished: generation 1 released at `, when(gen1.release.t, gen1.leader),
        " and the answer ranks them."]
      : [", and ", ...ending(facts), "."]);
    return [...parts.flat(), ...hangNote(facts, firstDrop.chunk, when)];
  }
  if (facts.stop) {
    const { cancelled } = facts.stop;
    const hang = stoppedHang(facts, when);
    // A lone hung chunk was the one mid-phase (the rest waited for it): say so in the split.
    const hung = facts.hangs?.filter((h) => h.how === "cancelled") ?? [];
    const split = hung.length === 1 && cancelled.midPhase === 1
      ? cancelledSplit(cancelled).replace(" mid-phase", ` mid-phase (${id(hung[0].chunk)})`) : cancelledSplit(cancelled);
    return ["No chunk raised: ", ...hang, `${hang.length > 0 ? "This" : "this"} run was stopped at `, when(facts.stop.t),
      `, and Stop cancels the group as a failure does: ${plural(cancelled.total, "chunk")} cancelled, ${split}.`];
  }
  return null;
}

/** Q5, from this run alone (compare mode, where the page has it, adds its verdict). */
export function answerBarrierOrGather(facts) {
  const [gen0, gen1] = facts.generations;
  const parts = [`In this run each chunk was one future from its embedding to its score: ` +
    `${plural(facts.futures, "future")}, one ${barrierName(facts)}`];
  if (gen0) {
    parts.push(`, released ${gen1 ? "twice" : "once"} (generation 0 at `, at(gen0.release.t, gen0.leader),
      ...(gen1 ? [", generation 1 at ", at(gen1.release.t, gen1.leader)] : []), ")");
    if (gen0.next) {
      parts.push(`. Phase 2 ran in the same ${formatCount(gen0.resumed)} futures, begun within ` +
        `${tenths(gen0.resumedWithinMs)} of the release, each with its chunk's state still in hand: none ended ` +
        "between the phases and none was launched anew.");
    } else {
      parts.push(".");
    }
  } else {
    parts.push(", never released in this run (", ...ending(facts), ").");
  }
  return parts;
}

/** The verdict's mark: `{ mark, state }`, "✓" "held" when it was checked and held, "✗" "broken" when a chunk
 *  broke it, and a neutral "○" "untested" when no chunk began Phase 2 (a failed or stopped run: nothing to check). */
export function verdictMark(facts) {
  const { held, phases12 } = facts.invariant;
  if (!phases12.tested) return { mark: "○", state: "untested" };
  return held ? { mark: "✓", state: "held" } : { mark: "✗", state: "broken" };
}

/** The invariant, checked from the events: a verdict with the moments that decide it. */
export function answerInvariant(facts) {
  const { phases12, phases23 } = facts.invariant;
  if (!phases12.tested) {
    return ["Invariant not tested: no chunk began Phase 2 (", ...ending(facts), ")."];
  }
  const parts = [];
  const { lastEnd, firstStart } = phases12;
  if (phases12.held) {
    parts.push("Invariant held: no chunk began Phase 2 before the last Phase 1 ended (last Phase 1 end ",
      ...(lastEnd ? [at(lastEnd.t, lastEnd.chunk), `, ${id(lastEnd.chunk)}`] : ["none"]),
      "; first Phase 2 start ", at(firstStart.t, firstStart.chunk), `, ${id(firstStart.chunk)})`);
  } else {
    const { worst } = phases12;
    parts.push(`Invariant BROKEN: ${id(worst.chunk)} began Phase 2 at `, at(worst.t, worst.chunk),
      `, ${tenths(worst.byMs)} before the last Phase 1 ended (`, at(lastEnd.t, lastEnd.chunk),
      `, ${id(lastEnd.chunk)}); ${plural(phases12.violators, "chunk")} in all began Phase 2 too early`);
  }
  if (!phases23.tested) {
    parts.push("; Phase 3 never began.");
  } else if (phases23.held) {
    // The top event is Phase 3's first: its ranking, which reads every score.
    parts.push(", and Phase 3 ranked the chunks at ", at(phases23.firstStart.t), ", after the last Phase 2 ended (",
      at(phases23.lastEnd.t, phases23.lastEnd.chunk), ").");
  } else {
    parts.push("; and Phase 3 ranked the chunks at ", at(phases23.firstStart.t), `, ${tenths(phases23.worst.byMs)} before ` +
      "the last Phase 2 ended (", at(phases23.lastEnd.t, phases23.lastEnd.chunk), ").");
  }
  return parts;
}

/** The critical path as a number: the chain of bars, its length, and makespan over it. */
export function answerCriticalPath(facts) {
  const { segments, lengthMs, makespanMs, ratio, complete } = facts.critical;
  if (segments.length === 0) return ["Critical path: none, as no generation completed."];
  const parts = ["Critical path: "];
  for (const segment of segments) {
    if (segment.kind === "answer") {
      // Phase 3 starts at generation 1's release, the moment before it in the chain, and ends with the run.
      parts.push(` → Phase 3 (${tenths(segment.ms)}: every chunk's future returns, the index is freed, the top 3 ` +
        "ranked, the answer written) → the answer (run-end) ", at(segment.stop));
      continue;
    }
    const what = segment.droppedOut !== null ? `${segment.kind === "embed" ? "Phase 1" : "Phase 2"} until it dropped out`
      : segment.kind === "embed" ? (segment.stored ? "embedding and vector-store write" : "embedding") : "scoring";
    parts.push(...(segment.generation > 0 ? [" → "] : []), `${id(segment.chunk)}'s ${what} (${tenths(segment.ms)}) → ` +
      `gen ${segment.generation} release `, at(segment.releaseT, segment.chunk));
  }
  if (complete) {
    parts.push(` = ${tenths(lengthMs)}. Makespan ${tenths(makespanMs)} vs critical path ${tenths(lengthMs)} ` +
      `(${ratio.toFixed(2)}×): the other ${tenths(Math.max(0, makespanMs - lengthMs))} went to starting and ` +
      "waking chunks between the bars.");
  } else {
    parts.push(` = ${tenths(lengthMs)} so far: `, ...ending(facts),
      segments.length === 1 ? ", before generation 1 released." : ", before the answer.");
  }
  return parts;
}

/** A speed factor as the Speed menu writes it: "3", "0.5". */
const SCALE = new Intl.NumberFormat("en", { maximumFractionDigits: 2 });

/** "at 3× slower: every latency is stretched 3×", from a finite timeScale ≠ 1 (and a phase timeout, which is
 *  real time); "" at real time or when it is unknown. */
function timeScaleNote(options) {
  const scale = options?.timeScale;
  if (typeof scale !== "number" || !Number.isFinite(scale) || scale < 0 || scale === 1) return "";
  if (scale === 0) return " Times are at 0×: every simulated latency is zero.";
  const timeout = options.phaseTimeoutMs;
  const unscaled = Number.isFinite(timeout) && timeout > 0 ? ` (the ${formatMs(timeout)} phase timeout is not)` : "";
  const factor = SCALE.format(scale);
  return scale > 1 ? ` Times are at ${factor}× slower: every latency is stretched ${factor}×${unscaled}.`
    : ` Times are at ${factor}×: every latency is scaled by ${factor}${unscaled}.`;
}

/** The panel's status line: what kind of run the answers come from (and so what they cannot say), and, when
 *  its `options` (the run's) slowed or sped its latencies, that every time is stretched. */
export function answerStatus(facts, options) {
  const seed = facts.run.seed === undefined ? "" : `, seed ${facts.run.seed}`;
  const which = `run ${facts.run.runId ?? "?"} (${formatCount(facts.run.chunks)} chunks${seed})`;
  const scale = timeScaleNote(options);
  switch (facts.outcome) {
    case "done": return `Answered from ${which}.${scale}`;
    case "failed": return `From ${which}, which failed: what it never reached stays unanswered.${scale}`;
    case "stopped": return `From ${which}, stopped at ${tenths(facts.end.t)}: what it never reached ` +
      `stays unanswered.${scale}`;
    default: return `From ${which}: the events end before the run did.${scale}`;
  }
}

/** Every answer for one run: `{ lastArrival, chunkOrder, reset, failure, barrierOrGather, invariant, critical }`. */
export function answerAll(facts) {
  return {
    lastArrival: answerLastArrival(facts),
    chunkOrder: answerChunkOrder(facts),
    reset: answerReset(facts),
    failure: answerFailure(facts),
    barrierOrGather: answerBarrierOrGather(facts),
    invariant: answerInvariant(facts),
    critical: answerCriticalPath(facts),
  };
}

/** An answer's parts as plain text (what a screen reader hears, what the tests read). */
export function plainText(parts) {
  return parts.map((part) => (typeof part === "string" ? part : part.text ?? part.code)).join("");
}
