//! Barrier waits per second: `n` futures each wait twice (two generations),
//! joined by one `join_all` on one thread, for PhaseBarrier, async-barrier
//! and async_lock::Barrier, plus the harness's own limit: the same `join_all`
//! over futures that suspend and resume twice and do nothing else. No barrier
//! can beat that, since every wait must suspend once and be woken once.
//!
//! `cargo bench --bench barrier` (or `make bench`) runs criterion, then prints
//! a table of µs per wait and ratios against the limit and async-barrier,
//! all measured in the same run.

#[cfg(not(target_arch = "wasm32"))]
mod waits;

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    waits::main();
}
