//! The seed's pipeline: `process_chunk` per chunk, `rag_pipeline` around them.
//!
//! Every chunk is one future. They run as one structured group
//! ([`run_group`]): all finish, or the first failure in time drops (cancels)
//! the rest and is returned; under the drop-out policy a failed chunk leaves
//! the barrier instead and the others go on. One barrier instance separates
//! Phase 1 from Phase 2 (generation 0) and Phase 2 from Phase 3 (generation
//! 1). Phase 3 runs once, here, after the group is done: it needs every
//! score, and no chunk future should own the whole corpus.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::{pending, poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicU32, Ordering};

use futures::future::{select, Either};

use crate::barrier::BarrierSignal;
use crate::barrier_choice::ChosenBarrier;
use crate::chunks::Chunks;
use crate::config::{ChunkErrorPolicy, ConfigError, RunConfig, CHUNKS};
use crate::embedder::{check_vector, Embedder};
use crate::event::{chunk_id, ChunkTime, Event, EventKind, EventSink, Phase, Scored, WithoutBarrier};
use crate::fault::{FaultKind, FaultPlan};
use crate::group::run_group_paced;
use crate::pacer::Pacer;
use crate::retrieval::answer::{answer_quotes, answer_text, Cited};
use crate::retrieval::index::{ChunkFeatures, CorpusIndex, Query, ScoreParts};
use crate::retrieval::rank::top_k_distinct;
use crate::rng::{random_seed, Rng};
use crate::runtime::{sleep_ms, timeout};

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
    /// Chunks that failed and dropped out (drop-out policy), in the order they did.
    pub dropped: Vec<ChunkError>,
}

impl SharedState {
    /// Empty state for `chunks` chunks.
    pub fn new(chunks: usize) -> Self {
        SharedState {
            index: CorpusIndex::new(chunks),
            scores: vec![None; chunks],
            early: vec![None; chunks],
            dropped: Vec::new(),
        }
    }
}

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

/// What Phase 3 produced, before the run's clock stops.
struct Answered {
    answer: String,
    quotes: Vec<QuotedSentence>,
    top: Vec<Ranked>,
    without_barrier: WithoutBarrier,
    dropped: Vec<ChunkError>,
    duplicates: usize,
}

/// One run's identity, clock, options, chunks, embedder and sink, shared by
/// its chunk futures.
pub struct Run<'a> {
    id: u32,
    seed: u64,
    config: &'a RunConfig,
    chunks: Chunks,
    faults: FaultPlan,
    embedder: Option<&'a dyn Embedder>,
    query: Query,
    sink: &'a dyn EventSink,
    chunk_time: Cell<ChunkTime>,
    /// The chunk dropping out right now, if any: a release it causes names it.
    dropping: Cell<Option<usize>>,
    /// Ends a turn of the event loop when its work runs long.
    pacer: &'a Pacer,
}

impl fmt::Debug for Run<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Run").field("id", &self.id).field("seed", &self.seed).finish_non_exhaustive()
    }
}

impl<'a> Run<'a> {
    fn start(
        config: &'a RunConfig,
        chunks: Chunks,
        embedder: Option<&'a dyn Embedder>,
        sink: &'a dyn EventSink,
        pacer: &'a Pacer,
    ) -> Self {
        Run {
            id: next_run_id(),
            seed: config.seed.unwrap_or_else(random_seed),
            config,
            chunks,
            faults: FaultPlan::new(&config.faults),
            embedder,
            query: Query::lexical(&config.query),
            pacer,
            sink,
            chunk_time: Cell::new(ChunkTime::default()),
            dropping: Cell::new(None),
        }
    }

    fn emit(&self, kind: EventKind) {
        // Stamped with the clock's last reading: every resumption after a
        // wait reads it (pace, the end of timed), so it is microseconds old.
        self.sink.emit(&Event { run: self.id, t_ms: self.pacer.clock.last(), kind });
    }

