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

use std::collections::HashMap;

use super::embedding::{cosine, hashed_embedding};
use super::term_counts::TermCounts;
use super::tokenizer::terms;

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

/// What Phase 1 computes for one chunk: its term counts, length and vector.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkFeatures {
    counts: TermCounts,
    length: usize,
    vector: Vec<f32>,
    hashed: bool,
}

impl ChunkFeatures {
    /// Lexical features of `text`: its [`terms`], counted, and their
    /// [`hashed_embedding`].
    ///
    /// ```
    /// use rag_phase_sync::retrieval::index::ChunkFeatures;
    /// let features = ChunkFeatures::lexical("The barrier waits; the barrier releases.");
    /// assert_eq!(features.length(), 4);
    /// assert_eq!(features.count("barrier"), 2);
    /// ```
    pub fn lexical(text: &str) -> ChunkFeatures {
        let terms = terms(text);
        ChunkFeatures {
            counts: TermCounts::new(&terms),
            length: terms.len(),
            vector: hashed_embedding(&terms),
            hashed: true,
        }
    }

    /// The same features with `vector` in place of the hashed embedding: the
    /// seam for a real embedding model. BM25 still uses the terms, and the
    /// cosine is then always computed, shared words or not. Give the query
    /// a vector from the same model ([`Query::with_vector`]): vectors of
    /// different lengths have cosine 0.
    pub fn with_vector(self, vector: Vec<f32>) -> ChunkFeatures {
        ChunkFeatures { vector, hashed: false, ..self }
    }

    /// The chunk's embedding.
    pub fn vector(&self) -> &[f32] {
        &self.vector
    }

    /// The chunk's length in terms (stop words excluded), BM25's `dl`.
    pub fn length(&self) -> usize {
        self.length
    }

    /// How often `term` occurs in the chunk.
    pub fn count(&self, term: &str) -> u32 {
        self.counts.count(term)
    }

    /// The chunk's distinct terms and their counts.
    pub fn counts(&self) -> &TermCounts {
        &self.counts
    }
}

/// A question, ready to score chunks against.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    terms: Vec<String>,
    vector: Vec<f32>,
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
        Query { vector: hashed_embedding(&all), terms: unique, hashed: true }
    }

    /// The same query with `vector` in place of the hashed embedding.
    pub fn with_vector(self, vector: Vec<f32>) -> Query {
        Query { vector, hashed: false, ..self }
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
    chunks: Vec<Option<ChunkFeatures>>,
    document_frequency: HashMap<String, u32>,
    total_length: u64,
    embedded: usize,
}

impl CorpusIndex {
    /// An empty index for `chunks` chunks.
    pub fn new(chunks: usize) -> CorpusIndex {
        CorpusIndex {
            chunks: vec![None; chunks],
            document_frequency: HashMap::new(),
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
        for (term, _) in features.counts.iter() {
            // Look up before inserting: allocate a key only for a new term.
            match self.document_frequency.get_mut(term) {
                Some(df) => *df += 1,
                None => {
                    self.document_frequency.insert(term.to_string(), 1);
                }
            }
        }
        self.total_length += features.length as u64;
        match self.chunks[chunk].replace(features) {
            Some(old) => {
                for (term, _) in old.counts.iter() {
                    if let Some(df) = self.document_frequency.get_mut(term) {
                        *df -= 1;
                        if *df == 0 {
                            self.document_frequency.remove(term);
                        }
                    }
                }
                self.total_length -= old.length as u64;
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

    /// Chunk `chunk`'s features, if published.
    pub fn features(&self, chunk: usize) -> Option<&ChunkFeatures> {
        self.chunks.get(chunk)?.as_ref()
    }

    /// How many published chunks contain `term`.
    pub fn document_frequency(&self, term: &str) -> u32 {
        self.document_frequency.get(term).copied().unwrap_or(0)
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
        let n = self.embedded as f64;
        let df = f64::from(self.document_frequency(term));
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
        let features = self.features(chunk)?;
        let average_length = self.average_length();
        // A chunk with terms implies average_length > 0; the guard only keeps
        // a 0/0 out of reach if that ever stops holding.
        let relative_length =
            if average_length > 0.0 { features.length as f64 / average_length } else { 1.0 };
        let length_norm = K1 * (1.0 - B + B * relative_length);
        let (mut bm25, mut bound, mut shared) = (0.0, 0.0, false);
        for term in &query.terms {
            let idf = self.idf(term);
            bound += idf * (K1 + 1.0);
            let tf = f64::from(features.count(term));
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
        let cosine = if features.hashed && query.hashed && !shared {
            0.0
        } else {
            cosine(&features.vector, &query.vector)
        };
        let score = BM25_WEIGHT * bm25_normalised + (1.0 - BM25_WEIGHT) * cosine.max(0.0);
        Some(ScoreParts { bm25, bm25_normalised, cosine, score })
    }
}
