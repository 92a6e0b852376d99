//! Scores to the bit. The index stores chunks compactly (hashed vectors by
//! their non-zero components, terms as vocabulary ids) so that 100,000 of
//! them fit in WebAssembly memory; no score may move by a single bit for it.
//! Checked two ways: against digests of the scores the dense index gave
//! before the change, and against a dense reference computed here.
#![cfg(not(target_arch = "wasm32"))]

use rag_phase_sync::retrieval::chunker::{chunk_documents, Chunking};
use rag_phase_sync::retrieval::corpus::DEMO_CORPUS;
use rag_phase_sync::retrieval::embedding::{cosine, hashed_embedding, DIMENSION};
use rag_phase_sync::retrieval::index::{ChunkFeatures, CorpusIndex, Query, ScoreParts, B, BM25_WEIGHT, K1};
use rag_phase_sync::retrieval::sparse_vector::{norm_squared, SparseVector};
use rag_phase_sync::retrieval::tokenizer::terms;

/// Questions that match one passage, several, a repeated word, or nothing.
const QUERIES: [&str; 8] = [
    "What is retrieval augmented generation?",
    "Why does scoring need a barrier?",
    "How do vector databases work?",
    "vector store embeddings hashing trick",
    "What are semaphores for?",
    "barrier barrier wait wait event loop",
    "zxqv blorf?",
    "What is it?",
];

/// One chunk per passage, then ever smaller chunks with overlap.
const CHUNKINGS: [Chunking; 3] = [
    Chunking::DEFAULT,
    Chunking { max_words: 30, overlap_words: 5 },
    Chunking { max_words: 10, overlap_words: 3 },
];

/// How many chunks the big case cycles the demo passages to: N, and so
/// every IDF, differs from the small cases.
const CYCLED: usize = 10_000;

/// [`digest`] of `score_sequentially` for each corpus (the three
/// [`CHUNKINGS`], then the passages cycled to [`CYCLED`] chunks) and each of
/// [`QUERIES`], captured from commit 8c1623d, where the index kept every
/// chunk's dense 256-component vector and its terms as strings.
const DENSE_INDEX_DIGESTS: [[u64; 8]; 4] = [
    [
        0x5fc405ecfaa68ac1,
        0xd5459d7f63cbd7be,
        0xc8e46590106dd4c6,
        0x4a1f404df3a5c99c,
        0xd74b805d7f9b915d,
        0xe2b033a2f6e0eb75,
        0xa098b2259cac6f85,
        0xa098b2259cac6f85,
    ],
    [
        0x435869a41fc278a5,
        0xa4cf6cfc665fead6,
        0x43c1ab347bbc97d7,
        0x921458e71171f05e,
        0xca44ef933d2cb7a4,
        0xe148c01e010d32c9,
        0x592b9c4f52d9fee5,
        0x592b9c4f52d9fee5,
    ],
    [
        0x2dcf217d52978e8e,
        0x63a80919f8257102,
        0xf6580a5540e48b56,
        0xb69fba020ea8dd1c,
        0x24c9cce55d31e098,
        0x477e2a896a2a088f,
        0x1ae968cf69cac0f5,
        0x1ae968cf69cac0f5,
    ],
    [
        0xa384550af951344b,
        0x153f5a51798be017,
        0x4c0d54df2f6d385b,
        0x439d09cd6b68ba7e,
        0x05ac4e56f2077d77,
        0xfdedda82906fc8af,
        0x600f98ab98233825,
        0x600f98ab98233825,
    ],
];

/// The corpora the digests were taken over, in [`DENSE_INDEX_DIGESTS`] order.
fn corpora() -> Vec<Vec<String>> {
    let mut corpora: Vec<Vec<String>> =
        CHUNKINGS.iter().map(|chunking| chunk_documents(DEMO_CORPUS, chunking)).collect();
    corpora.push(DEMO_CORPUS.iter().cycle().take(CYCLED).map(|text| text.to_string()).collect());
    corpora
}

/// FNV-1a over the bits of every part of every score, in chunk order: one
/// number that changes if any bit of any score does.
fn digest(scores: &[ScoreParts]) -> u64 {
    let parts = scores.iter().flat_map(|p| [p.bm25, p.bm25_normalised, p.cosine, p.score]);
    parts
        .map(f64::to_bits)
        .fold(0xcbf2_9ce4_8422_2325, |hash, bits| (hash ^ bits).wrapping_mul(0x0100_0000_01b3))
}

fn bits(parts: &ScoreParts) -> [u64; 4] {
    [parts.bm25.to_bits(), parts.bm25_normalised.to_bits(), parts.cosine.to_bits(), parts.score.to_bits()]
}

// The digests hold `ln` results, and libms may differ in an `ln`'s last bit;
// they were taken with glibc's, which CI uses. The reference test below
// holds on every platform.
#[test]
#[cfg_attr(not(all(target_os = "linux", target_env = "gnu")), ignore = "digests taken with glibc's ln")]
fn scores_equal_the_dense_index_digests() {
    let mut differ = Vec::new();
    for (corpus, (chunks, expected)) in corpora().iter().zip(DENSE_INDEX_DIGESTS).enumerate() {
        // What score_sequentially does, with one index for all the queries.
        let mut index = CorpusIndex::new(chunks.len());
        for (chunk, text) in chunks.iter().enumerate() {
            index.publish(chunk, ChunkFeatures::lexical(text));
        }
        for (text, expected) in QUERIES.iter().zip(expected) {
            let query = Query::lexical(text);
            let scores: Vec<ScoreParts> =
                (0..chunks.len()).map(|chunk| index.score(chunk, &query).unwrap()).collect();
            let got = digest(&scores);
            if got != expected {
                differ.push(format!("corpus {corpus}, {text:?}: 0x{got:016x}, was 0x{expected:016x}"));
            }
        }
    }
    assert!(differ.is_empty(), "scores moved:\n{}", differ.join("\n"));
}

