//! [`Slots`]: a small first-come, first-served async semaphore for one
//! thread, cancel-safe at every point.
//!
//! Two users: the pacer's turn queue (one slot: one chunk at a time goes on
//! while a turn's budget is spent) and the simulated vector store (four
//! writes at a time, [`STORE_SLOTS`](crate::STORE_SLOTS)).
//!
//! Why not `futures::lock::Mutex` or `async_lock::Semaphore`: the first has
//! one slot and finds its next waiter by scanning a slab from the start
//! (quadratic at 100,000 waiters); neither is strictly first come, first
//! served when a waiter is cancelled after being handed a slot. Here a slot
//! released while someone waits goes straight to the oldest live waiter, so
//! no late-comer can take it in between.
//!
//! # Invariant
//!
//! `free + held == slots`, where `held` counts live [`Permit`]s and waiters
//! handed a slot that have not yet taken it; and `free > 0` only when no live
//! waiter is queued (a released slot is handed on before it is freed).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};

/// A first-come, first-served semaphore of a fixed number of slots.
///
/// ```
/// use futures::executor::block_on;
/// use rag_phase_sync::Slots;
/// let slots = Slots::new(2);
/// block_on(async {
///     let first = slots.acquire().await;
///     let _second = slots.acquire().await;
///     assert_eq!(slots.available(), 0);
///     drop(first); // nobody waits: the slot is free again
///     assert_eq!(slots.available(), 1);
/// });
/// ```
///
/// # Cancel safety
///
/// [`Slots::acquire`] may be dropped at any point: before its first poll
/// (it never queued), while queued (it leaves the queue), or after a slot
/// was handed to it but before it was polled again (the slot passes to the
/// next waiter, or is freed). Dropping a [`Permit`] does the same.
pub struct Slots {
    slots: usize,
    state: RefCell<Queue>,
}

#[derive(Default)]
struct Queue {
    /// Slots nobody holds.
    free: usize,
    /// Waiters in arrival order; some may be cancelled (see `stale`).
    waiting: VecDeque<Rc<Ticket>>,
    /// How many of `waiting` are cancelled: skipped when reached, swept out
    /// once they outnumber the live ones, so the queue stays proportional to
    /// the live waiters (cancelling 100,000 waiters one by one stays linear).
    stale: usize,
}

/// One waiter's place in the queue.
#[derive(Default)]
struct Ticket {
    waker: RefCell<Option<Waker>>,
    /// A slot was handed to this ticket.
    called: Cell<bool>,
    /// Its waiter was dropped before a slot was handed to it.
    cancelled: Cell<bool>,
}

/// A held slot; dropping it hands the slot to the oldest waiter, or frees it.
#[must_use = "the slot is released as soon as the permit is dropped"]
pub struct Permit<'s>(&'s Slots);

impl Slots {
    /// A semaphore of `slots` slots, all free. With 0 slots every
    /// [`acquire`](Slots::acquire) waits forever.
    pub fn new(slots: usize) -> Slots {
        Slots { slots, state: RefCell::new(Queue { free: slots, ..Queue::default() }) }
    }

    /// How many slots there are.
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// How many slots nobody holds.
    pub fn available(&self) -> usize {
        self.state.borrow().free
    }

    /// How many acquires are queued (cancelled ones not counted).
    pub fn waiters(&self) -> usize {
        let queue = self.state.borrow();
        queue.waiting.len() - queue.stale
    }

    /// A slot is free and nobody waits: an acquire now returns at once.
    pub fn is_free(&self) -> bool {
        let queue = self.state.borrow();
        queue.free > 0 && queue.waiting.len() == queue.stale
    }