    /// Runs one phase of `chunk`'s work, the one place faults and timeouts
    /// apply: announces the phase, awaits the future `work` makes (or never,
    /// for a `hang` fault) within the phase timeout, counts the time as
    /// working time, and fails it for an `error` fault once the work is done.
    async fn phase<T, F: Future<Output = Result<T, String>>>(
        &self,
        chunk: usize,
        phase: Phase,
        planned_ms: Option<f64>,
        work: impl FnOnce() -> F,
    ) -> Result<T, Failure> {
        self.pacer.pace().await;
        self.emit(EventKind::PhaseStart { chunk, phase, planned_ms });
        let fault = self.faults.get(chunk, phase);
        let faulty = || async move {
            if fault == Some(FaultKind::Hang) {
                pending::<()>().await;
            }
            work().await
        };
        let output =
            self.timed(|| timeout(self.config.phase_timeout_ms, faulty()), |time| &mut time.working_ms);
        let output = output.await;
        // What follows the work (features, a score, the barrier) runs when a
        // timer wakes the chunk, in the timer's task: paced too, or a timer
        // waking thousands of chunks would be one long task.
        self.pacer.pace().await;
        match output {
            Err(after_ms) => Err(Failure::TimedOut { after_ms }),
            Ok(Err(message)) => Err(Failure::Error(message)),
            Ok(Ok(_)) if fault == Some(FaultKind::Error) => Err(Failure::Error("injected fault".to_string())),
            Ok(Ok(output)) => Ok(output),
        }
    }

    /// Awaits the future `wait` makes, adding the time it took to the
    /// chunks' waiting time.
    fn waiting<'s, F: Future + 's>(
        &'s self,
        wait: impl FnOnce() -> F + 's,
    ) -> impl Future<Output = F::Output> + 's {
        // Not an async fn: it returns timed's future rather than wrap it.
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
        let start = self.pacer.clock.last();
        let output = make().await;
        let mut time = self.chunk_time.get();
        *total(&mut time) += self.pacer.clock.read() - start;
        self.chunk_time.set(time);
        output
    }

    fn end(&self, error: Option<String>, aborted: bool) -> f64 {
        let makespan_ms = self.pacer.clock.read();
        self.emit(EventKind::RunEnd { makespan_ms, chunk_time: self.chunk_time.get(), error, aborted });
        makespan_ms
    }

    /// Chunk `chunk`'s own random stream (see `rng.rs` for why per chunk).
    fn rng(&self, chunk: usize) -> Rng {
        Rng::stream(self.seed, chunk as u64)
    }

    /// What the group does with chunk `chunk`'s `failure` in `phase`, by
    /// policy. Fail-fast reports it, breaks the barrier (so no sibling can
    /// wait for this chunk forever, whatever group runs them) and returns the
    /// error. Drop-out records it and leaves the barrier for good, so the
    /// chunk ends quietly and the others need one party fewer.
    fn chunk_failed(
        &self,
        chunk: usize,
        phase: Phase,
        failure: Failure,
        barrier: &ChosenBarrier<'_>,
        state: &RefCell<SharedState>,
    ) -> Result<(), ChunkError> {
        let timed_out = matches!(failure, Failure::TimedOut { .. });
        let error = ChunkError { chunk, phase, failure };
        let message = error.failure.to_string();
        if self.config.on_chunk_error == ChunkErrorPolicy::DropOut && barrier.can_drop_out() {
            let (parties, generation) = (barrier.parties() - 1, barrier.generation());
            self.emit(EventKind::ChunkDropped { chunk, phase, message, timed_out, parties, generation });
            state.borrow_mut().dropped.push(error);
            self.dropping.set(Some(chunk));
            // Cannot fail: this chunk is one of the parties, so there is one to drop.
            let _ = barrier.arrive_and_drop();
            self.dropping.set(None);
            return Ok(());
        }
        self.emit(EventKind::ChunkFailed { chunk, phase, message, timed_out });
        barrier.abort(error.to_string());
        Err(error)
    }
}

