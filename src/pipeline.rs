//! The seed's pipeline: `process_chunk` per chunk, `rag_pipeline` around them.
//!
//! Every chunk is one future. They run as one structured group: all finish,
//! or the first error drops (cancels) the rest and is returned. One barrier
//! instance separates Phase 1 from Phase 2 (generation 0) and Phase 2 from
//! Phase 3 (generation 1). Phase 3 runs once, here, after the group is done:
//! it needs every score, and no chunk future should own the whole corpus.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};

use futures::future::try_join_all;

use crate::barrier::BarrierSignal;
use crate::barrier_choice::ChosenBarrier;
use crate::chunks::Chunks;
use crate::config::{ConfigError, RunConfig, CHUNKS};
use crate::embedder::{check_vector, Embedder};
use crate::event::{chunk_id, ChunkTime, Event, EventKind, EventSink, Phase, Scored, WithoutBarrier};
use crate::retrieval::answer::{extractive_answer, Cited};
use crate::retrieval::index::{ChunkFeatures, CorpusIndex, Query, ScoreParts};
use crate::retrieval::rank::top_k;
use crate::rng::{random_seed, Rng};
use crate::runtime::{sleep_ms, Stopwatch};

/// How many chunks Phase 3 answers from.
pub const TOP_K: usize = 3;

/// What the chunks share: Phase 1 publishes features, Phase 2 writes scores.
#[derive(Debug)]
pub struct SharedState {
    /// Every chunk's features, and the corpus statistics built from them.
    pub index: CorpusIndex,
    /// Every chunk's score, once Phase 2 has computed it.
    pub scores: Vec<Option<ScoreParts>>,
    /// Every chunk's early score: what it would have scored the moment it
    /// was embedded, had there been no barrier.
    pub early: Vec<Option<f64>>,
}

impl SharedState {
    /// Empty state for `chunks` chunks.
    pub fn new(chunks: usize) -> Self {
        SharedState { index: CorpusIndex::new(chunks), scores: vec![None; chunks], early: vec![None; chunks] }
    }
}

/// A chunk that failed, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkError {
    /// The failing chunk's index.
    pub chunk: usize,
    /// The phase it failed in.
    pub phase: Phase,
    /// Why.
    pub message: String,
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (id, number, name) = (chunk_id(self.chunk), self.phase.number(), self.phase.name());
        write!(f, "{id} failed in Phase {number} ({name}): {}", self.message)
    }
}

/// Why a run produced no answer.
#[derive(Debug, Clone, PartialEq)]
pub enum PipelineError {
    /// An option was out of range; nothing ran.
    Config(ConfigError),
    /// The embedder failed on the query, before any chunk started.
    Query(String),
    /// A chunk failed; its siblings were cancelled.
    Chunk(ChunkError),
}

impl fmt::Display for PipelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PipelineError::Config(error) => error.fmt(f),
            PipelineError::Query(message) => write!(f, "embedding the query failed: {message}"),
            PipelineError::Chunk(error) => error.fmt(f),
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
    /// The top chunks, best first.
    pub top: Vec<Ranked>,
    /// What the top chunks would have been without the barrier.
    pub without_barrier: WithoutBarrier,
    /// Milliseconds from the run's start to its answer.
    pub makespan_ms: f64,
    /// How the chunks spent their time: working, or waiting at the barrier.
    pub chunk_time: ChunkTime,
}

/// One run's identity, clock, options, chunks, embedder and sink, shared by
/// its chunk futures.
pub struct Run<'a> {
    id: u32,
    seed: u64,
    config: &'a RunConfig,
    chunks: Chunks,
    embedder: Option<&'a dyn Embedder>,
    query: Query,
    clock: Stopwatch,
    sink: &'a dyn EventSink,
    chunk_time: Cell<ChunkTime>,
}

impl<'a> Run<'a> {
    fn start(
        config: &'a RunConfig,
        chunks: Chunks,
        embedder: Option<&'a dyn Embedder>,
        sink: &'a dyn EventSink,
    ) -> Self {
        static NEXT_RUN: AtomicU32 = AtomicU32::new(1);
        Run {
            id: NEXT_RUN.fetch_add(1, Ordering::Relaxed),
            seed: config.seed.unwrap_or_else(random_seed),
            config,
            chunks,
            embedder,
            query: Query::lexical(&config.query),
            clock: Stopwatch::start(),
            sink,
            chunk_time: Cell::new(ChunkTime::default()),
        }
    }

