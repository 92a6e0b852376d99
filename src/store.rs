//! The simulated vector store: after Phase 1, each chunk writes its vector
//! to a store that takes [`STORE_SLOTS`] writes at a time, each taking
//! `storeMs × timeScale` on a real timer.
//!
//! It is the per-chunk post-processing that makes the overlap a barrier
//! allows measurable. With the barrier, a chunk writes right after its own
//! Phase 1, inside its future, before it arrives at the barrier: early
//! chunks' writes overlap slower chunks' embeddings. With the gathers, the
//! writes are a gather of their own between the embed gather and the score
//! gather (one gather per step, as the seed writes it), so all of them come
//! after the slowest embedding: about `chunks / STORE_SLOTS × storeMs` more.
//!
//! Kept simple on purpose: faults and phase timeouts do not apply to a
//! write, and nothing is stored (a write is its latency). Cancelling a chunk
//! (Stop, a sibling's failure) drops its write wherever it is: a queued
//! write leaves the queue, a write under way frees its slot for the next.

use crate::event::EventKind;
use crate::run::Run;
use crate::runtime::sleep_ms;
use crate::slots::Slots;

/// How many writes the simulated vector store takes at a time (a small
/// store's connection pool); the others queue, first come, first served.
pub const STORE_SLOTS: usize = 4;

/// The store's slots and how long one write takes.
#[derive(Debug)]
pub(crate) struct VectorStore {
    slots: Slots,
    write_ms: f64,
}

impl VectorStore {
    /// The store for writes of `store_ms` scaled by `time_scale`; `None`
    /// when `store_ms` is 0 (no store step).
    pub(crate) fn new(store_ms: f64, time_scale: f64) -> Option<VectorStore> {
        (store_ms > 0.0)
            .then(|| VectorStore { slots: Slots::new(STORE_SLOTS), write_ms: store_ms * time_scale })
    }
}

impl Run<'_> {
    /// Writes `chunk`'s vector to the store (if there is one): waits for a
    /// slot (counted as waiting time), then writes (working time), reporting
    /// `store-start` with the wait and `store-complete`.
    ///
    /// # Cancel safety
    ///
    /// Dropped while queued, it leaves the queue; while writing, its slot
    /// passes to the next queued write (see [`Slots`]).
    pub(crate) async fn store(&self, chunk: usize) {
        let Some(store) = &self.store else { return };
        self.pacer.pace().await;
        let queued_from = self.pacer.clock.last();
        let slot = self.waiting(|| store.slots.acquire()).await;
        let queued_ms = self.pacer.clock.last() - queued_from;
        self.emit(EventKind::StoreStart { chunk, queued_ms });
        self.working(|| sleep_ms(store.write_ms)).await;
        drop(slot);
        self.emit(EventKind::StoreComplete { chunk });
    }
}