    /// Waits for a slot, behind every acquire queued before it.
    ///
    /// Returns at once (without a wait) when a slot is free and nobody is
    /// queued. The future queues on its first poll, not when it is made.
    pub async fn acquire(&self) -> Permit<'_> {
        let ticket = {
            let mut queue = self.state.borrow_mut();
            if queue.free > 0 && queue.waiting.len() == queue.stale {
                queue.free -= 1;
                return Permit(self);
            }
            let ticket = Rc::new(Ticket::default());
            queue.waiting.push_back(ticket.clone());
            ticket
        };
        let mut waiting = Waiting { slots: self, ticket, done: false };
        poll_fn(|cx| {
            if waiting.ticket.called.get() {
                waiting.done = true;
                return Poll::Ready(());
            }
            let mut waker = waiting.ticket.waker.borrow_mut();
            if !waker.as_ref().is_some_and(|waker| waker.will_wake(cx.waker())) {
                *waker = Some(cx.waker().clone());
            }
            Poll::Pending
        })
        .await;
        Permit(self)
    }

    /// Hands a released slot to the oldest live waiter, or frees it.
    fn release(&self) {
        let next = {
            let mut queue = self.state.borrow_mut();
            let mut next = None;
            while let Some(ticket) = queue.waiting.pop_front() {
                if ticket.cancelled.get() {
                    queue.stale -= 1;
                } else {
                    next = Some(ticket);
                    break;
                }
            }
            if next.is_none() {
                queue.free += 1;
            }
            next
        };
        // Woken outside the borrow: a waker may poll (or drop) anything.
        if let Some(ticket) = next {
            ticket.called.set(true);
            let waker = ticket.waker.borrow_mut().take();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    /// A queued waiter was dropped before its slot came: it no longer counts,
    /// and once cancelled tickets outnumber live ones they are swept out.
    fn cancel(&self, ticket: &Ticket) {
        ticket.cancelled.set(true);
        let mut queue = self.state.borrow_mut();
        queue.stale += 1;
        if queue.stale > 16 && queue.stale * 2 > queue.waiting.len() {
            queue.waiting.retain(|ticket| !ticket.cancelled.get());
            queue.stale = 0;
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.0.release();
    }
}

/// A queued acquire; dropped before its slot came, it leaves the queue, and
/// dropped after one was handed to it but before it took it, passes it on.
struct Waiting<'s> {
    slots: &'s Slots,
    ticket: Rc<Ticket>,
    done: bool,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if self.ticket.called.get() {
            self.slots.release();
        } else {
            self.slots.cancel(&self.ticket);
        }
    }
}

impl fmt::Debug for Slots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slots")
            .field("slots", &self.slots)
            .field("available", &self.available())
            .field("waiters", &self.waiters())
            .finish()
    }
}

impl fmt::Debug for Permit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use super::Slots;

    fn poll<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
        future.poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn turns_go_first_come_first_served_and_skip_or_pass_on_when_dropped() {
        let slots = Slots::new(1);
        let first = poll(pin!(slots.acquire()));
        let Poll::Ready(first) = first else { panic!("a free slot is taken at once") };
        let mut second = Box::pin(slots.acquire());
        let mut third = Box::pin(slots.acquire());
        let mut fourth = Box::pin(slots.acquire());
        assert!(poll(second.as_mut()).is_pending() && poll(third.as_mut()).is_pending());
        assert!(poll(fourth.as_mut()).is_pending());
        assert_eq!(slots.waiters(), 3);

        drop(third); // gave up its place before its turn
        assert_eq!(slots.waiters(), 2);
        drop(first); // hands the slot to the second
        assert!(poll(fourth.as_mut()).is_pending(), "not before the second");
        drop(second); // called, but dropped before taking it: passes it on
        let Poll::Ready(fourth) = poll(fourth.as_mut()) else { panic!("the third was skipped") };
        drop(fourth);
        assert!(slots.is_free(), "free again");
        assert!(poll(pin!(slots.acquire())).is_ready());
    }

    #[test]
    fn cancelled_waiters_are_swept_so_the_queue_stays_small() {
        let slots = Slots::new(1);
        let Poll::Ready(held) = poll(pin!(slots.acquire())) else { panic!() };
        let mut live = Box::pin(slots.acquire());
        assert!(poll(live.as_mut()).is_pending());
        for _ in 0..10_000 {
            let mut gone = Box::pin(slots.acquire());
            assert!(poll(gone.as_mut()).is_pending());
            drop(gone);
        }
        assert!(slots.state.borrow().waiting.len() <= 40, "swept as it went");
        assert_eq!(slots.waiters(), 1);
        drop(held);
        assert!(poll(live.as_mut()).is_ready());
    }
}