/// A chunk's score the way the index computed it before it went compact:
/// counts from the chunk's own term strings, its dense hashed vector and the
/// public `cosine`; the corpus statistics come from `index`. `hashed_query`
/// says whether `query` kept its hashed vector.
fn dense_reference(index: &CorpusIndex, text: &str, query: &Query, hashed_query: bool) -> ScoreParts {
    let features = ChunkFeatures::lexical(text);
    let average_length = index.average_length();
    let relative_length = if average_length > 0.0 { features.length() as f64 / average_length } else { 1.0 };
    let length_norm = K1 * (1.0 - B + B * relative_length);
    let (mut bm25, mut bound, mut shared) = (0.0, 0.0, false);
    for term in query.terms() {
        let idf = index.idf(term);
        bound += idf * (K1 + 1.0);
        let tf = f64::from(features.count(term));
        if tf > 0.0 {
            bm25 += idf * tf * (K1 + 1.0) / (tf + length_norm);
            shared = true;
        }
    }
    let bm25_normalised = if bound > 0.0 { (bm25 / bound).clamp(0.0, 1.0) } else { 0.0 };
    // Hashed query and hashed chunk that share no term: orthogonal, exactly 0.
    let cosine =
        if hashed_query && !shared { 0.0 } else { cosine(&hashed_embedding(&terms(text)), query.vector()) };
    let score = BM25_WEIGHT * bm25_normalised + (1.0 - BM25_WEIGHT) * cosine.max(0.0);
    ScoreParts { bm25, bm25_normalised, cosine, score }
}

#[test]
fn the_compact_index_scores_exactly_as_dense_vectors_and_term_strings_do() {
    // Lexical queries, and the same words with a model-like dense vector
    // (every component non-zero, some negative) against the hashed chunks.
    let model_vector: Vec<f32> = (0..DIMENSION).map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0).collect();
    for chunks in corpora().iter().take(CHUNKINGS.len()) {
        let mut index = CorpusIndex::new(chunks.len());
        for (chunk, text) in chunks.iter().enumerate() {
            index.publish(chunk, ChunkFeatures::lexical(text));
        }
        // Replacing a chunk with itself must leave every statistic as it was.
        index.publish(0, ChunkFeatures::lexical(&chunks[0]));
        for text in QUERIES {
            let queries = [
                (Query::lexical(text), true),
                (Query::lexical(text).with_vector(model_vector.clone()), false),
            ];
            for (query, hashed) in &queries {
                for (chunk, chunk_text) in chunks.iter().enumerate() {
                    let got = index.score(chunk, query).unwrap();
                    let expected = dense_reference(&index, chunk_text, query, *hashed);
                    assert_eq!(bits(&got), bits(&expected), "chunk {chunk} {chunk_text:?}, query {text:?}");
                }
            }
        }
    }
}

#[test]
fn sparse_cosine_equals_dense_cosine_to_the_bit_even_for_hostile_vectors() {
    let chunk_dense = hashed_embedding(&terms("a barrier waits for every chunk before scoring starts"));
    let chunk: [f32; DIMENSION] = chunk_dense.clone().try_into().unwrap();
    let sparse = SparseVector::from_dense(&chunk);
    assert_eq!(sparse.to_dense(), chunk_dense);
    assert!(sparse.len() < DIMENSION / 4, "{} non-zero components", sparse.len());
    let zero_bucket = chunk.iter().position(|&x| x == 0.0).unwrap();
    let with = |value: f32, base: &[f32]| {
        let mut vector = base.to_vec();
        vector[zero_bucket] = value;
        vector
    };
    let opposite: Vec<f32> = chunk.iter().map(|&x| -x).collect();
    let others = [
        hashed_embedding(&terms("what does the barrier wait for")),
        opposite.clone(),
        vec![0.0; DIMENSION],
        vec![1e-30; DIMENSION],
        // 0 · ∞ is NaN in the dense sum; with a negative dot the sparse sum
        // alone would give -0.0 instead of the dense 0.0.
        with(f32::INFINITY, &opposite),
        with(f32::NEG_INFINITY, &chunk_dense),
        with(f32::NAN, &chunk_dense),
        with(f32::MAX, &opposite),
        vec![1.0; DIMENSION - 1],
    ];
    for (case, other) in others.iter().enumerate() {
        let dense = cosine(&chunk_dense, other);
        let sparse = sparse.cosine(other, norm_squared(other));
        assert_eq!(sparse.to_bits(), dense.to_bits(), "case {case}: dense {dense} vs sparse {sparse}");
    }
    let empty = SparseVector::from_dense(&[0.0; DIMENSION]);
    assert!(empty.is_empty());
    assert_eq!(empty.cosine(&others[0], norm_squared(&others[0])).to_bits(), 0.0_f64.to_bits());
}