    fn emit(&self, kind: EventKind) {
        self.sink.emit(&Event { run: self.id, t_ms: self.clock.elapsed_ms(), kind });
    }

    /// Awaits the future `work` makes, adding the time it took to the
    /// chunks' working time.
    fn working<'s, F: Future + 's>(
        &'s self,
        work: impl FnOnce() -> F + 's,
    ) -> impl Future<Output = F::Output> + 's {
        // Not an async fn: it returns timed's future rather than wrap it.
        self.timed(work, |time| &mut time.working_ms)
    }

    /// Awaits the future `wait` makes, adding the time it took to the
    /// chunks' waiting time.
    fn waiting<'s, F: Future + 's>(
        &'s self,
        wait: impl FnOnce() -> F + 's,
    ) -> impl Future<Output = F::Output> + 's {
        self.timed(wait, |time| &mut time.waiting_ms)
    }

    /// Takes a closure, not a future: an async fn keeps a future argument
    /// and the future it awaits in separate slots of its state (rustc issue
    /// 62958), so each layer of wrapping would double the wrapped future,
    /// and all 100,000 chunk futures are alive at once. Made inside, the
    /// future is stored once.
    async fn timed<F: Future>(
        &self,
        make: impl FnOnce() -> F,
        total: fn(&mut ChunkTime) -> &mut f64,
    ) -> F::Output {
        let start = self.clock.elapsed_ms();
        let output = make().await;
        let mut time = self.chunk_time.get();
        *total(&mut time) += self.clock.elapsed_ms() - start;
        self.chunk_time.set(time);
        output
    }

    fn end(&self, error: Option<String>) -> f64 {
        let makespan_ms = self.clock.elapsed_ms();
        self.emit(EventKind::RunEnd { makespan_ms, chunk_time: self.chunk_time.get(), error });
        makespan_ms
    }

    /// Chunk `chunk`'s own random stream (see `rng.rs` for why per chunk).
    fn rng(&self, chunk: usize) -> Rng {
        Rng::stream(self.seed, chunk as u64)
    }
}

/// Runs the config's chunks through Phases 1 and 2 as one structured group,
/// then Phase 3, sending every state change to `sink`. Phase 1 uses the
/// lexical hashed embedding; see [`rag_pipeline_with`] to plug in a model.
///
/// ```
/// use rag_phase_sync::{rag_pipeline, Event, RunConfig};
/// let config = RunConfig { seed: Some(1), embed_ms: (0.0, 0.0), score_ms: 0.0, ..RunConfig::default() };
/// let outcome = futures::executor::block_on(rag_pipeline(&config, &|_: &Event| {})).unwrap();
/// assert_eq!(outcome.top.len(), 3);
/// assert!(outcome.answer.contains("[chunk-"));
/// ```
pub async fn rag_pipeline(config: &RunConfig, sink: &dyn EventSink) -> Result<Outcome, PipelineError> {
    rag_pipeline_with(config, None, sink).await
}

