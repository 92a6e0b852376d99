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

use std::future::poll_fn;
use std::task::{ready, Context, Poll};

use futures::future::{select, Either, LocalBoxFuture};
use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;

use crate::runtime::yield_now;

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
    run_group_paced(tasks, || ready(()), || false).await
}

/// [`run_group`], starting the tasks [`START_SLICE`] at a time, each slice
/// after `pace()` resolves; the tasks already started run meanwhile. With a
/// `pace` that yields to the event loop when a turn's work runs long,
/// starting 100,000 tasks no longer takes one long turn. Tasks are taken
/// from `tasks` (and so created) as they start; a failure drops the tasks
/// running and the iterator with the ones not yet taken, and the first
/// failure in time still wins.
///
/// The running tasks are polled a slice at a time too: once `over_budget()`
/// says the turn's work is spent, the group yields to the event loop before
/// it polls another slice. (One `FuturesUnordered` polls every woken task in
/// one go, and a barrier's release wakes all 100,000 at once.)
pub async fn run_group_paced<T, E, F, P>(
    tasks: impl IntoIterator<Item = F>,
    mut pace: impl FnMut() -> P,
    over_budget: impl Fn() -> bool,
) -> Result<Vec<T>, E>
where
    F: Future<Output = Result<T, E>>,
    P: Future<Output = ()>,
{
    let mut unstarted = tasks.into_iter().enumerate().peekable();
    let mut outputs: Vec<Option<T>> = Vec::new();
    let mut running = Slices { slices: Vec::new(), next: 0, over_budget, yielding: None };
    // Returning early (a failure) drops `running` and `unstarted`, and with
    // them every unfinished task.
    while unstarted.peek().is_some() {
        let slice = FuturesUnordered::new();
        for (index, task) in unstarted.by_ref().take(START_SLICE) {
            outputs.push(None);
            slice.push(task.map(move |output| (index, output)));
        }
        running.slices.push(slice);
        let mut paced = pin!(pace());
        loop {
            if running.is_empty() {
                paced.await;
                break;
            }
            // The tasks first: the slice just started gets its first poll
            // before `pace` may let the next one start.
            match select(poll_fn(|cx| running.poll_next(cx)), paced.as_mut()).await {
                Either::Left((Some((index, output)), _)) => outputs[index] = Some(output?),
                Either::Left((None, _)) => {}
                Either::Right(((), _)) => break,
            }
        }
    }
    while let Some((index, output)) = poll_fn(|cx| running.poll_next(cx)).await {
        outputs[index] = Some(output?);
    }
    // Every task finished, so every slot is filled.
    Ok(outputs.into_iter().flatten().collect())
}

/// The group's running tasks as the slices they started in, polled one slice
/// after another, with a yield to the event loop between two slices once
/// `over_budget()` holds.
struct Slices<F, B> {
    slices: Vec<FuturesUnordered<F>>,
    /// The slice polled first next time: where the last poll stopped.
    next: usize,
    over_budget: B,
    /// The yield under way: no slice is polled until it has resolved.
    yielding: Option<LocalBoxFuture<'static, ()>>,
}

impl<F: Future, B: Fn() -> bool> Slices<F, B> {
    fn is_empty(&self) -> bool {
        self.slices.iter().all(FuturesUnordered::is_empty)
    }

    /// The next output of any slice; `None` once every slice is empty.
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<F::Output>> {
        if let Some(yielding) = &mut self.yielding {
            ready!(yielding.as_mut().poll(cx));
            self.yielding = None;
        }
        let count = self.slices.len();
        for _ in 0..count {
            if let Poll::Ready(Some(output)) = self.slices[self.next].poll_next_unpin(cx) {
                return Poll::Ready(Some(output));
            }
            self.next = (self.next + 1) % count;
            if (self.over_budget)() {
                let mut yielding = yield_now().boxed_local();
                if yielding.as_mut().poll(cx).is_pending() {
                    self.yielding = Some(yielding);
                    return Poll::Pending;
                }
            }
        }
        if self.is_empty() {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    }
}
