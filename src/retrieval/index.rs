//! The corpus index: what Phase 1 publishes and Phase 2 reads, and the score.
//!
//! # The score
//!
//! A chunk's score blends two signals:
//!
//! - **BM25** (lexical): rewards the query's words, rare words most (IDF),
//!   with diminishing returns for repeats (`K1`) and a discount for long
//!   chunks (`B`). It needs corpus-wide statistics, document frequencies and
//!   the average chunk length, so it is only right once every chunk has been
//!   published: that is why the pipeline waits at a barrier before Phase 2.
//! - **Cosine** (vector): similarity of the chunk's and the query's
//!   embeddings. It catches overlap BM25 misses, such as word order (hashed
//!   bigrams) or, with a real model plugged in through `with_vector`,
//!   meaning without shared words. Two hashed vectors that share no term
//!   count as orthogonal (cosine 0): any similarity the buckets show then is
//!   hash-collision noise, and a query of unknown words must match nothing.
//!
//! `score = BM25_WEIGHT · bm25_normalised + (1 − BM25_WEIGHT) · max(cosine, 0)`.
//!
//! BM25 is unbounded, so it is divided by the query's own upper bound,
//! `Σ idf(t) · (K1 + 1)` over the query's terms, which no chunk reaches: the
//! result is in `[0, 1)` and needs no other chunk's score, so every chunk in
//! Phase 2 scores on its own, concurrently. BM25 gets the larger weight
//! because the hashed embedding is itself lexical (word and pair overlap):
//! it refines the ranking of chunks that share words with the query rather
//! than adding new evidence. Negative cosines are clamped to 0 so "unlike the
//! query" never outweighs "shares its words". The score is in `[0, 1)`.
//!
//! # Determinism
//!
//! Corpus statistics are integers (document frequencies, total length), so
//! they do not depend on the order chunks were published in, and a score sums
//! its floating-point terms in the query's term order. The same chunks and
//! query therefore give bit-identical scores however Phase 1 interleaved.
//!
//! # Memory
//!
//! The index holds every chunk until Phase 2 is done, up to 100,000 of them,
//! and WebAssembly memory never shrinks, so it keeps only what a score reads:
//! each term occurrence as a four-byte [`Vocabulary`] id (the words' text is
//! stored once, in the vocabulary) and the hashed vector's non-zero
//! components ([`SparseVector`]): about 400 bytes a demo chunk (measured
//! natively), where term strings and a dense vector took 1.5 KB.

use std::cell::OnceCell;

use super::embedding::{cosine, hashed_embedding};
use super::lexer::lex;
use super::sparse_vector::{norm_squared, SparseVector};
use super::term_counts::TermCounts;
use super::tokenizer::terms;
use super::vocabulary::Vocabulary;

/// BM25's term-frequency saturation: higher lets repeated words count longer.
pub const K1: f64 = 1.2;

/// BM25's length normalisation: 0 ignores chunk length, 1 fully divides by it.
pub const B: f64 = 0.75;

/// Weight of normalised BM25 in the blend; the cosine gets the rest.
///
/// Measured on the 31 demo questions in `tests/retrieval.rs` (answer in the
/// top 3): BM25 alone 30, cosine alone 27, any weight from 0.2 to 0.9 all 31;
/// 0.7 puts 25 of the 31 answers first.
pub const BM25_WEIGHT: f64 = 0.7;

/// What Phase 1 computes for one chunk: its terms and its vector.
#[derive(Debug, Clone)]
pub struct ChunkFeatures {
    /// The chunk's [`terms`], in order, back to back in one string: one
    /// allocation, where a `Vec<String>` takes one per term.
    terms: String,
    /// Where each term ends in `terms`.
    ends: Vec<usize>,
    vector: ChunkVector,
    /// The terms counted, built the first time [`counts`](ChunkFeatures::counts)
    /// is called. Publishing reads the terms as they are and never needs
    /// them sorted and counted, which costs about as much as finding them.
    counts: OnceCell<TermCounts>,
}