/// A run id no other run in this page or process has had (the hazard demo's runs draw from it too).
pub(crate) fn next_run_id() -> u32 {
    static NEXT_RUN: AtomicU32 = AtomicU32::new(1);
    NEXT_RUN.fetch_add(1, Ordering::Relaxed)
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
    rag_pipeline_until(config, None, pending(), sink).await
}

/// [`rag_pipeline`], with Phase 1 awaiting `embedder` (when given) for the
/// query and every chunk: its real latency replaces the simulated one, and
/// cosine compares its vectors. BM25 still reads the words.
pub async fn rag_pipeline_with(
    config: &RunConfig,
    embedder: Option<&dyn Embedder>,
    sink: &dyn EventSink,
) -> Result<Outcome, PipelineError> {
    rag_pipeline_until(config, embedder, pending(), sink).await
}

/// [`rag_pipeline_with`], stopped when `stop` resolves (the page's Stop
/// button, an `AbortSignal`): every chunk is dropped at once (its timers
/// cleared, a `chunk-cancelled` event each), a `run-end` event says the run
/// was aborted, and the result is [`PipelineError::Aborted`]. Nothing is
/// emitted after that.
///
/// ```
/// # #[cfg(target_arch = "wasm32")] fn main() {} // tokio's clock is native only
/// # #[cfg(not(target_arch = "wasm32"))]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use rag_phase_sync::runtime::sleep_ms;
/// use rag_phase_sync::{rag_pipeline_until, Event, PipelineError, RunConfig};
/// let stop = sleep_ms(50.0); // embedding takes 100 to 300 ms
/// let result = rag_pipeline_until(&RunConfig::default(), None, stop, &|_: &Event| {}).await;
/// assert_eq!(result.unwrap_err(), PipelineError::Aborted);
/// # }
/// ```
pub async fn rag_pipeline_until(
    config: &RunConfig,
    embedder: Option<&dyn Embedder>,
    stop: impl Future<Output = ()>,
    sink: &dyn EventSink,
) -> Result<Outcome, PipelineError> {
    config.validate()?;
    let pacer = Pacer::new();
    let mut run = Run::start(config, Chunks::new(config)?, embedder, sink, &pacer);
    let (chunks, seed, query) = (run.chunks.len(), run.seed, config.query.clone());
    let (barrier, policy) = (config.barrier, config.on_chunk_error);
    run.emit(EventKind::RunStart { chunks, seed, query, barrier, policy });

    let answered = {
        let mut running = pin!(answer(&mut run));
        // Every later poll of the run is one turn of the event loop: the
        // pacer's budget starts over. The first is in the turn that started
        // the run and cut the documents, whose budget counts from the clock's start.
        let mut first = true;
        let turns = poll_fn(|cx| {
            if !std::mem::take(&mut first) {
                pacer.new_turn();
            }
            running.as_mut().poll(cx)
        });
        match select(pin!(turns), pin!(stop)).await {
            Either::Left((answered, _)) => Some(answered),
            // Leaving this block drops the running future, which cancels
            // every chunk now: their notices report it before run-end does.
            Either::Right(_) => None,
        }
    };
    let Some(answered) = answered else {
        run.end(Some(PipelineError::Aborted.to_string()), true);
        return Err(PipelineError::Aborted);
    };
    let Answered { answer, quotes, top, without_barrier, dropped, duplicates } = match answered {
        Ok(answered) => answered,
        Err(error) => {
            run.end(Some(error.to_string()), false);
            return Err(error);
        }
    };
    let makespan_ms = run.end(None, false);
    let chunk_time = run.chunk_time.get();
    Ok(Outcome {
        run: run.id,
        seed: run.seed,
        answer,
        quotes,
        top,
        without_barrier,
        dropped,
        duplicates,
        makespan_ms,
        chunk_time,
    })
}

