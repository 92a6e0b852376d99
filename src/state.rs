//! [`SharedState`]: what one run's chunks share, and Phase 3 reads.

use crate::outcome::ChunkError;
use crate::retrieval::index::{CorpusIndex, ScoreParts};

/// What the chunks share: Phase 1 publishes features, Phase 2 writes scores.
#[derive(Debug)]
pub struct SharedState {
    /// Every chunk's features, and the corpus statistics built from them.
    pub index: CorpusIndex,
    /// Every chunk's score, once Phase 2 has computed it.
    pub scores: Vec<Option<ScoreParts>>,
    /// Every chunk's early score: what it would have scored the moment it
    /// was embedded, had there been no barrier.
    pub early: Vec<Option<f64>>,
    /// Chunks that failed and dropped out (drop-out policy), in the order they did.
    pub dropped: Vec<ChunkError>,
}

impl SharedState {
    /// Empty state for `chunks` chunks.
    pub fn new(chunks: usize) -> Self {
        SharedState {
            index: CorpusIndex::new(chunks),
            scores: vec![None; chunks],
            early: vec![None; chunks],
            dropped: Vec::new(),
        }
    }
}
