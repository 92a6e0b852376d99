//! The group's pacing: with the turn's budget spent, `run_group_paced` polls
//! one slice of tasks and yields to the event loop before the next, and still
//! loses no output and keeps the first failure in time.
#![cfg(not(target_arch = "wasm32"))]

use std::cell::Cell;
use std::future::{ready, Future};
use std::pin::pin;
use std::task::Poll;

use futures::channel::oneshot;
use futures::executor::block_on;
use futures::future::{join, FutureExt, Shared};
use rag_phase_sync::runtime::{sleep_ms, yield_now};
use rag_phase_sync::{run_group_paced, START_SLICE};

/// Runs `group` to the end, counting how often it gave the executor back its turn.
async fn counting_yields<T>(group: impl Future<Output = T>) -> (T, usize) {
    let mut group = pin!(group);
    let mut yields = 0;
    let output = std::future::poll_fn(|cx| match group.as_mut().poll(cx) {
        Poll::Pending => {
            yields += 1;
            Poll::Pending
        }
        ready => ready,
    })
    .await;
    (output, yields)
}

/// A turn's budget as the pacer keeps it: a task that works spends it, and a
/// yield to the event loop (asking, then yielding) starts a fresh one.
#[derive(Default)]
struct Budget {
    spent: Cell<bool>,
}

impl Budget {
    fn work(&self) {
        self.spent.set(true);
    }

    /// Spent? Asked right before the group yields, so a fresh turn follows.
    fn over(&self) -> bool {
        self.spent.replace(false)
    }
}

/// Tasks that each wait for one gate, as chunks parked at a barrier are all
/// woken by its release, and then work: every slice is ready at once.
fn woken_together<'a>(
    count: usize,
    budget: &'a Budget,
    gate: &'a Shared<oneshot::Receiver<()>>,
) -> impl Iterator<Item = impl Future<Output = Result<usize, usize>> + 'a> {
    (0..count).map(move |task| async move {
        let _ = gate.clone().await;
        budget.work();
        Ok(task)
    })
}

/// Runs a group of `tasks` woken together, asking `over_budget`; its outputs and how often it yielded.
fn run_woken(
    tasks: usize,
    budget: &Budget,
    over_budget: impl Fn() -> bool,
) -> (Result<Vec<usize>, usize>, usize) {
    let (open, gate) = oneshot::channel();
    let gate = gate.shared();
    let group =
        counting_yields(run_group_paced(woken_together(tasks, budget, &gate), || ready(()), over_budget));
    block_on(async {
        let opener = async {
            yield_now().await; // every task is waiting at the gate by now
            let _ = open.send(());
        };
        join(group, opener).await.0
    })
}

#[test]
fn a_spent_budget_yields_between_slices_and_loses_no_output() {
    let tasks = 3 * START_SLICE + 5; // four slices
    let budget = Budget::default();
    let (outputs, spent_yields) = run_woken(tasks, &budget, || budget.over());
    assert_eq!(outputs, Ok((0..tasks).collect::<Vec<_>>()), "every output, in the tasks' order");
    let (outputs, free_yields) = run_woken(tasks, &budget, || false);
    assert_eq!(outputs, Ok((0..tasks).collect::<Vec<_>>()));
    // Within budget the woken tasks all run in one poll; spent, one slice a turn.
    assert!(spent_yields >= free_yields + 3, "{spent_yields} yields spent vs {free_yields} within budget");
}

#[tokio::test(start_paused = true)]
async fn yielding_between_slices_keeps_the_first_failure_in_time() {
    // The last slice's task fails first (5 ms); the first slice's tasks would fail later (20 ms).
    let late = 3 * START_SLICE + 2;
    let tasks = (0..late + 1).map(|task| async move {
        match task {
            _ if task == late => {
                sleep_ms(5.0).await;
                Err(task)
            }
            0..=9 => {
                sleep_ms(20.0).await;
                Err(task)
            }
            _ => {
                sleep_ms(30.0).await;
                Ok(task)
            }
        }
    });
    // Every task's wake-up is work: the group yields after each slice that ran.
    let budget = Budget::default();
    let tasks = tasks.map(|task| async {
        let output = task.await;
        budget.work();
        output
    });
    assert_eq!(run_group_paced(tasks, || ready(()), || budget.over()).await, Err(late));
}