/// Embeds the query (with a model), runs every chunk as one group, then
/// Phase 3. Everything a run does between `run-start` and `run-end`.
async fn answer(run: &mut Run<'_>) -> Result<Answered, PipelineError> {
    // Cutting the documents was this turn's work (up to 100,000 chunks):
    // past the budget, the chunks start in the next turn, so no task does
    // both; within it (10,000 chunks), they start now, not a frame or two later.
    run.pacer.pace().await;
    let config = run.config;
    if let Some(embedder) = run.embedder {
        let vector = timeout(config.phase_timeout_ms, embedder.embed(&config.query))
            .await
            .unwrap_or_else(|after_ms| Err(Failure::TimedOut { after_ms }.to_string()))
            .and_then(|vector| check_vector(vector, None))
            .map_err(PipelineError::Query)?;
        run.query = Query::lexical(&config.query).with_vector(vector);
    }
    let run = &*run;
    let chunks = run.chunks.len();
    let state = RefCell::new(SharedState::new(chunks));
    // Chunks::new guarantees at least one chunk, which is all new() checks.
    let barrier = ChosenBarrier::new(config.barrier, chunks, |signal: &BarrierSignal| {
        if let Some(kind) = barrier_event(signal, run.dropping.get()) {
            run.emit(kind);
        }
    })
    .map_err(|error| ConfigError::new(CHUNKS.field, error.to_string(), "0"))?;
    // Made and started a slice at a time, so 100,000 chunks do not all start
    // in one turn; chunks never made still report their cancellation.
    let group = Unmade { next: 0, chunks, run }.map(|chunk| process_chunk(chunk, &state, &barrier, run));
    run_group_paced(group, || run.pacer.pace(), || run.pacer.over_budget())
        .await
        .map_err(PipelineError::Chunk)?;
    drop(barrier);
    // The last release finished every chunk at once, and freeing every
    // chunk's features takes ~20 ms at 100,000 chunks: each, and then Phase 3,
    // gets a turn of its own once the budget is spent (one long task before).
    let mut state = state.into_inner();
    run.pacer.pace().await;
    drop(std::mem::replace(&mut state.index, CorpusIndex::new(0)));
    run.pacer.pace().await;
    phase_3(run, state)
}

/// Phase 3, once, with every surviving chunk's score in hand: the top
/// chunks, what they would have been without the barrier, and the answer.
fn phase_3(run: &Run<'_>, state: SharedState) -> Result<Answered, PipelineError> {
    let SharedState { scores, early, dropped, .. } = state;
    let survivors = scores.iter().flatten().count();
    if survivors == 0 {
        return Err(PipelineError::AllDropped(dropped));
    }
    // A chunk with no score dropped out: NaN is never picked. Above the
    // corpus's own chunks the texts repeat: each is ranked once.
    let text = |chunk: usize| run.chunks.text(chunk);
    let totals: Vec<f64> = scores.iter().map(|parts| parts.map_or(f64::NAN, |parts| parts.score)).collect();
    let (best, duplicates) = top_k_distinct(&totals, TOP_K, text);
    let scored = |scores: &[f64], chunks: &[usize]| -> Vec<Scored> {
        chunks.iter().map(|&chunk| Scored { chunk, score: scores[chunk] }).collect()
    };
    run.emit(EventKind::TopChunks { top: scored(&totals, &best), duplicates });
    // Without the barrier, a survivor would have kept its early score.
    let early: Vec<f64> = early
        .iter()
        .zip(&scores)
        .map(|(early, parts)| match (early, parts) {
            (Some(early), Some(_)) => *early,
            _ => f64::NAN,
        })
        .collect();
    let changed =
        early.iter().zip(&totals).filter(|(early, total)| !early.is_nan() && early != total).count();
    let (early_best, _) = top_k_distinct(&early, TOP_K, text);
    let wrong = early_best.iter().filter(|chunk| !best.contains(chunk)).count();
    let without_barrier = WithoutBarrier { top: scored(&early, &early_best), changed, wrong };
    run.emit(EventKind::WithoutBarrier(without_barrier.clone()));
    run.emit(EventKind::AnswerStart { from: best.len() });
    let cited: Vec<Cited> = best
        .iter()
        .map(|&chunk| Cited { chunk, text: run.chunks.text(chunk), score: totals[chunk] })
        .collect();
    let quoted = answer_quotes(&run.query, &cited);
    let answer = answer_text(&quoted);
    let quotes = quoted
        .iter()
        .map(|quote| QuotedSentence { sentence: quote.sentence.to_string(), chunk: quote.chunk })
        .collect();
    run.emit(EventKind::Answer { text: answer.clone() });
    let top = best
        .iter()
        .filter_map(|&chunk| {
            let parts = scores[chunk]?;
            Some(Ranked { chunk, parts, text: run.chunks.text(chunk).to_string() })
        })
        .collect();
    Ok(Answered { answer, quotes, top, without_barrier, dropped, duplicates })
}

