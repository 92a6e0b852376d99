//! The seed's "Alternative Approach": no barrier, one gather per phase.
//!
//! ```python
//! embeddings = await asyncio.gather(*[embed_chunk(c) for c in chunks])
//! scores = await asyncio.gather(*[score_chunk(c, embeddings) for c in chunks])
//! answer = generate_answer(scores)
//! ```
//!
//! Each gather is a structured group of new per-chunk task futures
//! ([`run_group_paced`], as the barrier approach runs its chunks), joined
//! before the next gather's tasks are even made. Phase 1's tasks return
//! their features into a list; the corpus index is built from that list;
//! Phase 2's tasks read it; Phase 3 is the barrier approach's own.
//!
//! - [`Approach::Gather`], the first failure in time drops the gather's
//!   other tasks and fails the run, as `try_join_all` does. (Python's
//!   `asyncio.gather` propagates its first error too, but leaves the other
//!   tasks running with no one awaiting them; dropping a Rust future is
//!   cancelling it.) Tasks of that gather that had already finished just
//!   end: no later gather is made.
//! - [`Approach::GatherCollect`], `gather(return_exceptions=True)`,
//!   `Promise.allSettled`. Every task runs to its end, a failure is a value
//!   in the list, nobody is cancelled; Phase 2 runs for the chunks whose
//!   Phase 1 succeeded, and Phase 3 ranks the chunks that scored. A `hang`
//!   with no phase timeout hangs the gather forever: nothing cancels it.
//!
//! `onChunkError` and `barrier` are barrier options, ignored here. With
//! `store_ms` > 0 the store writes are a gather of their own between the
//! two (see `store.rs`). The scores equal the barrier approach's bit for
//! bit: corpus statistics are integers, the same whatever order the chunks
//! were indexed in (`tests/gathered.rs`).

use std::cell::Cell;
use std::future::Future;

use futures::future::LocalBoxFuture;
use futures::FutureExt;

use crate::cancel::{CancelNotice, Unmade};
use crate::config::{Approach, RunConfig};
use crate::embedder::Embedder;
use crate::event::{EventKind, EventSink, GatherStep, Phase};
use crate::group::run_group_paced;
use crate::outcome::{Answered, ChunkError, Failure, Outcome, PipelineError};
use crate::phase_3::phase_3;
use crate::retrieval::index::{ChunkFeatures, CorpusIndex, ScoreParts};
use crate::run::{drive, Run};
use crate::state::SharedState;

/// [`rag_pipeline_until`](crate::rag_pipeline_until) with the gathers:
/// `gather-collect` if `config.approach` says so, else `gather` (whatever
/// else it says). Same events, outcome and stop as the barrier approach,
/// with `gather-start`/`gather-end` around each gather and no `barrier-*`
/// event; Phase 1's `phase-complete` carries no `early` score (nothing is
/// indexed until the gather joins), but `without-barrier` reports the same
/// early scores, computed as the index is built from the list.
///
/// ```
/// # #[cfg(target_arch = "wasm32")] fn main() {} // tokio's clock is native only
/// # #[cfg(not(target_arch = "wasm32"))]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::future::pending;
/// use rag_phase_sync::{rag_pipeline, rag_pipeline_gathered, Approach, Event, RunConfig};
/// let barrier = RunConfig { seed: Some(3), ..RunConfig::default() };
/// let gather = RunConfig { approach: Approach::Gather, ..barrier.clone() };
/// let sink = |_: &Event| {};
/// let a = rag_pipeline(&barrier, &sink).await.unwrap();
/// let b = rag_pipeline_gathered(&gather, None, pending(), &sink).await.unwrap();
/// assert_eq!((a.top, a.answer), (b.top, b.answer));
/// assert_eq!((a.tasks, b.tasks), (46, 92)); // one future per chunk, or per chunk and gather
/// # }
/// ```
pub async fn rag_pipeline_gathered(
    config: &RunConfig,
    embedder: Option<&dyn Embedder>,
    stop: impl Future<Output = ()>,
    sink: &dyn EventSink,
) -> Result<Outcome, PipelineError> {
    let approach = match config.approach {
        Approach::GatherCollect => Approach::GatherCollect,
        Approach::Barrier | Approach::Gather => Approach::Gather,
    };
    drive(config, embedder, stop, sink, approach, gathered_body).await
}

