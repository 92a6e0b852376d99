//! PLACEHOLDER retrieval, standing in until real text retrieval lands (issue 4).
//!
//! Embeddings are random vectors drawn from each chunk's seeded stream, and a
//! chunk's score is the cosine between it and the query after both are
//! centred on the *corpus mean*. That mean is a corpus-wide statistic, like
//! BM25's document frequencies: it is only right once every chunk has been
//! embedded, so scoring before the barrier gives a different score.

use crate::rng::Rng;

/// Dimension of the placeholder embeddings.
pub const DIMENSION: usize = 8;

/// A placeholder embedding: `DIMENSION` components in `[-1, 1]`.
pub type Embedding = [f64; DIMENSION];

/// Draws a chunk's placeholder embedding from its stream.
pub fn embed(rng: &mut Rng) -> Embedding {
    std::array::from_fn(|_| rng.uniform(-1.0, 1.0))
}

/// The query's placeholder embedding, derived from its text alone (FNV-1a),
/// so a different question ranks the chunks differently.
pub fn embed_query(query: &str) -> Embedding {
    let hash = query.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    embed(&mut Rng::stream(hash, u64::MAX))
}

/// The shared embedding store: what Phase 1 writes and Phase 2 reads.
#[derive(Debug, Clone)]
pub struct PlaceholderIndex {
    embeddings: Vec<Option<Embedding>>,
    sum: Embedding,
    embedded: usize,
}

impl PlaceholderIndex {
    /// An empty index for `chunks` chunks.
    pub fn new(chunks: usize) -> Self {
        PlaceholderIndex { embeddings: vec![None; chunks], sum: [0.0; DIMENSION], embedded: 0 }
    }

    /// How many chunks have published their embedding.
    pub fn embedded(&self) -> usize {
        self.embedded
    }

    /// Records chunk `chunk`'s embedding and its share of the corpus mean.
    /// Publishing a chunk twice replaces its embedding.
    pub fn publish(&mut self, chunk: usize, embedding: Embedding) {
        if let Some(old) = self.embeddings[chunk].replace(embedding) {
            self.sum.iter_mut().zip(old).for_each(|(sum, x)| *sum -= x);
        } else {
            self.embedded += 1;
        }
        self.sum.iter_mut().zip(embedding).for_each(|(sum, x)| *sum += x);
    }

    /// Chunk `chunk`'s score against `query` in `[0, 1]`, using the mean of
    /// the embeddings published so far; `None` if the chunk has none yet.
    pub fn score(&self, chunk: usize, query: &Embedding) -> Option<f64> {
        let embedding = self.embeddings[chunk]?;
        let mean = self.sum.map(|sum| sum / self.embedded as f64);
        let centred = |v: &Embedding| -> Embedding { std::array::from_fn(|i| v[i] - mean[i]) };
        Some((1.0 + cosine(&centred(&embedding), &centred(query))) / 2.0)
    }
}

/// Cosine similarity, 0 when either vector is zero (never NaN).
fn cosine(a: &Embedding, b: &Embedding) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norms = a.iter().map(|x| x * x).sum::<f64>().sqrt() * b.iter().map(|y| y * y).sum::<f64>().sqrt();
    if norms == 0.0 {
        0.0
    } else {
        (dot / norms).clamp(-1.0, 1.0)
    }
}

/// A PLACEHOLDER answer naming the chunks it would be built from.
pub fn answer(query: &str, top_ids: &[String]) -> String {
    if top_ids.is_empty() {
        return format!("No chunk matched \"{query}\".");
    }
    format!(
        "An answer to \"{query}\" composed from {} (placeholder text until real retrieval lands).",
        top_ids.join(", ")
    )
}
