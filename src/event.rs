//! What the pipeline reports: one [`Event`] per state change, sent to an [`EventSink`].
//!
//! Events are the only channel from the pipeline to the page: the page replays
//! them and never recomputes what they say. Each event's [`Event::log_line`] is
//! the line the seed's Python solution prints for it, so the native `verify`
//! example and the page's log print the same text.

use std::fmt;

use crate::config::{Approach, BarrierKind, ChunkErrorPolicy};
use crate::retrieval::index::ScoreParts;

/// One of the three phases of a chunk's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Phase 1: embed the chunk.
    Embed,
    /// Phase 2: score the chunk against the query.
    Score,
    /// Phase 3: pick the top chunks and answer (once, after every chunk).
    Answer,
}

impl Phase {
    /// 1, 2 or 3, as the seed numbers them.
    pub fn number(self) -> u8 {
        match self {
            Phase::Embed => 1,
            Phase::Score => 2,
            Phase::Answer => 3,
        }
    }

    /// The lowercase name the JS events carry.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Embed => "embed",
            Phase::Score => "score",
            Phase::Answer => "answer",
        }
    }
}

/// What one gather of the gather approaches runs: a task per chunk that
/// embeds it, writes its vector to the store, or scores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GatherStep {
    /// Phase 1's tasks.
    Embed,
    /// The vector-store writes between the two phases (with `store_ms` > 0).
    Store,
    /// Phase 2's tasks.
    Score,
}

impl GatherStep {
    /// The lowercase name the JS events carry as `phase`.
    pub fn name(self) -> &'static str {
        match self {
            GatherStep::Embed => "embed",
            GatherStep::Store => "store",
            GatherStep::Score => "score",
        }
    }

    /// The phase a task of this step belongs to, as its `chunk-cancelled`
    /// and `chunk-failed` events name it: a store write is Phase 1's tail.
    pub fn phase(self) -> Phase {
        match self {
            GatherStep::Embed | GatherStep::Store => Phase::Embed,
            GatherStep::Score => Phase::Score,
        }
    }
}

/// The id the seed gives chunk `index`: `chunk-0`, `chunk-1`, …
pub fn chunk_id(index: usize) -> String {
    ChunkId(index).to_string()
}

/// [`chunk_id`] as `Display`, written without a `String` of its own.
#[derive(Debug, Clone, Copy)]
pub struct ChunkId(pub usize);

impl fmt::Display for ChunkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "chunk-{}", self.0)
    }
}

/// A chunk with its score, as ranked in Phase 3.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    /// The chunk's index.
    pub chunk: usize,
    /// Its score in `[0, 1]`.
    pub score: f64,
}

/// The barrier's benefit, made visible: had every chunk scored the moment it
/// was embedded, against the chunks embedded so far, BM25 would have read
/// partial document frequencies and a partial average length.
#[derive(Debug, Clone, PartialEq)]
pub struct WithoutBarrier {
    /// The top chunks by those early scores, best first.
    pub top: Vec<Scored>,
    /// How many chunks' early score differs from their real one.
    pub changed: usize,
    /// How many of `top` are not among the real top chunks.
    pub wrong: usize,
}

/// How the chunks spent their time, summed over chunks: what the barrier costs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ChunkTime {
    /// Milliseconds inside Phase 1 and Phase 2, and writing to the store.
    pub working_ms: f64,
    /// Milliseconds parked at the barrier, waiting for slower chunks (with
    /// the gathers: a finished task's wait for its gather to join), and
    /// queued for a store slot.
    pub waiting_ms: f64,
}

