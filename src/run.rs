//! [`Run`]: one run's identity, clock, options, chunks and sink, shared by
//! its task futures whatever the approach; the one place a chunk's phase
//! meets faults, timeouts and pacing ([`Run::phase`]); and the run's life
//! from `run-start` to `run-end` ([`drive`]), around the approach's body.

use std::cell::Cell;
use std::fmt;
use std::future::{pending, poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicU32, Ordering};

use futures::future::{select, Either, LocalBoxFuture};

use crate::chunks::Chunks;
use crate::config::{Approach, RunConfig};
use crate::embedder::{check_vector, Embedder};
use crate::event::{ChunkTime, Event, EventKind, EventSink, Phase};
use crate::fault::{FaultKind, FaultPlan};
use crate::outcome::{Answered, ChunkError, Failure, Outcome, PipelineError};
use crate::pacer::Pacer;
use crate::retrieval::index::Query;
use crate::rng::{random_seed, Rng};
use crate::runtime::timeout;
use crate::store::VectorStore;

/// One run's identity, clock, options, chunks, embedder and sink, shared by
/// its task futures.
pub struct Run<'a> {
    pub(crate) id: u32,
    pub(crate) seed: u64,
    pub(crate) config: &'a RunConfig,
    pub(crate) chunks: Chunks,
    faults: FaultPlan,
    pub(crate) embedder: Option<&'a dyn Embedder>,
    pub(crate) query: Query,
    sink: &'a dyn EventSink,
    chunk_time: Cell<ChunkTime>,
    /// The chunk dropping out right now, if any: a release it causes names it.
    pub(crate) dropping: Cell<Option<usize>>,
    /// Ends a turn of the event loop when its work runs long.
    pub(crate) pacer: &'a Pacer,
    /// How the phases are synchronised (what `run-start` reports).
    pub(crate) approach: Approach,
    /// The simulated vector store, when `store_ms` > 0.
    pub(crate) store: Option<VectorStore>,
}

impl fmt::Debug for Run<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Run").field("id", &self.id).field("seed", &self.seed).finish_non_exhaustive()
    }
}

/// An approach's part of a run, between the query's embedding and
/// `run-end`: every chunk's phases, then Phase 3. A boxed future (one
/// allocation per run) so [`drive`] can take either approach.
pub(crate) type Body = for<'r, 'a> fn(&'r Run<'a>) -> LocalBoxFuture<'r, Result<Answered, PipelineError>>;

impl<'a> Run<'a> {
    pub(crate) fn start(
        config: &'a RunConfig,
        chunks: Chunks,
        embedder: Option<&'a dyn Embedder>,
        sink: &'a dyn EventSink,
        pacer: &'a Pacer,
        approach: Approach,
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
            approach,
            store: VectorStore::new(config.store_ms, config.time_scale),
        }
    }

    pub(crate) fn emit(&self, kind: EventKind) {
        // Stamped with the clock's last reading: every resumption after a
        // wait reads it (pace, the end of timed), so it is microseconds old.
        self.sink.emit(&Event { run: self.id, t_ms: self.pacer.clock.last(), kind });
    }

    /// Runs one phase of `chunk`'s work, the one place faults and timeouts
    /// apply: announces the phase, awaits the future `work` makes (or never,
    /// for a `hang` fault) within the phase timeout, counts the time as
    /// working time, and fails it for an `error` fault once the work is done.
    pub(crate) async fn phase<T, F: Future<Output = Result<T, String>>>(
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
        let output = self.working(|| timeout(self.config.phase_timeout_ms, faulty()));
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

    /// Awaits the future `work` makes, adding the time it took to the
    /// chunks' working time.
    pub(crate) fn working<'s, F: Future + 's>(
        &'s self,
        work: impl FnOnce() -> F + 's,
    ) -> impl Future<Output = F::Output> + 's {
        // Not an async fn: it returns timed's future rather than wrap it.
        self.timed(work, |time| &mut time.working_ms)
    }

    /// Awaits the future `wait` makes, adding the time it took to the
    /// chunks' waiting time.
    pub(crate) fn waiting<'s, F: Future + 's>(
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
        let start = self.pacer.clock.last();
        let output = make().await;
        self.add_time(total, self.pacer.clock.read() - start);
        output
    }

    /// Adds `ms` to the chunks' working or waiting time.
    pub(crate) fn add_time(&self, total: fn(&mut ChunkTime) -> &mut f64, ms: f64) {
        let mut time = self.chunk_time.get();
        *total(&mut time) += ms;
        self.chunk_time.set(time);
    }

    fn end(&self, error: Option<String>, aborted: bool) -> f64 {
        let makespan_ms = self.pacer.clock.read();
        self.emit(EventKind::RunEnd { makespan_ms, chunk_time: self.chunk_time.get(), error, aborted });
        makespan_ms
    }

    /// Chunk `chunk`'s own random stream (see `rng.rs` for why per chunk).
    pub(crate) fn rng(&self, chunk: usize) -> Rng {
        Rng::stream(self.seed, chunk as u64)
    }

    /// Reports that chunk `chunk` failed in `phase` (`chunk-failed`) and
    /// returns the error; what follows is the approach's to decide.
    pub(crate) fn failed(&self, chunk: usize, phase: Phase, failure: Failure) -> ChunkError {
        let timed_out = matches!(failure, Failure::TimedOut { .. });
        let error = ChunkError { chunk, phase, failure };
        let message = error.failure.to_string();
        self.emit(EventKind::ChunkFailed { chunk, phase, message, timed_out });
        error
    }
}

/// A run id no other run in this page or process has had (the hazard demo's runs draw from it too).
pub(crate) fn next_run_id() -> u32 {
    static NEXT_RUN: AtomicU32 = AtomicU32::new(1);
    NEXT_RUN.fetch_add(1, Ordering::Relaxed)
}

/// A whole run with `approach`: checks the config, reports `run-start`,
/// embeds the query (with a model), runs `body`, and reports `run-end`;
/// stopped when `stop` resolves, which drops (cancels) everything `body`
/// runs and fails with [`PipelineError::Aborted`].
pub(crate) async fn drive(
    config: &RunConfig,
    embedder: Option<&dyn Embedder>,
    stop: impl Future<Output = ()>,
    sink: &dyn EventSink,
    approach: Approach,
    body: Body,
) -> Result<Outcome, PipelineError> {
    config.validate()?;
    let pacer = Pacer::new();
    let mut run = Run::start(config, Chunks::new(config)?, embedder, sink, &pacer, approach);
    let (chunks, seed, query) = (run.chunks.len(), run.seed, config.query.clone());
    let (barrier, policy, store_ms) = (config.barrier, config.on_chunk_error, config.store_ms);
    run.emit(EventKind::RunStart { chunks, seed, query, barrier, policy, approach, store_ms });

    let answered = {
        let mut running = pin!(answer(&mut run, body));
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
    let Answered { answer, quotes, top, without_barrier, dropped, duplicates, tasks, collected } =
        match answered {
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
        approach,
        tasks,
        collected,
        makespan_ms,
        chunk_time,
    })
}

/// Embeds the query (with a model), then runs the approach's `body`.
/// Everything a run does between `run-start` and `run-end`.
async fn answer(run: &mut Run<'_>, body: Body) -> Result<Answered, PipelineError> {
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
    body(run).await
}
