//! The `async-barrier` crate's barrier, wrapped so the pipeline can observe it.
//!
//! Why it is kept: `async-barrier` 1.1.1 is on the design card and is what
//! most Rust code reaches for, but it is deprecated by its authors ("DO NOT
//! USE"; merged into `async-lock`) and, like `async_lock::Barrier` and
//! `tokio::sync::Barrier`, it is not cancel-safe: a waiter dropped mid-`wait()`
//! stays counted, so a later generation releases early with a false leader.
//! It cannot be aborted either, and `new(0)` acts as `new(1)`. It stays
//! selectable (`barrier: "classic"`) so the page can show that hazard beside
//! [`PhaseBarrier`](crate::PhaseBarrier), and so benchmarks have a baseline.

use std::cell::Cell;
use std::fmt;

use crate::barrier::{Arrival, BarrierSignal, Observer};

/// `async_barrier::Barrier` plus the arrival count and generation it keeps
/// private, mirrored here so arrivals and releases can be reported with the
/// same [`BarrierSignal`]s `PhaseBarrier` sends.
pub struct ClassicBarrier<'o> {
    inner: async_barrier::Barrier,
    parties: usize,
    arrived: Cell<usize>,
    generation: Cell<u64>,
    observer: Observer<'o>,
}

impl fmt::Debug for ClassicBarrier<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClassicBarrier")
            .field("parties", &self.parties)
            .field("arrived", &self.arrived.get())
            .field("generation", &self.generation.get())
            .finish()
    }
}

impl<'o> ClassicBarrier<'o> {
    /// A barrier for `parties` parties. Like the crate it wraps, 0 acts as 1.
    pub fn new(parties: usize) -> Self {
        ClassicBarrier {
            inner: async_barrier::Barrier::new(parties),
            parties,
            arrived: Cell::new(0),
            generation: Cell::new(0),
            observer: Observer::default(),
        }
    }

    /// The same barrier, reporting arrivals and releases to `observer`.
    pub fn with_observer(self, observer: impl Fn(&BarrierSignal) + 'o) -> Self {
        ClassicBarrier { observer: Observer::new(observer), ..self }
    }

    /// Waits until every party has arrived in this generation. The arrival
    /// is counted at the first poll and, unlike `PhaseBarrier`'s, never
    /// withdrawn: dropping this future leaves it counted (the hazard).
    pub async fn wait_as(&self, party: usize) -> Arrival {
        let generation = self.generation.get();
        let arrived = self.arrived.get() + 1;
        self.arrived.set(arrived);
        self.notify(BarrierSignal::Arrived { party, arrived, parties: self.parties, generation });
        let leader = self.inner.wait().await.is_leader();
        if leader {
            // The leader resumes in the same poll as its arrival, before any
            // woken party runs, so the mirror resets before anyone re-arrives.
            self.arrived.set(0);
            self.generation.set(generation + 1);
            self.notify(BarrierSignal::Released { leader: party, parties: self.parties, generation });
        }
        Arrival::new(leader, generation)
    }

    /// How many parties each generation waits for.
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// How many generations have been released.
    pub fn generation(&self) -> u64 {
        self.generation.get()
    }

    fn notify(&self, signal: BarrierSignal) {
        self.observer.notify(signal);
    }
}
