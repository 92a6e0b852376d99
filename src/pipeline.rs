//! The seed's pipeline: `process_chunk` per chunk, `rag_pipeline` around them.
//!
//! Every chunk is one future. They run as one structured group
//! ([`run_group`](crate::run_group)): all finish, or the first failure in
//! time drops (cancels) the rest and is returned; under the drop-out policy a
//! failed chunk leaves the barrier instead and the others go on. One barrier
//! instance separates Phase 1 from Phase 2 (generation 0) and Phase 2 from
//! Phase 3 (generation 1). Phase 3 runs once, after the group is done: it
//! needs every score, and no chunk future should own the whole corpus.
//!
//! The seed's "Alternative Approach", one gather per phase, is
//! `gathered.rs`; [`rag_pipeline_until`] runs whichever the config asks for.

use std::cell::RefCell;
use std::future::{pending, Future};

use futures::future::LocalBoxFuture;

use crate::barrier::BarrierSignal;
use crate::barrier_choice::ChosenBarrier;
use crate::cancel::{CancelNotice, Unmade};
use crate::config::{Approach, ChunkErrorPolicy, ConfigError, RunConfig, CHUNKS};
use crate::embedder::Embedder;
use crate::event::{EventKind, EventSink, Phase};
use crate::gathered::rag_pipeline_gathered;
use crate::group::run_group_paced;
use crate::outcome::{Answered, ChunkError, Failure, Outcome, PipelineError};
use crate::phase_3::phase_3;
use crate::retrieval::index::CorpusIndex;
use crate::run::{drive, Run};
use crate::state::SharedState;

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
/// Runs the approach `config.approach` names: the barrier (here), or the
/// gathers ([`rag_pipeline_gathered`]).
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
    match config.approach {
        Approach::Barrier => drive(config, embedder, stop, sink, Approach::Barrier, barrier_body).await,
        Approach::Gather | Approach::GatherCollect => {
            rag_pipeline_gathered(config, embedder, stop, sink).await
        }
    }
}

/// The barrier approach's part of a run, boxed for [`drive`].
fn barrier_body<'r, 'a>(run: &'r Run<'a>) -> LocalBoxFuture<'r, Result<Answered, PipelineError>> {
    Box::pin(barrier_phases(run))
}

/// Runs every chunk as one group (each through Phase 1, the barrier, Phase
/// 2 and the barrier again), then Phase 3.
async fn barrier_phases(run: &Run<'_>) -> Result<Answered, PipelineError> {
    let chunks = run.chunks.len();
    let state = RefCell::new(SharedState::new(chunks));
    // Chunks::new guarantees at least one chunk, which is all new() checks.
    let barrier = ChosenBarrier::new(run.config.barrier, chunks, |signal: &BarrierSignal| {
        if let Some(kind) = barrier_event(signal, run.dropping.get()) {
            run.emit(kind);
        }
    })
    .map_err(|error| ConfigError::new(CHUNKS.field, error.to_string(), "0"))?;
    // Made and started a slice at a time, so 100,000 chunks do not all start
    // in one turn; chunks never made still report their cancellation.
    let group =
        Unmade::new(run, 0..chunks, Phase::Embed).map(|chunk| process_chunk(chunk, &state, &barrier, run));
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
    Ok(Answered { tasks: chunks, ..phase_3(run, state)? })
}