/// What happened; see [`Event`] for when and in which run. Each variant's
/// doc names its fields in a sentence, which reads better than a line per field.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// A run began with `chunks` chunks synchronised by `approach` (with a
    /// `barrier`, failing chunks handled by `policy`; the gathers ignore
    /// both) and store writes of `store_ms` (0: none); `seed` replays it.
    RunStart {
        chunks: usize,
        seed: u64,
        query: String,
        barrier: BarrierKind,
        policy: ChunkErrorPolicy,
        approach: Approach,
        store_ms: f64,
    },
    /// A chunk began a phase that will take `planned_ms` of simulated
    /// latency (`None`: a real embedder's call, which takes what it takes).
    PhaseStart { chunk: usize, phase: Phase, planned_ms: Option<f64> },
    /// A chunk finished a phase; Phase 2 carries the chunk's score and its
    /// parts. Phase 1 carries `early`: the score the chunk would get if it
    /// scored now, against the chunks embedded so far, without waiting at the
    /// barrier (what the barrier prevents; see [`WithoutBarrier`]).
    PhaseComplete { chunk: usize, phase: Phase, score: Option<ScoreParts>, early: Option<f64> },
    /// A chunk reached the barrier: `arrived` of `parties` in this `generation`.
    BarrierArrive { chunk: usize, arrived: usize, parties: usize, generation: u64 },
    /// A chunk parked at the barrier was cancelled and took its arrival back:
    /// `arrived` of `parties` remain in `generation` (PhaseBarrier only).
    BarrierWithdraw { chunk: usize, arrived: usize, parties: usize, generation: u64 },
    /// A chunk gave up waiting at the barrier after `waited_ms`: its wait
    /// future, parked in `generation`, was dropped (cancelled). Only the
    /// hazard demo (`hazard.rs`) does this; a `barrier-withdraw` follows if
    /// the barrier takes the arrival back, and none with `async-barrier`.
    WaitCancelled { chunk: usize, generation: u64, waited_ms: f64 },
    /// The barrier released `generation`; `leader` is the party that completed
    /// it, or, when chunk `dropped_out` completed it by dropping out (every
    /// other party had arrived), the waiter the barrier named leader instead.
    BarrierRelease { leader: usize, parties: usize, generation: u64, dropped_out: Option<usize> },
    /// The barrier was aborted in `generation` for `reason`: every parked
    /// chunk wakes with an error instead of waiting forever.
    BarrierBroken { reason: String, generation: u64 },
    /// A chunk failed in `phase` (an error, or `timed_out`); under fail-fast
    /// the group cancels its siblings.
    ChunkFailed { chunk: usize, phase: Phase, message: String, timed_out: bool },
    /// Under drop-out, a chunk that failed in `phase` (an error, or
    /// `timed_out`) left the barrier for good while it was in `generation`;
    /// that generation and every later one waits for `parties` chunks.
    ChunkDropped {
        chunk: usize,
        phase: Phase,
        message: String,
        timed_out: bool,
        parties: usize,
        generation: u64,
    },
    /// Gather number `gather` (1, 2, …) of a gather approach began: `tasks`
    /// futures, one per chunk, that run `step`.
    GatherStart { gather: usize, step: GatherStep, tasks: usize },
    /// Gather number `gather` joined: every task ended, or (approach
    /// `gather`) the first failed and the rest were dropped. `failed` is how
    /// many failed tasks it saw.
    GatherEnd { gather: usize, step: GatherStep, tasks: usize, failed: usize },
    /// A chunk's vector-store write began, after `queued_ms` waiting for a slot.
    StoreStart { chunk: usize, queued_ms: f64 },
    /// A chunk's vector-store write finished.
    StoreComplete { chunk: usize },
    /// A chunk was dropped unfinished (a sibling failed, or the run was
    /// stopped). `started` is false if it was never polled; `waiting` says it
    /// was parked at the barrier after `phase` rather than inside it.
    ChunkCancelled { chunk: usize, phase: Phase, waiting: bool, started: bool },
    /// Phase 3 ranked the chunks; best first, each text once: `duplicates`
    /// chunks were passed over because a better-ranked chunk has the same text.
    TopChunks { top: Vec<Scored>, duplicates: usize },
    /// What the run would have answered from had chunks scored as soon as
    /// they were embedded.
    WithoutBarrier(WithoutBarrier),
    /// Phase 3 began composing the answer from the top chunks.
    AnswerStart { from: usize },
    /// The final answer.
    Answer { text: String },
    /// The run ended after `makespan_ms`, its chunks having spent `chunk_time`;
    /// `error` says why it failed, if it did, and `aborted` that it was
    /// stopped from outside (Stop, an `AbortSignal`).
    RunEnd { makespan_ms: f64, chunk_time: ChunkTime, error: Option<String>, aborted: bool },
}

