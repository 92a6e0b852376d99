//! A hashed embedding stored by its non-zero components only.
//!
//! The index keeps one hashed vector per chunk until Phase 2 is done, for up
//! to 100 000 chunks. A demo chunk (about 60 words, 33 terms once stop words
//! are gone) hashes its terms and word pairs into 53 of the [`DIMENSION`]
//! buckets on average: stored densely, four fifths of every vector are zeros
//! (1 KB a chunk, 100 MB at 100 000 chunks). Here a bitmap says which
//! buckets are non-zero and only their values are kept, in bucket order:
//! about 250 bytes for a demo chunk.
//!
//! The cosine against a dense query vector adds exactly the products the
//! dense loop adds, in the same order, so it is bit-identical to
//! [`cosine`](super::embedding::cosine) of the dense vectors (see
//! [`SparseVector::cosine`]).

use super::embedding::{cosine_from_sums, DIMENSION};

/// Bits in one bitmap word.
const WORD_BITS: usize = u64::BITS as usize;

/// A [`DIMENSION`]-long vector that keeps only its non-zero components.
///
/// ```
/// use rag_phase_sync::retrieval::embedding::DIMENSION;
/// use rag_phase_sync::retrieval::sparse_vector::SparseVector;
/// let mut dense = [0.0_f32; DIMENSION];
/// dense[3] = 0.6;
/// dense[200] = -0.8;
/// let sparse = SparseVector::from_dense(&dense);
/// assert_eq!(sparse.iter().collect::<Vec<_>>(), [(3, 0.6), (200, -0.8)]);
/// assert_eq!(sparse.to_dense(), dense);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SparseVector {
    /// Bit `i % 64` of word `i / 64` is set when component `i` is non-zero.
    occupied: [u64; DIMENSION.div_ceil(WORD_BITS)],
    /// The non-zero components, in ascending index order. A boxed slice, not
    /// a `Vec`: no capacity slack and one word less per chunk.
    values: Box<[f32]>,
}

impl SparseVector {
    /// The non-zero components of `dense` (`+0.0` and `-0.0` are both left out).
    pub fn from_dense(dense: &[f32; DIMENSION]) -> SparseVector {
        // Gathered first, so the values below are allocated at their exact size.
        let nonzero: Vec<(usize, f32)> =
            dense.iter().copied().enumerate().filter(|&(_, x)| x != 0.0).collect();
        SparseVector::from_ascending(nonzero.into_iter())
    }

    /// The vector whose non-zero components are `components`, given as
    /// `(index, value)` in ascending index order, each value non-zero and
    /// each index below [`DIMENSION`].
    pub(crate) fn from_ascending(components: impl Iterator<Item = (usize, f32)>) -> SparseVector {
        let mut occupied = [0; DIMENSION.div_ceil(WORD_BITS)];
        // Room for as many values as `components` may yield, so the boxed
        // slice below takes the vector's allocation as it is (unless fewer
        // came: a bucket whose sum cancelled to zero, which is rare).
        let (low, high) = components.size_hint();
        let mut values = Vec::with_capacity(high.unwrap_or(low));
        let mut lowest = 0;
        for (index, x) in components {
            debug_assert!(index >= lowest && x != 0.0, "components must ascend and be non-zero");
            lowest = index + 1;
            occupied[index / WORD_BITS] |= 1 << (index % WORD_BITS);
            values.push(x);
        }
        SparseVector { occupied, values: values.into_boxed_slice() }
    }

    /// The non-zero components as `(index, value)`, in ascending index order.
    pub fn iter(&self) -> Components<'_> {
        Components { occupied: &self.occupied, word: 0, bits: self.occupied[0], values: self.values.iter() }
    }

    /// How many components are non-zero.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether every component is zero.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The vector with its zeros put back: [`DIMENSION`] components.
    pub fn to_dense(&self) -> Vec<f32> {
        let mut dense = vec![0.0; DIMENSION];
        for (index, x) in self.iter() {
            dense[index] = x;
        }
        dense
    }

    /// Cosine similarity with the dense vector `other`, bit-identical to
    /// [`cosine`](super::embedding::cosine)`(&self.to_dense(), other)`;
    /// `other_norm_squared` is `other`'s sum of squares as
    /// [`norm_squared`] computes it, passed in so a query computes it once
    /// rather than once per chunk.
    ///
    /// Why the result is the same bits: the dense loop adds `x · y` and `x²`
    /// for every index in order, starting from `+0.0`. Where `x` is zero
    /// those terms are `±0.0`, and adding `±0.0` to a sum that is not `-0.0`
    /// leaves it unchanged; a sum that starts at `+0.0` is never `-0.0`
    /// (exact cancellation rounds to `+0.0`), and a product of two finite
    /// `f32`s is never a non-zero value rounded to zero in `f64`. So skipping
    /// the zeros adds the same non-zero terms in the same order. The one
    /// exception is a non-finite `y` facing a zero `x` (`0 · ∞` is NaN): the
    /// dense result is then always 0, so that case returns 0 up front.
    ///
    /// ```
    /// use rag_phase_sync::retrieval::embedding::{cosine, hashed_embedding, DIMENSION};
    /// use rag_phase_sync::retrieval::sparse_vector::{norm_squared, SparseVector};
    /// use rag_phase_sync::retrieval::tokenizer::terms;
    /// let chunk: [f32; DIMENSION] = hashed_embedding(&terms("a barrier waits for every chunk")).try_into().unwrap();
    /// let query = hashed_embedding(&terms("what does the barrier wait for"));
    /// let sparse = SparseVector::from_dense(&chunk);
    /// assert_eq!(sparse.cosine(&query, norm_squared(&query)).to_bits(), cosine(&chunk, &query).to_bits());
    /// ```
    pub fn cosine(&self, other: &[f32], other_norm_squared: f64) -> f64 {
        if other.len() != DIMENSION || !other_norm_squared.is_finite() {
            // A length mismatch is 0 for `cosine` too; a non-finite square
            // sum means a non-finite component, which makes `cosine` 0.
            return 0.0;
        }
        let (mut dot, mut aa) = (0.0_f64, 0.0_f64);
        for (index, x) in self.iter() {
            let (x, y) = (f64::from(x), f64::from(other[index]));
            dot += x * y;
            aa += x * x;
        }
        cosine_from_sums(dot, aa, other_norm_squared)
    }
}

/// The non-zero components of a [`SparseVector`], from [`SparseVector::iter`].
#[derive(Debug, Clone)]
pub struct Components<'a> {
    occupied: &'a [u64],
    /// Which word of `occupied` `bits` came from.
    word: usize,
    /// The bits of that word not yet visited.
    bits: u64,
    values: std::slice::Iter<'a, f32>,
}

impl Iterator for Components<'_> {
    type Item = (usize, f32);

    fn next(&mut self) -> Option<(usize, f32)> {
        while self.bits == 0 {
            self.word += 1;
            self.bits = *self.occupied.get(self.word)?;
        }
        let index = self.word * WORD_BITS + self.bits.trailing_zeros() as usize;
        // Clear the lowest set bit: the next call finds the next index up.
        self.bits &= self.bits - 1;
        Some((index, *self.values.next()?))
    }
}

/// The sum of squares of `vector` in `f64`, added in index order from
/// `+0.0` exactly as [`cosine`](super::embedding::cosine) adds it.
pub fn norm_squared(vector: &[f32]) -> f64 {
    vector.iter().fold(0.0, |sum, &y| sum + f64::from(y) * f64::from(y))
}