/// One chunk's life: Phase 1, the barrier, Phase 2, the same barrier again.
///
/// A chunk that fails is handled by the run's policy before it returns (see
/// `chunk_failed`): under fail-fast it breaks the barrier, so no sibling can
/// wait for it forever, whatever group runs the chunks; under drop-out it
/// leaves the barrier and returns `Ok`.
///
/// # Cancel safety
///
/// Dropping the future at any point is safe: a parked barrier wait withdraws
/// its arrival, timers are cleared, and a `chunk-cancelled` event reports
/// where it stopped, even if it was never polled.
pub fn process_chunk<'r, 'o, 'a>(
    chunk: usize,
    state: &'r RefCell<SharedState>,
    barrier: &'r ChosenBarrier<'o>,
    run: &'r Run<'a>,
) -> impl Future<Output = Result<(), ChunkError>> + use<'r, 'o, 'a> {
    // Made before the future is first polled, so a chunk cancelled before
    // it started is reported too.
    let mut notice =
        CancelNotice { run, chunk, phase: Phase::Embed, waiting: false, started: false, armed: true };
    async move {
        notice.started = true;
        let mut rng = run.rng(chunk);
        let scale = run.config.time_scale;
        let failed = |notice: &mut CancelNotice, phase: Phase, failure: Failure| {
            notice.disarm();
            run.chunk_failed(chunk, phase, failure, barrier, state)
        };

        // Phase 1: embed, with the model if there is one, else the lexical
        // embedding after a simulated latency.
        let text = run.chunks.text(chunk);
        let embedded = match run.embedder {
            Some(embedder) => {
                let expected_len = Some(run.query.vector().len());
                let embed = || async move { check_vector(embedder.embed(text).await?, expected_len) };
                let vector = run.phase(chunk, Phase::Embed, None, embed).await;
                vector.map(|vector| ChunkFeatures::lexical(text).with_vector(vector))
            }
            None => {
                let (low, high) = run.config.embed_ms;
                let planned_ms = rng.uniform(low, high) * scale;
                let slept = run.phase(chunk, Phase::Embed, Some(planned_ms), || simulated(planned_ms)).await;
                slept.map(|()| ChunkFeatures::lexical(text))
            }
        };
        let features = match embedded {
            Ok(features) => features,
            Err(failure) => return failed(&mut notice, Phase::Embed, failure),
        };
        let early = {
            let mut state = state.borrow_mut();
            state.index.publish(chunk, features);
            // Not used for ranking: recorded to show what the barrier prevents.
            let early = state.index.score(chunk, &run.query).map(|parts| parts.score);
            state.early[chunk] = early;
            early
        };
        run.emit(EventKind::PhaseComplete { chunk, phase: Phase::Embed, score: None, early });

        notice.at(Phase::Embed, true);
        arrive_and_wait(chunk, Phase::Embed, barrier, run).await?;

        // Phase 2: score, reading corpus statistics that exist only now.
        notice.at(Phase::Score, false);
        let planned_ms = run.config.score_ms * scale;
        if let Err(failure) = run.phase(chunk, Phase::Score, Some(planned_ms), || simulated(planned_ms)).await
        {
            return failed(&mut notice, Phase::Score, failure);
        }
        let score = {
            let mut state = state.borrow_mut();
            let score = state.index.score(chunk, &run.query);
            state.scores[chunk] = score;
            score
        };
        run.emit(EventKind::PhaseComplete { chunk, phase: Phase::Score, score, early: None });

        notice.at(Phase::Score, true);
        arrive_and_wait(chunk, Phase::Score, barrier, run).await?;
        notice.disarm();
        Ok(())
    }
}