/// One state change, stamped with its run and the time since that run began.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The run's id: distinct for every run in one page or process.
    pub run: u32,
    /// Milliseconds since the run began.
    pub t_ms: f64,
    /// What happened.
    pub kind: EventKind,
}

impl EventKind {
    /// The kebab-case name the JS events carry as `type`.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::RunStart { .. } => "run-start",
            EventKind::PhaseStart { .. } => "phase-start",
            EventKind::PhaseComplete { .. } => "phase-complete",
            EventKind::BarrierArrive { .. } => "barrier-arrive",
            EventKind::BarrierWithdraw { .. } => "barrier-withdraw",
            EventKind::WaitCancelled { .. } => "wait-cancelled",
            EventKind::BarrierRelease { .. } => "barrier-release",
            EventKind::BarrierBroken { .. } => "barrier-broken",
            EventKind::ChunkFailed { .. } => "chunk-failed",
            EventKind::ChunkDropped { .. } => "chunk-dropped",
            EventKind::ChunkCancelled { .. } => "chunk-cancelled",
            EventKind::GatherStart { .. } => "gather-start",
            EventKind::GatherEnd { .. } => "gather-end",
            EventKind::StoreStart { .. } => "store-start",
            EventKind::StoreComplete { .. } => "store-complete",
            EventKind::TopChunks { .. } => "top",
            EventKind::WithoutBarrier(_) => "without-barrier",
            EventKind::AnswerStart { .. } => "answer-start",
            EventKind::Answer { .. } => "answer",
            EventKind::RunEnd { .. } => "run-end",
        }
    }

    /// The chunk this event is about, if it is about one.
    pub fn chunk(&self) -> Option<usize> {
        match *self {
            EventKind::PhaseStart { chunk, .. }
            | EventKind::PhaseComplete { chunk, .. }
            | EventKind::BarrierArrive { chunk, .. }
            | EventKind::BarrierWithdraw { chunk, .. }
            | EventKind::WaitCancelled { chunk, .. }
            | EventKind::ChunkFailed { chunk, .. }
            | EventKind::ChunkDropped { chunk, .. }
            | EventKind::ChunkCancelled { chunk, .. }
            | EventKind::StoreStart { chunk, .. }
            | EventKind::StoreComplete { chunk } => Some(chunk),
            _ => None,
        }
    }
}

impl Event {
    /// The line the seed prints for this event, if it prints one.
    ///
    /// ```
    /// use rag_phase_sync::{Event, EventKind, Phase};
    /// use rag_phase_sync::retrieval::index::ScoreParts;
    /// let parts = ScoreParts { bm25: 2.1, bm25_normalised: 0.8, cosine: 0.58, score: 0.734 };
    /// let kind = EventKind::PhaseComplete { chunk: 2, phase: Phase::Score, score: Some(parts), early: None };
    /// let event = Event { run: 1, t_ms: 0.0, kind };
    /// assert_eq!(event.log_line().unwrap(), "Phase 2 complete: chunk-2 score=0.73");
    /// ```
    pub fn log_line(&self) -> Option<String> {
        let mut line = String::new();
        self.write_log_line(&mut line).then_some(line)
    }

