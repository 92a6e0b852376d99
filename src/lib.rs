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

pub mod barrier;
pub mod barrier_choice;
pub mod chunks;
pub mod classic_barrier;
pub mod config;
pub mod embedder;
pub mod event;
pub mod fault;
pub mod group;
pub mod pipeline;
pub mod retrieval;
pub mod rng;
pub mod runtime;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use barrier::{Arrival, BarrierError, BarrierSignal, PhaseBarrier};
pub use config::{BarrierKind, ChunkErrorPolicy, ConfigError, RunConfig};
pub use event::{ChunkTime, Event, EventKind, EventSink, Phase, Scored, WithoutBarrier};
pub use fault::{Fault, FaultKind};
pub use pipeline::{
    process_chunk, rag_pipeline, rag_pipeline_until, rag_pipeline_with, ChunkError, Failure, Outcome,
    PipelineError, Ranked,
};
