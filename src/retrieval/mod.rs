//! The work inside the phases: embedding, scoring and answering.
//!
//! Pure and synchronous; the pipeline decides when each piece runs.

pub mod placeholder;
