//! Keeps a run from holding the event loop: after a slice of work, chunks
//! that reach their next phase queue for turns, and each turn starts with a
//! yield to the event loop.
//!
//! With zero latencies nothing in a run ever waits, so 100,000 chunks would
//! embed, score and rank in one task of over a second, and the tab would
//! freeze. A browser stays responsive when no task runs much past 50 ms; the
//! pacer ends a turn of the event loop once its work passes a budget.
//!
//! The turn's start is not visible from inside a chunk's future, so the
//! run's outermost future marks it ([`Pacer::new_turn`]) each time it is
//! polled: every poll of it is one turn of the event loop.
//!
//! Why a queue and not one shared gate that wakes everyone: a barrier
//! release wakes 100,000 chunks at once; a gate would let them all through
//! the same turn, or make every one of them re-check and re-park on every
//! turn (quadratic). The queue wakes one waiter at a time, each polled once:
//! the holder yields while the budget is spent, else passes the turn on.
//! (`futures::lock::Mutex` would do, but finds its next waiter by scanning a
//! slab from the start: quadratic again at 100,000 waiters.)
//!
//! Why nobody passes the queue, even within budget: each browser timer runs
//! as a task of its own, a fresh turn with a fresh budget. Chunks woken by a
//! run's timers (every ~1 ms at 100,000 chunks) would then always go first,
//! the queued chunks (those still to start, say) would wait for many frames,
//! and Chromium, fed task after task, held the page's frames back for its
//! ~100 ms limit: p95 frame 117 ms on the page at 100,000 chunks, 17 ms with
//! the queue kept.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};

use crate::runtime::{yield_now, LapClock};

/// Work in one turn of the event loop, at most (plus one chunk's phase).
pub const SLICE_MS: f64 = 8.0;

/// Ends a turn of the event loop once its work passes [`SLICE_MS`].
pub(crate) struct Pacer {
    /// The run's clock: the pacer reads it at every phase, and the run
    /// stamps events with those readings.
    pub(crate) clock: LapClock,
    turn_start: Cell<f64>,
    /// Who may go on while the budget is spent: one at a time, in order.
    turns: TurnQueue,
}

impl Pacer {
    /// A pacer with a clock started now, and the turn now running counted from then.
    pub(crate) fn new() -> Pacer {
        Pacer { clock: LapClock::start(), turn_start: Cell::new(0.0), turns: TurnQueue::default() }
    }

    /// A turn of the event loop begins: the budget is full again.
    pub(crate) fn new_turn(&self) {
        self.turn_start.set(self.clock.read());
    }

    /// Returns at once within budget if nobody waits; else waits for a turn,
    /// and the turn starts with a yield to the event loop if the budget is
    /// still spent.
    ///
    /// # Cancel safety
    ///
    /// Dropping it while it waits or yields passes the turn to the next waiter.
    pub(crate) async fn pace(&self) {
        if self.within_budget() && self.turns.is_free() {
            return;
        }
        let _turn = self.turns.take().await;
        if !self.within_budget() {
            // Resumed by a new turn, which new_turn() has marked.
            yield_now().await;
        }
    }

    /// Whether this turn of the event loop has spent its budget.
    pub(crate) fn over_budget(&self) -> bool {
        !self.within_budget()
    }

    /// Whether this turn of the event loop still has budget.
    fn within_budget(&self) -> bool {
        self.clock.read() - self.turn_start.get() < SLICE_MS
    }
}

/// A first-come, first-served queue for one turn at a time.
#[derive(Default)]
struct TurnQueue {
    state: RefCell<Queue>,
}

#[derive(Default)]
struct Queue {
    /// Someone holds the turn.
    busy: bool,
    /// Waiters in arrival order.
    waiting: VecDeque<Rc<Ticket>>,
}

/// One waiter's place in the queue.
#[derive(Default)]
struct Ticket {
    waker: RefCell<Option<Waker>>,
    /// The turn was handed to this ticket.
    called: Cell<bool>,
    /// Its waiter was dropped: skip it.
    cancelled: Cell<bool>,
}

/// The turn, held until dropped; dropping it hands it to the next waiter.
struct Turn<'q>(&'q TurnQueue);

impl TurnQueue {
    /// Nobody holds the turn or waits for it.
    fn is_free(&self) -> bool {
        let queue = self.state.borrow();
        !queue.busy && queue.waiting.is_empty()
    }

    /// Waits for the turn.
    async fn take(&self) -> Turn<'_> {
        let ticket = {
            let mut queue = self.state.borrow_mut();
            if !queue.busy && queue.waiting.is_empty() {
                queue.busy = true;
                return Turn(self);
            }
            let ticket = Rc::new(Ticket::default());
            queue.waiting.push_back(ticket.clone());
            ticket
        };
        let mut waiting = Waiting { queue: self, ticket, done: false };
        poll_fn(|cx| {
            if waiting.ticket.called.get() {
                waiting.done = true;
                return Poll::Ready(());
            }
            *waiting.ticket.waker.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        })
        .await;
        Turn(self)
    }

    /// Hands the turn to the first waiter still waiting, or frees it.
    fn pass_on(&self) {
        let next = {
            let mut queue = self.state.borrow_mut();
            let next =
                std::iter::from_fn(|| queue.waiting.pop_front()).find(|ticket| !ticket.cancelled.get());
            queue.busy = next.is_some();
            next
        };
        if let Some(ticket) = next {
            ticket.called.set(true);
            let waker = ticket.waker.borrow_mut().take();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.0.pass_on();
    }
}

/// A waiter in the queue; dropped before its turn, it gives up its place,
/// and dropped after being called but before taking the turn, passes it on.
struct Waiting<'q> {
    queue: &'q TurnQueue,
    ticket: Rc<Ticket>,
    done: bool,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if self.ticket.called.get() {
            self.queue.pass_on();
        } else {
            self.ticket.cancelled.set(true);
        }
    }
}

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pacer").field("turn_start", &self.turn_start.get()).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use super::TurnQueue;

    fn poll<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
        future.poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn turns_go_first_come_first_served_and_skip_or_pass_on_when_dropped() {
        let queue = TurnQueue::default();
        let first = poll(pin!(queue.take()));
        let Poll::Ready(first) = first else { panic!("a free queue gives the turn at once") };
        let mut second = Box::pin(queue.take());
        let mut third = Box::pin(queue.take());
        let mut fourth = Box::pin(queue.take());
        assert!(poll(second.as_mut()).is_pending() && poll(third.as_mut()).is_pending());
        assert!(poll(fourth.as_mut()).is_pending());

        drop(third); // gave up its place before its turn
        drop(first); // hands the turn to the second
        assert!(poll(fourth.as_mut()).is_pending(), "not before the second");
        drop(second); // called, but dropped before taking it: passes it on
        let Poll::Ready(fourth) = poll(fourth.as_mut()) else { panic!("the third was skipped") };
        drop(fourth);
        assert!(poll(pin!(queue.take())).is_ready(), "free again");
    }
}
