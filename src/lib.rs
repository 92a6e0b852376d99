//! # rag-phase-sync
//!
//! A three-phase RAG pipeline run as futures on one event loop (the
//! browser's, compiled to WebAssembly), synchronised by one reusable barrier:
//!
//! 1. **Embed** every chunk concurrently, one future per chunk.
//! 2. **Barrier**: no chunk scores until every chunk is embedded.
//! 3. **Score** every chunk against the query, concurrently.
//! 4. **Barrier again**: the same instance, its next generation.
//! 5. **Answer** from the top 3 chunks, once the whole group is done.
//!
//! Every state change is an [`Event`] sent to an [`EventSink`]; in the
//! browser, `runPipeline(options, onEvent)` streams them to the page.
//!
//! The seed's alternative, one gather per phase and no barrier, runs beside
//! it ([`RunConfig::approach`], [`rag_pipeline_gathered`]) to the same scores.
//!
//! ```
//! use futures::executor::block_on;
//! use rag_phase_sync::{rag_pipeline, Event, RunConfig};
//! // Zero latencies need no timer, so any executor will do.
//! let config = RunConfig { seed: Some(7), embed_ms: (0.0, 0.0), score_ms: 0.0, ..RunConfig::default() };
//! let print = |event: &Event| {
//!     if let Some(line) = event.log_line() {
//!         println!("{line}");
//!     }
//! };
//! let outcome = block_on(rag_pipeline(&config, &print)).unwrap();
//! assert_eq!(outcome.top.len(), 3);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

mod barrier;
mod barrier_choice;
mod cancel;
mod chunk_phases;
mod chunks;
mod classic_barrier;
mod config;
mod embedder;
mod event;
mod fault;
mod gathered;
mod group;
mod hazard;
mod json;
mod outcome;
mod pacer;
mod phase_3;
mod pipeline;
pub mod retrieval;
mod rng;
mod run;
pub mod runtime;
mod slots;
mod state;
mod store;
#[cfg(target_arch = "wasm32")]
mod web;

pub use barrier::{Arrival, BarrierError, BarrierSignal, PhaseBarrier, ANONYMOUS};
pub use barrier_choice::ChosenBarrier;
pub use chunks::{Chunks, MAX_CHUNKED_WORDS};
pub use classic_barrier::ClassicBarrier;
pub use config::{
    Approach, BarrierKind, ChunkErrorPolicy, ConfigError, Limit, RunConfig, DEFAULT_QUERY,
    MAX_DOCUMENT_BYTES, MAX_FAULTS,
};
pub use embedder::{check_vector, Embedder};
pub use event::{
    chunk_id, ChunkId, ChunkTime, Event, EventKind, EventSink, GatherStep, Phase, Scored, WithoutBarrier,
};
pub use fault::{Fault, FaultKind};
pub use gathered::rag_pipeline_gathered;
pub use group::{run_group, run_group_paced, START_SLICE};
pub use hazard::{
    run_hazard, run_hazard_scenario, CancelledWait, HazardOutcome, HazardRelease, HazardScenario, Missing,
    Parked, HAZARD_CHUNKS,
};
pub use outcome::{ChunkError, Failure, Outcome, PipelineError, QuotedSentence, Ranked};
pub use phase_3::TOP_K;
pub use pipeline::{process_chunk, rag_pipeline, rag_pipeline_until, rag_pipeline_with};
pub use rng::{random_seed, Rng, MAX_SAFE_INTEGER};
pub use run::Run;
pub use slots::{Permit, Slots};
pub use state::SharedState;
pub use store::STORE_SLOTS;
#[cfg(target_arch = "wasm32")]
pub use web::{hazard_scenario, run_hazard_demo};
#[cfg(target_arch = "wasm32")]
pub use web::{run_pipeline, run_pipeline_batched};

/// The accepted range of every option, as the JS API names it.
pub mod limits {
    pub use crate::config::{
        CHUNKS, CHUNK_WORDS, EMBED_MS, FAIL_CHUNK, OVERLAP_WORDS, PHASE_TIMEOUT_MS, QUERY_CHARS, SCORE_MS,
        SEED, STORE_MS, TIME_SCALE,
    };
}

/// The futures the barriers return, named so they can be stored.
pub mod futures {
    pub use crate::barrier::Wait;
}
