//! Keeps a run from holding the event loop: after a slice of work, every
//! chunk that reaches its next phase waits for one shared yield.
//!
//! With zero latencies nothing in a run ever waits, so 100,000 chunks would
//! embed, score and rank in one task of over a second, and the tab would
//! freeze. A browser stays responsive when no task runs much past 50 ms; the
//! pacer ends a turn of the event loop once its work passes a budget.
//!
//! The turn's start is not visible from inside a future, so the pacer infers
//! it: a call that comes after an idle gap (the run was waiting for a timer
//! or a promise) starts a new slice. Within a slice calls come microseconds
//! apart, one per chunk phase.

use std::cell::{Cell, RefCell};

use futures::future::{FutureExt, LocalBoxFuture, Shared};

use crate::runtime::{yield_now, Stopwatch};

/// Work in one turn of the event loop, at most (plus one chunk's phase).
pub const SLICE_MS: f64 = 8.0;

/// A gap between calls longer than this means the run was idle: a new turn.
const IDLE_GAP_MS: f64 = 1.0;

/// Ends a turn of the event loop once its work passes [`SLICE_MS`].
pub(crate) struct Pacer {
    clock: Stopwatch,
    slice_start: Cell<f64>,
    last_call: Cell<f64>,
    /// The yield every chunk over budget waits on, shared so one trip
    /// through the event loop releases them all.
    gate: RefCell<Option<Shared<LocalBoxFuture<'static, ()>>>>,
}

impl Pacer {
    /// A pacer reading `clock`.
    pub(crate) fn new(clock: Stopwatch) -> Pacer {
        Pacer { clock, slice_start: Cell::new(0.0), last_call: Cell::new(0.0), gate: RefCell::new(None) }
    }

    /// Returns at once within budget; past it, yields to the event loop first.
    ///
    /// # Cancel safety
    ///
    /// Dropping it while it waits leaves the gate to the other waiters.
    pub(crate) async fn pace(&self) {
        let now = self.clock.elapsed_ms();
        if now - self.last_call.get() > IDLE_GAP_MS {
            self.slice_start.set(now);
        }
        self.last_call.set(now);
        if now - self.slice_start.get() < SLICE_MS {
            return;
        }
        let gate = self.gate.borrow_mut().get_or_insert_with(|| yield_now().boxed_local().shared()).clone();
        gate.await;
        // The first chunk through starts the next slice; the rest find it started.
        if self.gate.borrow_mut().take().is_some() {
            let now = self.clock.elapsed_ms();
            self.slice_start.set(now);
            self.last_call.set(now);
        }
    }
}

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pacer").field("slice_start", &self.slice_start.get()).finish_non_exhaustive()
    }
}