    /// Writes [`log_line`](Event::log_line) to `out` without allocating;
    /// false (and nothing written) if this event prints no line.
    pub fn write_log_line(&self, out: &mut impl fmt::Write) -> bool {
        let _ = match &self.kind {
            EventKind::PhaseComplete { chunk, phase, score, .. } => {
                let _ = write!(out, "Phase {} complete: {}", phase.number(), ChunkId(*chunk));
                match score {
                    Some(parts) => write!(out, " score={:.2}", parts.score),
                    None => Ok(()),
                }
            }
            EventKind::TopChunks { top, .. } => {
                let _ = write!(out, "Top {} {}: [", top.len(), chunks_word(top.len()));
                for (index, scored) in top.iter().enumerate() {
                    let _ = write!(out, "{}'{}'", if index > 0 { ", " } else { "" }, ChunkId(scored.chunk));
                }
                out.write_str("]")
            }
            EventKind::AnswerStart { from } => {
                write!(out, "Generating answer from top {from} {}...", chunks_word(*from))
            }
            EventKind::Answer { text } => write!(out, "Final answer: {text}"),
            EventKind::ChunkFailed { chunk, phase, message, .. } => {
                write!(out, "Phase {} failed: {} ({message})", phase.number(), ChunkId(*chunk))
            }
            EventKind::ChunkDropped { chunk, phase, message, parties, .. } => write!(
                out,
                "Phase {} failed: {} ({message}); it drops out, the barrier now waits for {parties}",
                phase.number(),
                ChunkId(*chunk)
            ),
            EventKind::ChunkCancelled { chunk, started: false, .. } => {
                write!(out, "Cancelled: {} before it started", ChunkId(*chunk))
            }
            EventKind::ChunkCancelled { chunk, phase, waiting, .. } => {
                let place = if *waiting { "at the barrier after" } else { "during" };
                write!(out, "Cancelled: {} {place} Phase {}", ChunkId(*chunk), phase.number())
            }
            EventKind::BarrierBroken { reason, .. } => write!(out, "Barrier broken: {reason}"),
            EventKind::WaitCancelled { chunk, waited_ms, .. } => write!(
                out,
                "{} gave up waiting after {waited_ms:.0} ms: its wait was dropped",
                ChunkId(*chunk)
            ),
            EventKind::GatherStart { gather, step, tasks } => {
                write!(out, "Gather {gather} ({}): {tasks} {}", step.name(), tasks_word(*tasks))
            }
            EventKind::GatherEnd { gather, step, tasks, failed } => write!(
                out,
                "Gather {gather} ({}) joined: {tasks} {}, {failed} failed",
                step.name(),
                tasks_word(*tasks)
            ),
            EventKind::RunEnd { aborted: true, .. } => {
                out.write_str("Pipeline stopped: every chunk was cancelled")
            }
            EventKind::RunEnd { error: Some(error), .. } => write!(out, "Pipeline failed: {error}"),
            _ => return false,
        };
        true
    }
}

/// Where a run sends its events, in order, as they happen.
///
/// Any `Fn(&Event)` closure is a sink:
///
/// ```
/// use std::cell::RefCell;
/// use rag_phase_sync::{Event, EventSink};
/// let seen = RefCell::new(Vec::new());
/// let sink = |event: &Event| seen.borrow_mut().push(event.clone());
/// # let _: &dyn EventSink = &sink;
/// ```
pub trait EventSink {
    /// Receives one event; called synchronously from inside the pipeline.
    fn emit(&self, event: &Event);
}

impl<F: Fn(&Event)> EventSink for F {
    fn emit(&self, event: &Event) {
        self(event)
    }
}

/// "task" or "tasks", as [`chunks_word`] says "chunk" or "chunks".
fn tasks_word(count: usize) -> &'static str {
    if count == 1 {
        "task"
    } else {
        "tasks"
    }
}

/// "chunk" or "chunks": the seed's lines say "Top 3 chunks", and a run of
/// one chunk says "Top 1 chunk".
fn chunks_word(count: usize) -> &'static str {
    if count == 1 {
        "chunk"
    } else {
        "chunks"
    }
}