/// One chunk's life: Phase 1, its store write (with `store_ms` > 0), the
/// barrier, Phase 2, the same barrier again.
///
/// A chunk that fails is handled by the run's policy before it returns (see
/// `chunk_failed`): under fail-fast it breaks the barrier, so no sibling can
/// wait for it forever, whatever group runs the chunks; under drop-out it
/// leaves the barrier and returns `Ok`.
///
/// # Cancel safety
///
/// Dropping the future at any point is safe: a parked barrier wait withdraws
/// its arrival, a queued store write leaves the queue (one under way frees
/// its slot), timers are cleared, and a `chunk-cancelled` event reports
/// where it stopped, even if it was never polled (a store write counts as
/// Phase 1).
pub fn process_chunk<'r, 'o, 'a>(
    chunk: usize,
    state: &'r RefCell<SharedState>,
    barrier: &'r ChosenBarrier<'o>,
    run: &'r Run<'a>,
) -> impl Future<Output = Result<(), ChunkError>> + use<'r, 'o, 'a> {
    // Made before the future is first polled, so a chunk cancelled before
    // it started is reported too.
    let mut notice = CancelNotice::new(run, chunk, Phase::Embed);
    async move {
        notice.start();
        let failed = |notice: &mut CancelNotice, phase: Phase, failure: Failure| {
            notice.disarm();
            chunk_failed(run, chunk, phase, failure, barrier, state)
        };

        // Phase 1: embed, with the model if there is one, else the lexical
        // embedding after a simulated latency.
        let features = match run.embed_phase(chunk).await {
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
        // Before the barrier: this write overlaps slower chunks' embeddings.
        run.store(chunk).await;

        notice.at(Phase::Embed, true);
        arrive_and_wait(chunk, Phase::Embed, barrier, run).await?;

        // Phase 2: score, reading corpus statistics that exist only now.
        notice.at(Phase::Score, false);
        if let Err(failure) = run.score_phase(chunk).await {
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

/// What the group does with chunk `chunk`'s `failure` in `phase`, by
/// policy. Fail-fast reports it, breaks the barrier (so no sibling can
/// wait for this chunk forever, whatever group runs them) and returns the
/// error. Drop-out records it and leaves the barrier for good, so the
/// chunk ends quietly and the others need one party fewer.
fn chunk_failed(
    run: &Run<'_>,
    chunk: usize,
    phase: Phase,
    failure: Failure,
    barrier: &ChosenBarrier<'_>,
    state: &RefCell<SharedState>,
) -> Result<(), ChunkError> {
    if run.config.on_chunk_error == ChunkErrorPolicy::DropOut && barrier.can_drop_out() {
        let timed_out = matches!(failure, Failure::TimedOut { .. });
        let error = ChunkError { chunk, phase, failure };
        let message = error.failure.to_string();
        let (parties, generation) = (barrier.parties() - 1, barrier.generation());
        run.emit(EventKind::ChunkDropped { chunk, phase, message, timed_out, parties, generation });
        state.borrow_mut().dropped.push(error);
        run.dropping.set(Some(chunk));
        // Cannot fail: this chunk is one of the parties, so there is one to drop.
        let _ = barrier.arrive_and_drop();
        run.dropping.set(None);
        return Ok(());
    }
    let error = run.failed(chunk, phase, failure);
    barrier.abort(error.to_string());
    Err(error)
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

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::process_chunk;
    use crate::barrier::BarrierSignal;
    use crate::barrier_choice::ChosenBarrier;
    use crate::chunks::Chunks;
    use crate::config::{Approach, RunConfig};
    use crate::event::Event;
    use crate::pacer::Pacer;
    use crate::run::Run;
    use crate::state::SharedState;

    /// All 100,000 chunk futures of a big run are alive at once, so their
    /// size is the run's memory. Natively: 984 bytes before the store step
    /// and the shared phase bodies; 840 since (the embed phase's random
    /// stream lives in its own, shorter-lived future, and the store's wait
    /// and write are smaller than a phase, so they fit in its space).
    #[test]
    fn a_chunk_future_stays_small() {
        let config = RunConfig { store_ms: 20.0, ..RunConfig::default() };
        let (pacer, sink) = (Pacer::new(), |_: &Event| {});
        let chunks = Chunks::new(&config).unwrap();
        let run = Run::start(&config, chunks, None, &sink, &pacer, Approach::Barrier);
        let state = RefCell::new(SharedState::new(run.chunks.len()));
        let barrier = ChosenBarrier::new(config.barrier, run.chunks.len(), |_: &BarrierSignal| {}).unwrap();
        let future = process_chunk(0, &state, &barrier, &run);
        let size = std::mem::size_of_val(&future);
        if cfg!(target_pointer_width = "64") {
            assert!(size <= 840, "{size} bytes, 840 before (984 before the store step)");
        }
    }
}
