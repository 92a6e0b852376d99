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

use std::future::Future;

use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;

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
    let running: FuturesUnordered<_> =
        tasks.into_iter().enumerate().map(|(index, task)| task.map(move |output| (index, output))).collect();
    let mut outputs: Vec<Option<T>> = std::iter::repeat_with(|| None).take(running.len()).collect();
    let mut running = running;
    while let Some((index, output)) = running.next().await {
        // Returning drops `running`, and with it every unfinished task.
        outputs[index] = Some(output?);
    }
    // The stream ended, so every task finished and every slot is filled.
    Ok(outputs.into_iter().flatten().collect())
}
