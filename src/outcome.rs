//! What a run ends with: its [`Outcome`], or why it produced none
//! ([`PipelineError`]), and how a chunk failed ([`ChunkError`]). Shared by
//! every approach (`pipeline.rs`, `gathered.rs`).

use std::fmt;

use crate::config::{Approach, ConfigError};
use crate::event::{chunk_id, ChunkTime, Phase, WithoutBarrier};
use crate::retrieval::index::ScoreParts;

/// How a chunk's phase failed.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The phase's work failed (an injected fault, an `embed` error, a
    /// broken barrier) for this reason.
    Error(String),
    /// The phase took longer than `phase_timeout_ms`.
    TimedOut {
        /// The timeout that ran out, in milliseconds.
        after_ms: f64,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Error(message) => f.write_str(message),
            Failure::TimedOut { after_ms } => write!(f, "timed out after {after_ms} ms"),
        }
    }
}

/// A chunk that failed, and where.
///
/// ```
/// use rag_phase_sync::{ChunkError, Failure, Phase};
/// let error = ChunkError { chunk: 3, phase: Phase::Embed, failure: Failure::TimedOut { after_ms: 300.0 } };
/// assert_eq!(error.to_string(), "chunk-3 timed out in Phase 1 (embed) after 300 ms");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkError {
    /// The failing chunk's index.
    pub chunk: usize,
    /// The phase it failed in.
    pub phase: Phase,
    /// How.
    pub failure: Failure,
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (id, number, name) = (chunk_id(self.chunk), self.phase.number(), self.phase.name());
        match &self.failure {
            Failure::Error(message) => write!(f, "{id} failed in Phase {number} ({name}): {message}"),
            Failure::TimedOut { after_ms } => {
                write!(f, "{id} timed out in Phase {number} ({name}) after {after_ms} ms")
            }
        }
    }
}

/// Why a run produced no answer.
#[derive(Debug, Clone, PartialEq)]
pub enum PipelineError {
    /// An option was out of range; nothing ran.
    Config(ConfigError),
    /// The embedder failed on the query, before any chunk started.
    Query(String),
    /// A chunk failed (fail-fast); its siblings were cancelled.
    Chunk(ChunkError),
    /// Every chunk failed and dropped out (drop-out): nothing is left to rank.
    AllDropped(Vec<ChunkError>),
    /// Every chunk failed in approach `gather-collect`, each failure
    /// collected (in gather order, then chunk order): nothing is left to rank.
    AllFailed(Vec<ChunkError>),
    /// The run was stopped from outside; every chunk was cancelled.
    Aborted,
}

impl fmt::Display for PipelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PipelineError::Config(error) => error.fmt(f),
            PipelineError::Query(message) => write!(f, "embedding the query failed: {message}"),
            PipelineError::Chunk(error) => error.fmt(f),
            PipelineError::AllDropped(dropped) => {
                write!(f, "every chunk dropped out, so there is nothing to answer from")?;
                match dropped.first() {
                    Some(first) => write!(f, " (the first: {first})"),
                    None => Ok(()),
                }
            }
            PipelineError::AllFailed(collected) => {
                write!(f, "every chunk failed, so there is nothing to answer from")?;
                match collected.first() {
                    Some(first) => write!(f, " (the first: {first})"),
                    None => Ok(()),
                }
            }
            PipelineError::Aborted => f.write_str("the run was stopped"),
        }
    }
}

impl std::error::Error for PipelineError {}

impl From<ConfigError> for PipelineError {
    fn from(error: ConfigError) -> Self {
        PipelineError::Config(error)
    }
}

/// One of the top chunks, as Phase 3 answered from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// The chunk's index.
    pub chunk: usize,
    /// Its score, and the parts it blends.
    pub parts: ScoreParts,
    /// Its text.
    pub text: String,
}

/// What a finished run returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The run's id, as stamped on its events.
    pub run: u32,
    /// The seed that replays this run.
    pub seed: u64,
    /// The final answer: quoted sentences, each cited as `[chunk-N]`.
    pub answer: String,
    /// The same answer as data: each quoted sentence and the chunk it cites.
    pub quotes: Vec<QuotedSentence>,
    /// The top chunks, best first.
    pub top: Vec<Ranked>,
    /// What the top chunks would have been without the barrier.
    pub without_barrier: WithoutBarrier,
    /// Chunks that failed and dropped out (drop-out policy), in the order they did.
    pub dropped: Vec<ChunkError>,
    /// Chunks passed over in the ranking because a better-ranked chunk has the same text.
    pub duplicates: usize,
    /// How the phases were synchronised.
    pub approach: Approach,
    /// How many task futures the run made: one per chunk with the barrier;
    /// with the gathers, one per chunk and gather (embed, store, score).
    pub tasks: usize,
    /// Approach `gather-collect`: the failures its gathers collected, in
    /// gather order, then chunk order (empty for the other approaches).
    pub collected: Vec<ChunkError>,
    /// Milliseconds from the run's start to its answer.
    pub makespan_ms: f64,
    /// How the chunks spent their time: working, or waiting at the barrier.
    pub chunk_time: ChunkTime,
}

/// One sentence of the answer and the chunk it is quoted from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotedSentence {
    /// The sentence, exactly as the chunk has it.
    pub sentence: String,
    /// The chunk it cites.
    pub chunk: usize,
}

/// What an approach produced, before the run's clock stops.
#[derive(Debug)]
pub(crate) struct Answered {
    pub(crate) answer: String,
    pub(crate) quotes: Vec<QuotedSentence>,
    pub(crate) top: Vec<Ranked>,
    pub(crate) without_barrier: WithoutBarrier,
    pub(crate) dropped: Vec<ChunkError>,
    pub(crate) duplicates: usize,
    /// Task futures made (see [`Outcome::tasks`]).
    pub(crate) tasks: usize,
    pub(crate) collected: Vec<ChunkError>,
}
