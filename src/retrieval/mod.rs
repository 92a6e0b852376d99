//! The work inside the phases: chunking, embedding, scoring and answering.
//!
//! Pure and synchronous; the pipeline decides when each piece runs:
//!
//! - Phase 1 turns each chunk into [`ChunkFeatures`]
//!   and publishes them to the shared [`CorpusIndex`].
//! - Phase 2, after the barrier, asks the index for each chunk's
//!   [`ScoreParts`] against the [`Query`].
//! - Phase 3 takes the [`top_k`](rank::top_k) and quotes them with
//!   [`extractive_answer`](answer::extractive_answer).

pub mod answer;
pub mod chunker;
pub mod corpus;
pub mod embedding;
mod fx_hash;
pub mod index;
mod lexer;
pub mod rank;
pub mod sentence;
pub mod sparse_vector;
pub mod stem;
mod stop_words;
pub mod term_counts;
pub mod tokenizer;
pub mod vocabulary;

use index::{ChunkFeatures, CorpusIndex, Query, ScoreParts};

/// Every chunk's score the plain two-pass way: publish all, then score all.
///
/// This is the reference the barrier pipeline must equal bit for bit: its
/// Phase 1 publishes in whatever order the futures finish, and its Phase 2
/// scores only after the barrier, when the index holds exactly what this
/// function's first pass built.
///
/// ```
/// use rag_phase_sync::retrieval::index::Query;
/// use rag_phase_sync::retrieval::score_sequentially;
/// let chunks = vec!["Futures are lazy.".to_string(), "A barrier waits for every task.".to_string()];
/// let scores = score_sequentially(&chunks, &Query::lexical("barrier"));
/// assert!(scores[1].score > scores[0].score);
/// ```
pub fn score_sequentially(chunks: &[String], query: &Query) -> Vec<ScoreParts> {
    let mut index = CorpusIndex::new(chunks.len());
    for (chunk, text) in chunks.iter().enumerate() {
        index.publish(chunk, ChunkFeatures::lexical(text));
    }
    (0..chunks.len()).map(|chunk| index.score(chunk, query).expect("every chunk was published")).collect()
}
