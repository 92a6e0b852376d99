//! The task group: every chunk runs; the first failure in time cancels the rest.
//!
//! What Python's `asyncio.TaskGroup` promises, for futures on one thread:
//!
//! - Every task is polled concurrently from the start (none waits for another
//!   to be polled first).
//! - When a task fails, the group returns **that** error: the first in
//!   completion order, whatever the task's index and however many tasks run.
//! - At that moment every other task is dropped, which is how a Rust future is
//!   cancelled: its timers are cleared and its drop guards run. Unlike
//!   `TaskGroup`, a dropped task runs no more code of its own, so a sibling's
//!   failure can never be masked by errors raised while cancelling.
//! - If no task fails, the outputs come back in the order the tasks were given.
//!
//! Why not `futures::future::try_join_all`: above 30 futures it collects them
//! in order (`FuturesOrdered`) and surfaces an error only when every earlier
//! task has finished, so a failure in chunk-5 waits behind a chunk-0 that is
//! parked at a barrier which will never release: a hang.

use std::future::{ready, Future};
use std::pin::pin;

use futures::future::{select, Either};
use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;

/// How many tasks [`run_group_paced`] starts between two calls of its `pace`.
pub const START_SLICE: usize = 1024;

/// Runs `tasks` as one group: all their outputs in order, or the first error
/// to happen, with every other task dropped (cancelled) before it returns.
///
/// ```
/// use futures::executor::block_on;
/// use futures::future::{pending, ready, Either};
/// use rag_phase_sync::run_group;
///
/// // Task 40 fails; the 39 before it never finish. try_join_all would hang here.
/// let tasks = (0..100).map(|task| match task {
///     40 => Either::Left(ready(Err(task))),
///     _ if task < 40 => Either::Right(Either::Left(pending::<Result<u32, u32>>())),
///     _ => Either::Right(Either::Right(ready(Ok(task)))),
/// });
/// assert_eq!(block_on(run_group(tasks)), Err(40));
/// ```
pub async fn run_group<T, E, F>(tasks: impl IntoIterator<Item = F>) -> Result<Vec<T>, E>
where
    F: Future<Output = Result<T, E>>,
{
    run_group_paced(tasks, || ready(())).await
}

/// [`run_group`], starting the tasks [`START_SLICE`] at a time, each slice
/// after `pace()` resolves; the tasks already started run meanwhile. With a
/// `pace` that yields to the event loop when a turn's work runs long,
/// starting 100,000 tasks no longer takes one long turn. Tasks are taken
/// from `tasks` (and so created) as they start; a failure drops the tasks
/// running and the iterator with the ones not yet taken, and the first
/// failure in time still wins.
pub async fn run_group_paced<T, E, F, P>(
    tasks: impl IntoIterator<Item = F>,
    mut pace: impl FnMut() -> P,
) -> Result<Vec<T>, E>
where
    F: Future<Output = Result<T, E>>,
    P: Future<Output = ()>,
{
    let mut unstarted = tasks.into_iter().enumerate().peekable();
    let mut outputs: Vec<Option<T>> = Vec::new();
    let mut running = FuturesUnordered::new();
    // Returning early (a failure) drops `running` and `unstarted`, and with
    // them every unfinished task.
    while unstarted.peek().is_some() {
        for (index, task) in unstarted.by_ref().take(START_SLICE) {
            outputs.push(None);
            running.push(task.map(move |output| (index, output)));
        }
        let mut paced = pin!(pace());
        loop {
            if running.is_empty() {
                paced.await;
                break;
            }
            // The tasks first: the slice just started gets its first poll
            // before `pace` may let the next one start.
            match select(running.next(), paced.as_mut()).await {
                Either::Left((Some((index, output)), _)) => outputs[index] = Some(output?),
                Either::Left((None, _)) => {}
                Either::Right(((), _)) => break,
            }
        }
    }
    while let Some((index, output)) = running.next().await {
        outputs[index] = Some(output?);
    }
    // Every task finished, so every slot is filled.
    Ok(outputs.into_iter().flatten().collect())
}