impl PartialEq for ChunkFeatures {
    /// Equal term counts, length and vector (the order of the terms aside,
    /// as when the features held only their counts).
    fn eq(&self, other: &ChunkFeatures) -> bool {
        self.length() == other.length() && self.vector == other.vector && self.counts() == other.counts()
    }
}

/// A chunk's embedding, as the index keeps it.
#[derive(Debug, Clone, PartialEq)]
pub enum ChunkVector {
    /// The [`hashed_embedding`], non-zero components only: a quarter of the
    /// dense size for a demo chunk, and the same cosine to the bit.
    Hashed(SparseVector),
    /// A model's vector ([`ChunkFeatures::with_vector`]): dense, since a
    /// model's components are rarely zero.
    Dense(Box<[f32]>),
}

impl ChunkVector {
    /// The vector with every component, zeros included.
    pub fn to_dense(&self) -> Vec<f32> {
        match self {
            ChunkVector::Hashed(sparse) => sparse.to_dense(),
            ChunkVector::Dense(dense) => dense.to_vec(),
        }
    }
}

impl ChunkFeatures {
    /// Lexical features of `text`: its [`terms`], counted, and their
    /// [`hashed_embedding`] (kept sparse, see [`ChunkVector::Hashed`]).
    ///
    /// ```
    /// use rag_phase_sync::retrieval::index::ChunkFeatures;
    /// let features = ChunkFeatures::lexical("The barrier waits; the barrier releases.");
    /// assert_eq!(features.length(), 4);
    /// assert_eq!(features.count("barrier"), 2);
    /// ```
    pub fn lexical(text: &str) -> ChunkFeatures {
        let (terms, ends, vector) = lex(text);
        ChunkFeatures { terms, ends, vector: ChunkVector::Hashed(vector), counts: OnceCell::new() }
    }

    /// The same features with `vector` in place of the hashed embedding: the
    /// seam for a real embedding model. BM25 still uses the terms, and the
    /// cosine is then always computed, shared words or not. Give the query
    /// a vector from the same model ([`Query::with_vector`]): vectors of
    /// different lengths have cosine 0.
    pub fn with_vector(self, vector: Vec<f32>) -> ChunkFeatures {
        // A boxed slice drops the capacity slack a model's Vec may carry.
        ChunkFeatures { vector: ChunkVector::Dense(vector.into_boxed_slice()), ..self }
    }

    /// The chunk's embedding.
    pub fn vector(&self) -> &ChunkVector {
        &self.vector
    }

    /// The chunk's length in terms (stop words excluded), BM25's `dl`.
    pub fn length(&self) -> usize {
        self.ends.len()
    }

    /// How often `term` occurs in the chunk.
    pub fn count(&self, term: &str) -> u32 {
        self.counts().count(term)
    }

    /// The chunk's distinct terms and their counts.
    pub fn counts(&self) -> &TermCounts {
        self.counts.get_or_init(|| TermCounts::from_concatenated(&self.terms, &self.ends))
    }

    /// The chunk's terms, in order.
    fn terms(&self) -> impl Iterator<Item = &str> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(&self.ends).map(|(start, &end)| &self.terms[start..end])
    }
}

/// A question, ready to score chunks against.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    terms: Vec<String>,
    vector: Vec<f32>,
    /// `vector`'s sum of squares, computed once for every chunk's cosine.
    norm_squared: f64,
    hashed: bool,
}

impl Query {
    /// The query's distinct [`terms`] in first-seen order, and the hashed
    /// embedding of all its terms.
    ///
    /// ```
    /// use rag_phase_sync::retrieval::index::Query;
    /// let query = Query::lexical("Why does BM25 need the IDF of BM25 terms?");
    /// assert_eq!(query.terms(), ["bm25", "need", "idf", "term"]);
    /// ```
    pub fn lexical(text: &str) -> Query {
        let all = terms(text);
        let mut unique: Vec<String> = Vec::new();
        for term in &all {
            if !unique.contains(term) {
                unique.push(term.clone());
            }
        }
        let vector = hashed_embedding(&all);
        Query { norm_squared: norm_squared(&vector), vector, terms: unique, hashed: true }
    }

