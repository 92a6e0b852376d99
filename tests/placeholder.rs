//! Why the barrier exists, shown on the placeholder scorer: a chunk scored
//! before every chunk is embedded reads incomplete corpus statistics.
#![cfg(not(target_arch = "wasm32"))]

use rag_phase_sync::retrieval::placeholder::{embed, embed_query, PlaceholderIndex};
use rag_phase_sync::rng::Rng;

#[test]
fn scoring_before_every_chunk_is_embedded_gives_a_different_score() {
    let query = embed_query("What is retrieval augmented generation?");
    let embeddings: Vec<_> = (0..6).map(|chunk| embed(&mut Rng::stream(3, chunk))).collect();
    let mut index = PlaceholderIndex::new(6);
    for (chunk, embedding) in embeddings.iter().enumerate().take(3) {
        index.publish(chunk, *embedding);
    }
    let early = index.score(0, &query).unwrap();
    for (chunk, embedding) in embeddings.iter().enumerate().skip(3) {
        index.publish(chunk, *embedding);
    }
    let after_barrier = index.score(0, &query).unwrap();
    assert!((early - after_barrier).abs() > 1e-6, "early {early} vs after the barrier {after_barrier}");
    assert!(index.score(5, &query).is_some());
}

#[test]
fn a_chunk_with_no_embedding_has_no_score_and_no_score_is_nan() {
    let query = embed_query("q");
    let mut index = PlaceholderIndex::new(2);
    assert_eq!(index.score(1, &query), None);
    index.publish(1, embed(&mut Rng::stream(1, 1)));
    // A lone chunk *is* the mean: a zero vector, scored neutrally, not NaN.
    assert_eq!(index.score(1, &query), Some(0.5));
    index.publish(1, embed(&mut Rng::stream(1, 2)));
    assert_eq!(index.embedded(), 1, "republishing replaces");
}