/// The gathers' part of a run, boxed for [`drive`].
fn gathered_body<'r, 'a>(run: &'r Run<'a>) -> LocalBoxFuture<'r, Result<Answered, PipelineError>> {
    Box::pin(gathered_phases(run))
}

/// What a gather's task returns, by step. One type for every gather, so
/// the gathers share one task future type and one group: each distinct one
/// is another copy of `run_group_paced` in the page's `.wasm`.
enum Done {
    /// Phase 1's entry in the list: the chunk's features, and its place in
    /// the order the embeddings finished.
    Embedded { finished: usize, features: ChunkFeatures },
    /// The store write is done.
    Stored,
    /// Phase 2's score.
    Scored(Option<ScoreParts>),
}

/// Gather 1 (embed), the index from its list, gather 2 (store, with a
/// store), gather 3 (score), Phase 3.
async fn gathered_phases(run: &Run<'_>) -> Result<Answered, PipelineError> {
    let chunks = run.chunks.len();
    let mut gathers = Gathers { run, started: 0, finished: Cell::new(0) };
    let mut collected = Vec::new();

    // Gather 1: `embeddings = await gather(embed(c) for c in chunks)`.
    let all: Vec<usize> = (0..chunks).collect();
    let embeddings = gathers.gather(GatherStep::Embed, &all, None).await?;
    let mut tasks = chunks;

    // The index, built from the list in the order the embeddings finished:
    // each chunk's early score then reads what it would have read had it
    // scored the moment it was embedded, as in the barrier approach.
    let mut list = Vec::with_capacity(chunks);
    let mut by_finish = vec![usize::MAX; gathers.finished.get()];
    // The chunks that embedded, in chunk order: the next gathers' tasks.
    let mut survivors = Vec::with_capacity(by_finish.len());
    for (chunk, embedded) in embeddings.into_iter().enumerate() {
        list.push(match embedded {
            Ok(Done::Embedded { finished, features }) => {
                by_finish[finished] = chunk;
                survivors.push(chunk);
                Some(features)
            }
            // An embed task returns its features.
            Ok(Done::Stored | Done::Scored(_)) => None,
            Err(error) => {
                collected.push(error);
                None
            }
        });
    }
    drop(all);
    let mut state = SharedState::new(chunks);
    for chunk in by_finish {
        let Some(features) = list.get_mut(chunk).and_then(Option::take) else { continue };
        // 100,000 chunks take tens of ms to index: a turn at a time.
        run.pacer.pace().await;
        state.index.publish(chunk, features);
        state.early[chunk] = state.index.score(chunk, &run.query).map(|parts| parts.score);
    }
    drop(list);

    // Gather 2, with a store: every embedded chunk's vector, written.
    if run.store.is_some() {
        gathers.gather(GatherStep::Store, &survivors, None).await?;
        tasks += survivors.len();
    }

    // The last gather: `scores = await gather(score(c, embeddings) for c in chunks)`.
    let scores = gathers.gather(GatherStep::Score, &survivors, Some(&state.index)).await?;
    tasks += survivors.len();
    for (&chunk, scored) in survivors.iter().zip(scores) {
        match scored {
            Ok(Done::Scored(score)) => state.scores[chunk] = score,
            Ok(Done::Embedded { .. } | Done::Stored) => {}
            Err(error) => collected.push(error),
        }
    }

    // As the barrier approach does: freeing the features gets a turn of its own.
    run.pacer.pace().await;
    drop(std::mem::replace(&mut state.index, CorpusIndex::new(0)));
    run.pacer.pace().await;
    if state.scores.iter().all(Option::is_none) {
        return Err(PipelineError::AllFailed(collected));
    }
    Ok(Answered { tasks, collected, ..phase_3(run, state)? })
}

/// Numbers a run's gathers and runs each one.
struct Gathers<'r, 'a> {
    run: &'r Run<'a>,
    started: usize,
    /// How many embeddings have finished: the next one's place in that order.
    finished: Cell<usize>,
}