    /// The same query with `vector` in place of the hashed embedding.
    pub fn with_vector(self, vector: Vec<f32>) -> Query {
        Query { norm_squared: norm_squared(&vector), vector, hashed: false, ..self }
    }

    /// The distinct query terms, in first-seen order (the order scores sum in).
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// The query's embedding.
    pub fn vector(&self) -> &[f32] {
        &self.vector
    }
}

/// The parts of one chunk's score, so the page can show why it ranked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreParts {
    /// Raw BM25, `>= 0`.
    pub bm25: f64,
    /// BM25 divided by the query's upper bound, in `[0, 1)`.
    pub bm25_normalised: f64,
    /// Cosine of chunk and query vectors, in `[-1, 1]`; exactly 0 for two
    /// hashed vectors that share no term (what they encode is orthogonal).
    pub cosine: f64,
    /// The blend the chunks are ranked by, in `[0, 1)`.
    pub score: f64,
}

/// Corpus statistics over a fixed set of chunks, filled in as they publish.
///
/// ```
/// use rag_phase_sync::retrieval::index::{ChunkFeatures, CorpusIndex, Query};
/// let chunks = ["A barrier waits for every task.", "An event loop runs callbacks.", "Futures are lazy."];
/// let mut index = CorpusIndex::new(chunks.len());
/// for (i, chunk) in chunks.iter().enumerate() {
///     index.publish(i, ChunkFeatures::lexical(chunk));
/// }
/// assert!(index.is_complete());
/// let query = Query::lexical("What does a barrier wait for?");
/// let scores: Vec<f64> = (0..3).map(|i| index.score(i, &query).unwrap().score).collect();
/// assert!(scores[0] > scores[1] && scores[0] > scores[2]);
/// ```
#[derive(Debug, Clone)]
pub struct CorpusIndex {
    chunks: Vec<Option<Indexed>>,
    vocabulary: Vocabulary,
    total_length: u64,
    embedded: usize,
}

/// What the index keeps of one published chunk until Phase 2 is done: only
/// what a score reads, in the fewest bytes (it is kept for up to 100,000
/// chunks at once).
#[derive(Debug, Clone)]
struct Indexed {
    /// Every term occurrence as its [`Vocabulary`] id, sorted: the length
    /// is BM25's `dl`, and the run of one id is that term's `tf`.
    terms: Box<[u32]>,
    vector: ChunkVector,
}

impl Indexed {
    /// How often the term numbered `id` occurs in the chunk.
    fn count(&self, id: u32) -> u32 {
        let start = self.terms.partition_point(|&term| term < id);
        let end = start + self.terms[start..].partition_point(|&term| term == id);
        // The run was built from a u32 count (TermCounts), so it fits.
        (end - start) as u32
    }
}

impl CorpusIndex {
    /// An empty index for `chunks` chunks.
    pub fn new(chunks: usize) -> CorpusIndex {
        CorpusIndex {
            chunks: vec![None; chunks],
            vocabulary: Vocabulary::default(),
            total_length: 0,
            embedded: 0,
        }
    }

    /// Records chunk `chunk`'s features and adds them to the corpus
    /// statistics. Publishing a chunk again replaces its contribution.
    ///
    /// # Panics
    ///
    /// If `chunk` is not below the count given to [`CorpusIndex::new`].
    pub fn publish(&mut self, chunk: usize, features: ChunkFeatures) {
        // Every occurrence numbered, then sorted: a run of one id is a
        // distinct term, which counts one more chunk containing it.
        let mut terms = Vec::with_capacity(features.length());
        terms.extend(features.terms().map(|term| self.vocabulary.number(term)));
        terms.sort_unstable();
        for run in terms.chunk_by(|a, b| a == b) {
            self.vocabulary.count_document(run[0]);
        }
        self.total_length += terms.len() as u64;
        let indexed = Indexed { terms: terms.into_boxed_slice(), vector: features.vector };
        match self.chunks[chunk].replace(indexed) {
            Some(old) => {
                for run in old.terms.chunk_by(|a, b| a == b) {
                    self.vocabulary.remove_document(run[0]);
                }
                self.total_length -= old.terms.len() as u64;
            }
            None => self.embedded += 1,
        }
    }

