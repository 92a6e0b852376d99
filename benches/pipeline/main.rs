//! The whole pipeline, natively, against the seed's Python solution.
//!
//! `cargo bench --bench pipeline` generates a seeded synthetic corpus of N
//! distinct ~14-word documents (one chunk each, see `corpus.rs`), runs
//! `rag_pipeline` over it with zero latencies on a tokio current-thread
//! runtime, and runs `seed.py` (asyncio.Barrier + TaskGroup, placeholder
//! work, zero sleeps) at the same N in the same run. Each figure is the best
//! wall-clock time of a few runs. It prints one table and writes the same to
//! `target/bench-pipeline.json`.
//!
//! With every latency zero, what is measured is the work itself: chunking,
//! tokenizing, embedding and indexing every chunk, two scores per chunk,
//! two barrier generations and Phase 3.

#[cfg(not(target_arch = "wasm32"))]
mod corpus;
#[cfg(not(target_arch = "wasm32"))]
mod measure;
#[cfg(not(target_arch = "wasm32"))]
mod python;

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    measure::main();
}