/// [`rag_pipeline`], with Phase 1 awaiting `embedder` (when given) for the
/// query and every chunk: its real latency replaces the simulated one, and
/// cosine compares its vectors. BM25 still reads the words.
pub async fn rag_pipeline_with(
    config: &RunConfig,
    embedder: Option<&dyn Embedder>,
    sink: &dyn EventSink,
) -> Result<Outcome, PipelineError> {
    config.validate()?;
    let mut run = Run::start(config, Chunks::new(config)?, embedder, sink);
    let (chunks, seed, query) = (run.chunks.len(), run.seed, config.query.clone());
    run.emit(EventKind::RunStart { chunks, seed, query, barrier: config.barrier });

    if let Some(embedder) = embedder {
        match embedder.embed(&config.query).await.and_then(|vector| check_vector(vector, None)) {
            Ok(vector) => run.query = Query::lexical(&config.query).with_vector(vector),
            Err(message) => {
                let error = PipelineError::Query(message);
                run.end(Some(error.to_string()));
                return Err(error);
            }
        }
    }
    let state = RefCell::new(SharedState::new(chunks));
    // Chunks::new guarantees at least one chunk, which is all new() checks.
    let barrier = ChosenBarrier::new(config.barrier, chunks, |signal: &BarrierSignal| {
        if let Some(kind) = barrier_event(signal) {
            run.emit(kind);
        }
    })
    .map_err(|error| ConfigError::new(CHUNKS.field, error.to_string(), "0"))?;
    let group = (0..chunks).map(|chunk| process_chunk(chunk, &state, &barrier, &run));
    // try_join_all is the structured group: when one chunk fails it returns
    // that error and drops every sibling, which cancels their timers.
    if let Err(error) = try_join_all(group).await {
        run.end(Some(error.to_string()));
        return Err(PipelineError::Chunk(error));
    }
    drop(barrier);

    // Phase 3, once, with every score in hand.
    let state = state.into_inner();
    let scores: Vec<ScoreParts> = state.scores.into_iter().flatten().collect();
    let totals: Vec<f64> = scores.iter().map(|parts| parts.score).collect();
    let best = top_k(&totals, TOP_K);
    let scored = |scores: &[f64], chunks: &[usize]| -> Vec<Scored> {
        chunks.iter().map(|&chunk| Scored { chunk, score: scores[chunk] }).collect()
    };
    run.emit(EventKind::TopChunks { top: scored(&totals, &best) });
    let early: Vec<f64> = state.early.into_iter().flatten().collect();
    let changed = early.iter().zip(&totals).filter(|(early, total)| early != total).count();
    let early_best = top_k(&early, TOP_K);
    let wrong = early_best.iter().filter(|chunk| !best.contains(chunk)).count();
    let without_barrier = WithoutBarrier { top: scored(&early, &early_best), changed, wrong };
    run.emit(EventKind::WithoutBarrier(without_barrier.clone()));
    run.emit(EventKind::AnswerStart { from: best.len() });
    let cited: Vec<Cited> = best
        .iter()
        .map(|&chunk| Cited { chunk, text: run.chunks.text(chunk), score: totals[chunk] })
        .collect();
    let answer = extractive_answer(&run.query, &cited);
    run.emit(EventKind::Answer { text: answer.clone() });
    let makespan_ms = run.end(None);
    let top = best
        .iter()
        .map(|&chunk| Ranked { chunk, parts: scores[chunk], text: run.chunks.text(chunk).to_string() })
        .collect();
    let chunk_time = run.chunk_time.get();
    Ok(Outcome { run: run.id, seed: run.seed, answer, top, without_barrier, makespan_ms, chunk_time })
}

