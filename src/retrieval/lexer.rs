//! Phase 1's work on one chunk: its text to its terms and its hashed
//! embedding, in one pass of the tokenizer.
//!
//! Phase 1 does this for every chunk, 100,000 times in a big run, so the
//! terms are not strings of their own: they land back to back in one string
//! as the tokenizer finds them, and each is hashed for the embedding as it
//! lands. The embedding's buffers (its features, then its bucket sums) die
//! with the call; allocated and freed per chunk they would cost about as much
//! as the work done in them, so one thread-local set serves every chunk. A
//! call takes them out of their cell and puts them back, so a nested call
//! (there is none) would get empty buffers, never shared ones.

use std::cell::Cell;

use super::embedding::Features;
use super::sparse_vector::SparseVector;
use super::tokenizer::push_terms;

/// Buffers kept from one chunk to the next.
#[derive(Debug, Default)]
struct Scratch {
    /// Where each term ends, gathered before the count is known (then
    /// copied out at its exact size).
    ends: Vec<usize>,
    /// The embedding's features (see [`Features`]).
    features: Vec<u128>,
    /// The embedding's bucket sums.
    sums: Vec<(usize, f64)>,
}

thread_local! {
    static SCRATCH: Cell<Scratch> =
        const { Cell::new(Scratch { ends: Vec::new(), features: Vec::new(), sums: Vec::new() }) };
}

/// `text`'s [`terms`](super::tokenizer::terms) back to back in one string,
/// where each ends in it, and their hashed embedding, non-zero components
/// only: what [`ChunkFeatures::lexical`](super::index::ChunkFeatures::lexical)
/// keeps.
pub(crate) fn lex(text: &str) -> (String, Vec<usize>, SparseVector) {
    let mut scratch = SCRATCH.take();
    let Scratch { ends, features, sums } = &mut scratch;
    ends.clear();
    let mut terms = String::with_capacity(text.len());
    let mut features = Features::new(features);
    push_terms(text, &mut terms, |term| {
        // Kept terms land back to back: each ends where the last ended,
        // plus its own length.
        ends.push(ends.last().unwrap_or(&0) + term.len());
        features.push(term);
    });
    let vector = features.sparse(sums);
    let ends = ends.to_vec();
    SCRATCH.set(scratch);
    (terms, ends, vector)
}
