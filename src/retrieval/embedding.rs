//! A dependency-free text embedding: feature hashing of words and word pairs.
//!
//! Each unigram ("vector") and bigram of adjacent terms ("vector store") is
//! hashed to one of [`DIMENSION`] components with a sign, weighted by its
//! sublinear term frequency, and the vector is L2-normalised. No vocabulary
//! and no model: the same text gives the same vector on every platform
//! (FNV-1a is fixed; std's `RandomState` is seeded per process and is never
//! used here). Bigrams let "vector store" and "store vector" differ.

/// Components in a hashed embedding.
pub const DIMENSION: usize = 256;

/// FNV-1a offset basis: the hash of the empty string.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a, 64-bit, continued from `hash` over `bytes`: a fixed,
/// platform-independent hash that can be fed in pieces.
fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

/// The hash of a feature: a term, or two adjacent terms joined by a space
/// (terms never contain whitespace, so the two kinds never coincide).
fn feature_hash(first: &str, second: Option<&str>) -> u64 {
    let hash = fnv1a(FNV_OFFSET, first.as_bytes());
    match second {
        Some(second) => fnv1a(fnv1a(hash, b" "), second.as_bytes()),
        None => hash,
    }
}

/// MurmurHash3's 64-bit finaliser: FNV mixes its last bytes poorly into
/// the low bits used for the index; this spreads every bit over all of them.
fn mix(mut hash: u64) -> u64 {
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^ (hash >> 33)
}

/// The component and sign a feature adds to: index from the low bits, sign
/// from the top bit, so collisions cancel out on average instead of piling up.
fn bucket(feature_hash: u64) -> (usize, f64) {
    let hash = mix(feature_hash);
    let index = (hash % DIMENSION as u64) as usize;
    let sign = if hash >> 63 == 0 { 1.0 } else { -1.0 };
    (index, sign)
}

/// The hashed embedding of `terms` (as from [`terms`](super::tokenizer::terms)):
/// [`DIMENSION`] components, unit length, or all zero when `terms` is empty.
///
/// Features are every term and every adjacent pair, each weighted
/// `1 + ln(tf)` so a repeated word counts, but less than linearly. Features
/// are counted by their 64-bit hash (no strings are built) and added in
/// ascending hash order, so the result is bit-identical for the same input.
///
/// ```
/// use rag_phase_sync::retrieval::embedding::{cosine, hashed_embedding, DIMENSION};
/// use rag_phase_sync::retrieval::tokenizer::terms;
/// let a = hashed_embedding(&terms("a vector store holds embeddings"));
/// let b = hashed_embedding(&terms("embeddings live in a vector store"));
/// let c = hashed_embedding(&terms("the event loop runs callbacks"));
/// assert_eq!(a.len(), DIMENSION);
/// assert!(cosine(&a, &b) > cosine(&a, &c));
/// assert!(hashed_embedding(&[]).iter().all(|&x| x == 0.0));
/// ```
pub fn hashed_embedding(terms: &[String]) -> Vec<f32> {
    hashed_components(terms).to_vec()
}

/// [`hashed_embedding`] as an array on the stack: the index keeps only its
/// non-zero components (see [`SparseVector`](super::sparse_vector::SparseVector)),
/// so the dense vector need never reach the heap.
pub fn hashed_components(terms: &[String]) -> [f32; DIMENSION] {
    let unigrams = terms.iter().map(|term| feature_hash(term, None));
    let bigrams = terms.windows(2).map(|pair| feature_hash(&pair[0], Some(&pair[1])));
    let mut hashes: Vec<u64> = unigrams.chain(bigrams).collect();
    // Sorting groups equal features for counting and fixes the order the
    // floating-point sums happen in.
    hashes.sort_unstable();
    let mut vector = [0.0_f64; DIMENSION];
    for run in hashes.chunk_by(|a, b| a == b) {
        let (index, sign) = bucket(run[0]);
        vector[index] += sign * (1.0 + (run.len() as f64).ln());
    }
    let norm = vector.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm == 0.0 {
        // No features, or collisions cancelled exactly: no direction to keep.
        return [0.0; DIMENSION];
    }
    vector.map(|x| (x / norm) as f32)
}

/// Cosine similarity of `a` and `b`, computed in `f64`, in `[-1, 1]`.
///
/// 0 when either vector is zero, when the lengths differ, or when a value is
/// not finite: never NaN, so a score built on it is always comparable.
///
/// ```
/// use rag_phase_sync::retrieval::embedding::cosine;
/// assert_eq!(cosine(&[1.0, 0.0], &[2.0, 0.0]), 1.0);
/// assert_eq!(cosine(&[1.0, 0.0], &[0.0, 0.0]), 0.0);
/// assert_eq!(cosine(&[1.0], &[1.0, 0.0]), 0.0);
/// ```
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    if a.len() != b.len() {
        return 0.0;
    }
    let (mut dot, mut aa, mut bb) = (0.0_f64, 0.0_f64, 0.0_f64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x), f64::from(y));
        dot += x * y;
        aa += x * x;
        bb += y * y;
    }
    cosine_from_sums(dot, aa, bb)
}

/// The cosine from a dot product and the two vectors' sums of squares:
/// clamped to [-1, 1], and 0 where it is undefined (a zero or non-finite vector).
pub(crate) fn cosine_from_sums(dot: f64, a_squared: f64, b_squared: f64) -> f64 {
    let cosine = dot / (a_squared.sqrt() * b_squared.sqrt());
    if cosine.is_finite() {
        cosine.clamp(-1.0, 1.0)
    } else {
        0.0
    }
}
