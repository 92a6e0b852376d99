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
//! The queue is [`Slots`] with one slot (`src/slots.rs`, which says why not
//! `futures::lock::Mutex`).
//!
//! Why nobody passes the queue, even within budget: each browser timer runs
//! as a task of its own, a fresh turn with a fresh budget. Chunks woken by a
//! run's timers (every ~1 ms at 100,000 chunks) would then always go first,
//! the queued chunks (those still to start, say) would wait for many frames,
//! and Chromium, fed task after task, held the page's frames back for its
//! ~100 ms limit: p95 frame 117 ms on the page at 100,000 chunks, 17 ms with
//! the queue kept.

use std::cell::Cell;

use crate::runtime::{yield_now, LapClock};
use crate::slots::Slots;

/// Work in one turn of the event loop, at most (plus one chunk's phase).
pub const SLICE_MS: f64 = 8.0;

/// Ends a turn of the event loop once its work passes [`SLICE_MS`].
pub(crate) struct Pacer {
    /// The run's clock: the pacer reads it at every phase, and the run
    /// stamps events with those readings.
    pub(crate) clock: LapClock,
    turn_start: Cell<f64>,
    /// Who may go on while the budget is spent: one at a time, in order.
    turns: Slots,
}

impl Pacer {
    /// A pacer with a clock started now, and the turn now running counted from then.
    pub(crate) fn new() -> Pacer {
        Pacer { clock: LapClock::start(), turn_start: Cell::new(0.0), turns: Slots::new(1) }
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
        let _turn = self.turns.acquire().await;
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

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pacer").field("turn_start", &self.turn_start.get()).finish_non_exhaustive()
    }
}