/// One chunk's life: Phase 1, the barrier, Phase 2, the same barrier again.
///
/// A chunk that fails aborts the barrier before it returns its error, so no
/// sibling can wait for it forever, whatever group runs the chunks: parked
/// siblings wake with `Broken` and end (a `PhaseBarrier` only; the classic
/// barrier cannot be broken and relies on the group dropping its waiters).
pub async fn process_chunk(
    chunk: usize,
    state: &RefCell<SharedState>,
    barrier: &ChosenBarrier<'_>,
    run: &Run<'_>,
) -> Result<(), ChunkError> {
    let mut rng = run.rng(chunk);
    let scale = run.config.time_scale;
    let mut cancel_notice = CancelNotice { run, chunk, phase: Phase::Embed, waiting: false, armed: true };
    let fail = |cancel_notice: &mut CancelNotice, phase: Phase, message: String| {
        cancel_notice.armed = false;
        let error = ChunkError { chunk, phase, message };
        run.emit(EventKind::ChunkFailed { chunk, phase, message: error.message.clone() });
        barrier.abort(error.to_string());
        error
    };

    // Phase 1: embed, with the model if there is one, else the lexical
    // embedding after a simulated latency.
    let text = run.chunks.text(chunk);
    let features = match run.embedder {
        Some(embedder) => {
            run.emit(EventKind::PhaseStart { chunk, phase: Phase::Embed, planned_ms: None });
            let expected_len = Some(run.query.vector().len());
            let vector =
                run.working(|| embedder.embed(text)).await.and_then(|v| check_vector(v, expected_len));
            match vector {
                Ok(vector) => ChunkFeatures::lexical(text).with_vector(vector),
                Err(message) => return Err(fail(&mut cancel_notice, Phase::Embed, message)),
            }
        }
        None => {
            let (low, high) = run.config.embed_ms;
            let planned_ms = rng.uniform(low, high) * scale;
            run.emit(EventKind::PhaseStart { chunk, phase: Phase::Embed, planned_ms: Some(planned_ms) });
            run.working(|| sleep_ms(planned_ms)).await;
            ChunkFeatures::lexical(text)
        }
    };
    if run.config.fail_chunk == Some(chunk) {
        return Err(fail(&mut cancel_notice, Phase::Embed, "injected failure (failChunk)".into()));
    }
    let early = {
        let mut state = state.borrow_mut();
        state.index.publish(chunk, features);
        // Not used for ranking: recorded to show what the barrier prevents.
        let early = state.index.score(chunk, &run.query).map(|parts| parts.score);
        state.early[chunk] = early;
        early
    };
    run.emit(EventKind::PhaseComplete { chunk, phase: Phase::Embed, score: None, early });

    cancel_notice.waiting = true;
    arrive_and_wait(chunk, Phase::Embed, barrier, run).await?;

    // Phase 2: score, reading corpus statistics that exist only now.
    cancel_notice.phase = Phase::Score;
    cancel_notice.waiting = false;
    let planned_ms = run.config.score_ms * scale;
    run.emit(EventKind::PhaseStart { chunk, phase: Phase::Score, planned_ms: Some(planned_ms) });
    run.working(|| sleep_ms(planned_ms)).await;
    let score = {
        let mut state = state.borrow_mut();
        let score = state.index.score(chunk, &run.query);
        state.scores[chunk] = score;
        score
    };
    run.emit(EventKind::PhaseComplete { chunk, phase: Phase::Score, score, early: None });

    cancel_notice.waiting = true;
    arrive_and_wait(chunk, Phase::Score, barrier, run).await?;
    cancel_notice.armed = false;
    Ok(())
}

/// Waits on the barrier after `phase`, counting the wait as barrier time. A
/// broken barrier ends the chunk with an error naming why; its cancel notice
/// (still armed) reports it as stopped at the barrier.
async fn arrive_and_wait(
    chunk: usize,
    phase: Phase,
    barrier: &ChosenBarrier<'_>,
    run: &Run<'_>,
) -> Result<(), ChunkError> {
    run.waiting(|| barrier.wait_as(chunk)).await.map(drop).map_err(|error| ChunkError {
        chunk,
        phase,
        message: error.to_string(),
    })
}

/// The event a barrier signal becomes; the pipeline passes chunk indices as
/// party ids. Drop-outs and resets are not used by the pipeline.
fn barrier_event(signal: &BarrierSignal) -> Option<EventKind> {
    Some(match *signal {
        BarrierSignal::Arrived { party, arrived, parties, generation } => {
            EventKind::BarrierArrive { chunk: party, arrived, parties, generation }
        }
        BarrierSignal::Withdrawn { party, arrived, parties, generation } => {
            EventKind::BarrierWithdraw { chunk: party, arrived, parties, generation }
        }
        BarrierSignal::Released { leader, parties, generation } => {
            EventKind::BarrierRelease { leader, parties, generation }
        }
        BarrierSignal::Broken { ref reason, generation } => {
            EventKind::BarrierBroken { reason: reason.clone(), generation }
        }
        BarrierSignal::Dropped { .. } | BarrierSignal::Reset { .. } => return None,
    })
}

/// Reports a chunk future dropped before it finished. Cancellation in Rust is
/// the absence of polling, so the only place to see it is the drop.
struct CancelNotice<'r, 'a> {
    run: &'r Run<'a>,
    chunk: usize,
    phase: Phase,
    waiting: bool,
    armed: bool,
}

impl Drop for CancelNotice<'_, '_> {
    fn drop(&mut self) {
        if self.armed {
            let (chunk, phase, waiting) = (self.chunk, self.phase, self.waiting);
            self.run.emit(EventKind::ChunkCancelled { chunk, phase, waiting });
        }
    }
}
