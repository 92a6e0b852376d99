//! The `async-barrier` crate's barrier, wrapped so the pipeline can observe it.
//!
//! `async-barrier` 1.1.1 is deprecated by its authors ("DO NOT USE"; merged
//! into `async-lock`) and, like `async_lock::Barrier` and
//! `tokio::sync::Barrier`, it is not cancel-safe: a waiter dropped mid-`wait()`
//! stays counted, so a later generation releases early with a false leader.
//! It is on the design card, it is what most Rust code reaches for, and it is
//! the baseline our own barrier is measured and shown against.

use std::cell::Cell;

/// What the barrier tells its observer while a party waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarrierSignal {
    /// A party arrived: `arrived` of `parties` are now in `generation`.
    Arrived { arrived: usize, parties: usize, generation: u64 },
    /// This party was the last one and released `generation`.
    Released { parties: usize, generation: u64 },
}

/// `async_barrier::Barrier` plus the arrival count and generation it keeps
/// private, mirrored here so arrivals and releases can be reported.
#[derive(Debug)]
pub struct ClassicBarrier {
    inner: async_barrier::Barrier,
    parties: usize,
    arrived: Cell<usize>,
    generation: Cell<u64>,
}

impl ClassicBarrier {
    /// A barrier for `parties` parties. Like the crate it wraps, 0 acts as 1.
    pub fn new(parties: usize) -> Self {
        ClassicBarrier {
            inner: async_barrier::Barrier::new(parties),
            parties,
            arrived: Cell::new(0),
            generation: Cell::new(0),
        }
    }

    /// Waits until every party has arrived in this generation; returns whether
    /// this party was the leader (the last to arrive). `observe` hears of the
    /// arrival at once and, on the leader only, of the release.
    pub async fn wait(&self, observe: impl Fn(BarrierSignal)) -> bool {
        let generation = self.generation.get();
        let arrived = self.arrived.get() + 1;
        self.arrived.set(arrived);
        observe(BarrierSignal::Arrived { arrived, parties: self.parties, generation });
        let leader = self.inner.wait().await.is_leader();
        if leader {
            // The leader resumes in the same poll as its arrival, before any
            // woken party runs, so the mirror resets before anyone re-arrives.
            self.arrived.set(0);
            self.generation.set(generation + 1);
            observe(BarrierSignal::Released { parties: self.parties, generation });
        }
        leader
    }
}