impl Gathers<'_, '_> {
    /// Runs one task per chunk of `chunks` doing `step` as one gather
    /// (Phase 2 reads `index`), reporting `gather-start` and `gather-end`:
    /// their outputs in `chunks`' order, each a value or (gather-collect) a
    /// collected failure; with approach `gather`, the first failure in time
    /// instead, the other tasks dropped. The time each finished task spends
    /// waiting for the join counts as waiting time, as a chunk's wait at the
    /// barrier does.
    async fn gather(
        &mut self,
        step: GatherStep,
        chunks: &[usize],
        index: Option<&CorpusIndex>,
    ) -> Result<Vec<Result<Done, ChunkError>>, PipelineError> {
        let (run, finished) = (self.run, &self.finished);
        self.started += 1;
        let (gather, tasks) = (self.started, chunks.len());
        run.emit(EventKind::GatherStart { gather, step, tasks });
        let collect = run.approach == Approach::GatherCollect;
        // How many tasks finished well, and the sum of when they did.
        let (done, ended_ms) = (Cell::new(0), Cell::new(0.0));
        let made = Unmade::new(run, chunks.iter().copied(), step.phase()).map(|chunk| {
            let work = move || work(run, chunk, step, finished, index);
            task(run, chunk, step.phase(), work).map(|output| {
                if output.is_ok() {
                    done.set(done.get() + 1);
                    ended_ms.set(ended_ms.get() + run.pacer.clock.last());
                }
                // A failure ends the group, or is a value in the list.
                if collect {
                    Ok(output)
                } else {
                    output.map(Ok)
                }
            })
        });
        let joined = run_group_paced(made, || run.pacer.pace(), || run.pacer.over_budget()).await;
        let joined_ms = run.pacer.clock.read();
        run.add_time(|time| &mut time.waiting_ms, done.get() as f64 * joined_ms - ended_ms.get());
        let outputs = match joined {
            Ok(outputs) => outputs,
            Err(error) => {
                run.emit(EventKind::GatherEnd { gather, step, tasks, failed: 1 });
                return Err(PipelineError::Chunk(error));
            }
        };
        let failed = outputs.iter().filter(|output| output.is_err()).count();
        run.emit(EventKind::GatherEnd { gather, step, tasks, failed });
        Ok(outputs)
    }
}

/// One gather's task for `chunk`: the work `work` makes, reported
/// `chunk-failed` if it fails and `chunk-cancelled` (as in `phase`) if it is
/// dropped unfinished. Takes a closure, not a future, so the work is stored
/// once in the task (see `Run::timed`): 100,000 tasks are alive at once.
fn task<'r, 'a, T, F, W>(
    run: &'r Run<'a>,
    chunk: usize,
    phase: Phase,
    work: W,
) -> impl Future<Output = Result<T, ChunkError>> + use<'r, 'a, T, F, W>
where
    W: FnOnce() -> F,
    F: Future<Output = Result<T, Failure>>,
{
    let mut notice = CancelNotice::new(run, chunk, phase);
    async move {
        notice.start();
        let output = work().await;
        notice.disarm();
        output.map_err(|failure| run.failed(chunk, phase, failure))
    }
}

/// What `chunk`'s task does in a gather of `step`: Phase 1 (its features,
/// numbered by `finished` in the order the embeddings finish), its store
/// write (which cannot fail), or Phase 2 (its score, read from `index`,
/// built from every embedding).
async fn work(
    run: &Run<'_>,
    chunk: usize,
    step: GatherStep,
    finished: &Cell<usize>,
    index: Option<&CorpusIndex>,
) -> Result<Done, Failure> {
    Ok(match step {
        GatherStep::Embed => {
            let features = run.embed_phase(chunk).await?;
            let place = finished.get();
            finished.set(place + 1);
            // No early score: nothing is indexed until the gather has joined.
            run.emit(EventKind::PhaseComplete { chunk, phase: Phase::Embed, score: None, early: None });
            Done::Embedded { finished: place, features }
        }
        GatherStep::Store => {
            run.store(chunk).await;
            Done::Stored
        }
        GatherStep::Score => {
            run.score_phase(chunk).await?;
            let score = index.and_then(|index| index.score(chunk, &run.query));
            run.emit(EventKind::PhaseComplete { chunk, phase: Phase::Score, score, early: None });
            Done::Scored(score)
        }
    })
}
