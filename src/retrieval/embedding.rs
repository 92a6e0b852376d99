//! A dependency-free text embedding: feature hashing of words and word pairs.
//!
//! Each unigram ("vector") and bigram of adjacent terms ("vector store") is
//! hashed to one of [`DIMENSION`] components with a sign, weighted by its
//! sublinear term frequency, and the vector is L2-normalised. No vocabulary
//! and no model: the same text gives the same vector on every platform
//! (FNV-1a is fixed; std's `RandomState` is seeded per process and is never
//! used here). Bigrams let "vector store" and "store vector" differ.

use super::sparse_vector::SparseVector;

/// Components in a hashed embedding.
pub const DIMENSION: usize = 256;

/// FNV-1a offset basis: the hash of the empty string.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a, 64-bit, continued from `hash` over `bytes`: a fixed,
/// platform-independent hash that can be fed in pieces.
fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME))
}

/// FNV-1a's 64-bit prime.
const FNV_PRIME: u64 = 0x0100_0000_01b3;

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
/// non-zero components (see [`SparseVector`]), so the dense vector need
/// never reach the heap.
pub fn hashed_components(terms: &[String]) -> [f32; DIMENSION] {
    let (mut features, mut sums) = (Vec::new(), Vec::new());
    let mut hashing = Features::new(&mut features);
    for term in terms {
        hashing.push(term);
    }
    hashing.sums(&mut sums);
    let mut dense = [0.0; DIMENSION];
    for (index, x) in unit(&sums) {
        dense[index] = x;
    }
    dense
}

/// The features of a term sequence, fed one term at a time, so Phase 1
/// can hash each term as the tokenizer yields it. It fills a buffer the
/// caller owns, so Phase 1 can reuse one from chunk to chunk.
#[derive(Debug)]
pub(crate) struct Features<'a> {
    /// Every feature as its bucket (high 64 bits) and its hash (low 64
    /// bits): one integer, so sorting compares one integer.
    features: &'a mut Vec<u128>,
    /// The previous term's hash: the start of the next pair's.
    previous: Option<u64>,
}

impl<'a> Features<'a> {
    /// No features yet, kept in `buffer` (cleared).
    pub(crate) fn new(buffer: &'a mut Vec<u128>) -> Features<'a> {
        buffer.clear();
        Features { features: buffer, previous: None }
    }

    /// Adds `term` and its pair with the term before it. A pair's hash is
    /// FNV-1a of "first second", and FNV-1a can be fed in pieces, so it
    /// continues from the first term's own hash rather than hash it again.
    pub(crate) fn push(&mut self, term: &str) {
        // Both hashes in one pass over the term's bytes (for the first term
        // the pair's is computed from 0 and dropped).
        let start = (FNV_OFFSET, fnv1a(self.previous.unwrap_or(0), b" "));
        let step = |hash: u64, byte: u8| (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME);
        let (unigram, bigram) =
            term.bytes().fold(start, |(unigram, bigram), byte| (step(unigram, byte), step(bigram, byte)));
        if self.previous.is_some() {
            self.add(bigram);
        }
        self.add(unigram);
        self.previous = Some(unigram);
    }

    fn add(&mut self, hash: u64) {
        self.features.push((bucket(hash).0 as u128) << 64 | u128::from(hash));
    }

    /// The embedding as [`hashed_embedding`] defines it, kept sparse;
    /// `sums` is scratch space.
    pub(crate) fn sparse(self, sums: &mut Vec<(usize, f64)>) -> SparseVector {
        self.sums(sums);
        SparseVector::from_ascending(unit(sums).filter(|&(_, x)| x != 0.0))
    }

    /// Puts in `sums` (cleared) the buckets the features fall in, each with
    /// its weighted sum, in ascending bucket order; every other bucket is
    /// exactly `+0.0`.
    ///
    /// The definition adds every distinct feature to its bucket in
    /// ascending hash order (which fixes the floating-point result), into a
    /// full-width array. A chunk's features touch a few dozen of the
    /// [`DIMENSION`] buckets, so here one sort by (bucket, hash) does it:
    /// equal features end up side by side to be counted, and each bucket's
    /// features come in ascending hash order, so each bucket adds the same
    /// numbers in the same order, from the same `+0.0`, as the array would.
    fn sums(self, sums: &mut Vec<(usize, f64)>) {
        self.features.sort_unstable();
        sums.clear();
        for run in self.features.chunk_by(|a, b| a == b) {
            let (index, hash) = ((run[0] >> 64) as usize, run[0] as u64);
            let sign = bucket(hash).1;
            // ln(1) is exactly 0, so a feature seen once (most are) weighs
            // exactly 1.0 without calling ln.
            let weight = if run.len() == 1 { 1.0 } else { 1.0 + (run.len() as f64).ln() };
            match sums.last_mut() {
                Some((last, sum)) if *last == index => *sum += sign * weight,
                // `+0.0 + x` is `x` for the non-zero `x` here: no need to add it.
                _ => sums.push((index, sign * weight)),
            }
        }
    }
}

/// The bucket sums divided by the vector's length, as `f32`; nothing when
/// the length is 0 (no features, or collisions cancelled exactly: no
/// direction to keep).
///
/// The length adds the squares of the touched buckets only, in index order:
/// the others are `+0.0`, and adding `+0.0` to a sum of squares (never
/// `-0.0`) leaves it unchanged, so this is the sum over all [`DIMENSION`]
/// buckets to the bit.
fn unit(sums: &[(usize, f64)]) -> impl Iterator<Item = (usize, f32)> + '_ {
    let norm = sums.iter().fold(0.0, |total, &(_, x)| total + x * x).sqrt();
    let sums = if norm == 0.0 { &[][..] } else { sums };
    sums.iter().map(move |&(index, x)| (index, (x / norm) as f32))
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