/// A phase's simulated work: a sleep of `ms`, which cannot fail.
async fn simulated(ms: f64) -> Result<(), String> {
    sleep_ms(ms).await;
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
        failure: Failure::Error(error.to_string()),
    })
}

/// The event a barrier signal becomes; the pipeline passes chunk indices as
/// party ids, and `dropping` is the chunk dropping out as the signal is sent.
/// A drop-out is reported by the chunk (`chunk-dropped`), and the pipeline
/// never resets the barrier.
pub(crate) fn barrier_event(signal: &BarrierSignal, dropping: Option<usize>) -> Option<EventKind> {
    Some(match *signal {
        BarrierSignal::Arrived { party, arrived, parties, generation } => {
            EventKind::BarrierArrive { chunk: party, arrived, parties, generation }
        }
        BarrierSignal::Withdrawn { party, arrived, parties, generation } => {
            EventKind::BarrierWithdraw { chunk: party, arrived, parties, generation }
        }
        BarrierSignal::Released { leader, parties, generation } => {
            EventKind::BarrierRelease { leader, parties, generation, dropped_out: dropping }
        }
        BarrierSignal::Broken { ref reason, generation } => {
            EventKind::BarrierBroken { reason: reason.clone(), generation }
        }
        BarrierSignal::Dropped { .. } | BarrierSignal::Reset { .. } => return None,
    })
}

/// The chunks whose futures are not made yet, in order. Dropped before the
/// last is taken (a sibling failed, the run was stopped), it reports each
/// one left as cancelled before it started, as a made future's notice would.
struct Unmade<'r, 'a> {
    next: usize,
    chunks: usize,
    run: &'r Run<'a>,
}

impl Iterator for Unmade<'_, '_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let chunk = self.next;
        (chunk < self.chunks).then(|| {
            self.next += 1;
            chunk
        })
    }
}

impl Drop for Unmade<'_, '_> {
    fn drop(&mut self) {
        for chunk in self.next..self.chunks {
            let (phase, waiting, started) = (Phase::Embed, false, false);
            self.run.emit(EventKind::ChunkCancelled { chunk, phase, waiting, started });
        }
    }
}

/// Reports a chunk future dropped before it finished. Cancellation in Rust is
/// the absence of polling, so the only place to see it is the drop.
struct CancelNotice<'r, 'a> {
    run: &'r Run<'a>,
    chunk: usize,
    phase: Phase,
    waiting: bool,
    started: bool,
    armed: bool,
}

impl CancelNotice<'_, '_> {
    /// The chunk is now in `phase`, or `waiting` at the barrier after it.
    fn at(&mut self, phase: Phase, waiting: bool) {
        (self.phase, self.waiting) = (phase, waiting);
    }

    /// The chunk ended on its own (done, failed or dropped out): nothing to report.
    fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for CancelNotice<'_, '_> {
    fn drop(&mut self) {
        if self.armed {
            let (chunk, phase, waiting, started) = (self.chunk, self.phase, self.waiting, self.started);
            self.run.emit(EventKind::ChunkCancelled { chunk, phase, waiting, started });
        }
    }
}