    /// How many chunks the index was made for.
    pub fn chunks(&self) -> usize {
        self.chunks.len()
    }

    /// How many chunks have published their features.
    pub fn embedded(&self) -> usize {
        self.embedded
    }

    /// Whether every chunk has published: only then are scores final.
    pub fn is_complete(&self) -> bool {
        self.embedded == self.chunks.len()
    }

    /// How many published chunks contain `term`.
    pub fn document_frequency(&self, term: &str) -> u32 {
        self.vocabulary.id(term).map_or(0, |id| self.vocabulary.document_frequency(id))
    }

    /// Inverse document frequency over the published chunks, in Lucene's
    /// non-negative form: `ln(1 + (N − df + 0.5) / (df + 0.5))`.
    ///
    /// ```
    /// use rag_phase_sync::retrieval::index::CorpusIndex;
    /// let index = CorpusIndex::new(4);
    /// assert_eq!(index.idf("anything"), 2.0_f64.ln()); // N = 0, df = 0
    /// ```
    pub fn idf(&self, term: &str) -> f64 {
        self.idf_of(self.document_frequency(term))
    }

    /// [`idf`](CorpusIndex::idf) of a term that `df` published chunks contain.
    fn idf_of(&self, df: u32) -> f64 {
        let n = self.embedded as f64;
        let df = f64::from(df);
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// Mean length in terms of the published chunks (0 when none are).
    pub fn average_length(&self) -> f64 {
        if self.embedded == 0 {
            0.0
        } else {
            self.total_length as f64 / self.embedded as f64
        }
    }

    /// Chunk `chunk`'s score against `query`, from the statistics of the
    /// chunks published so far; `None` if `chunk` has not published (or is
    /// out of range).
    ///
    /// Scores are final only when [`is_complete`](CorpusIndex::is_complete):
    /// scoring earlier reads the wrong IDF and average length. Every part is
    /// finite for any input.
    pub fn score(&self, chunk: usize, query: &Query) -> Option<ScoreParts> {
        let indexed = self.chunks.get(chunk)?.as_ref()?;
        let average_length = self.average_length();
        // A chunk with terms implies average_length > 0; the guard only keeps
        // a 0/0 out of reach if that ever stops holding.
        let relative_length =
            if average_length > 0.0 { indexed.terms.len() as f64 / average_length } else { 1.0 };
        let length_norm = K1 * (1.0 - B + B * relative_length);
        let (mut bm25, mut bound, mut shared) = (0.0, 0.0, false);
        for term in &query.terms {
            // One lookup gives both the document frequency and the id to count.
            let id = self.vocabulary.id(term);
            let idf = self.idf_of(id.map_or(0, |id| self.vocabulary.document_frequency(id)));
            bound += idf * (K1 + 1.0);
            let tf = f64::from(id.map_or(0, |id| indexed.count(id)));
            if tf > 0.0 {
                bm25 += idf * tf * (K1 + 1.0) / (tf + length_norm);
                shared = true;
            }
        }
        let bm25_normalised = if bound > 0.0 { (bm25 / bound).clamp(0.0, 1.0) } else { 0.0 };
        // Two hashed vectors with no term in common share no feature, so the
        // cosine of what they encode is exactly 0; what the 256 buckets would
        // show is collision noise, enough to rank nonsense and quote a chunk
        // for a query with no known word. A custom vector is always trusted.
        let cosine = match &indexed.vector {
            ChunkVector::Hashed(_) if query.hashed && !shared => 0.0,
            ChunkVector::Hashed(sparse) => sparse.cosine(&query.vector, query.norm_squared),
            ChunkVector::Dense(dense) => cosine(dense, &query.vector),
        };
        let score = BM25_WEIGHT * bm25_normalised + (1.0 - BM25_WEIGHT) * cosine.max(0.0);
        Some(ScoreParts { bm25, bm25_normalised, cosine, score })
    }
}
